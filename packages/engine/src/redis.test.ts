// The same behaviours with Redis configured: live events through Redis pub/sub, locks and token
// buckets in Redis. Also the per-workspace concurrency limit.
import { withTenant } from '@weft/db';
import { createTestDatabase, createWorkspace, startRun, type TestDatabase, waitForExecution } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { ExecutionEvent, PlanSpec, ToolDefinition } from './types.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const intervals: Array<{ start: number; end: number }> = [];
const limitedAt: number[] = [];
let live = 0;
let maxLive = 0;

const tool = (name: string, run: ToolDefinition['run']): ToolDefinition => ({
  name,
  version: '1.0.0',
  description: name,
  inputSchema: { type: 'object' },
  run,
});

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  engine = createEngine({
    pools: db.pools,
    redisUrl: REDIS_URL,
    stepLeaseMs: 2000,
    workerConcurrency: 10,
    pollIntervalMs: 200,
    workspaceConcurrency: 2,
    rateLimits: { perTool: { 'test.limited': { capacity: 1, refillPerSecond: 5 } } },
  });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        tool('test.exclusive', async () => {
          const start = Date.now();
          await new Promise((r) => setTimeout(r, 120));
          intervals.push({ start, end: Date.now() });
          return {};
        }),
        tool('test.limited', async () => {
          limitedAt.push(Date.now());
          return {};
        }),
        tool('test.track', async () => {
          live++;
          maxLive = Math.max(maxLive, live);
          await new Promise((r) => setTimeout(r, 40));
          live--;
          return {};
        }),
      ];
    },
  });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const start = (spec: PlanSpec) => startRun(db.pools, engine, ws, spec);

describe('engine with Redis', () => {
  it('streams events through Redis pub/sub with no gap or duplicate', async () => {
    const id = await start({
      steps: Array.from({ length: 8 }, (_, i) => ({ id: `s${i}`, tool: 'core.sleep', input: { ms: 10 } })),
    });
    const seen: ExecutionEvent[] = [];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20_000);
    for await (const event of engine.subscribe(ws.workspaceId, id, 0, controller.signal)) {
      seen.push(event);
      if (event.type === 'execution.succeeded') break;
    }
    clearTimeout(timer);
    controller.abort();
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(seen.map((e) => e.seq)).toEqual(done.events.map((e) => e.seq));
    expect(seen.map((e) => e.type)).toEqual(done.events.map((e) => e.type));
  });

  it('a subscriber joining mid-run after a seq replays the rest, then tails Redis, with no gap or duplicate', async () => {
    // A chain of sleeps, so the run is still producing events when the subscriber joins.
    const id = await start({
      steps: Array.from({ length: 10 }, (_, i) => ({
        id: `c${i}`,
        tool: 'core.sleep',
        input: { ms: 60 },
        ...(i > 0 ? { after: [`c${i - 1}`] } : {}),
      })),
    });
    const joinedAt = await (async () => {
      for (;;) {
        const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
          c.query<{ seq: number }>('SELECT max(seq)::int AS seq FROM execution_events WHERE execution_id = $1', [id]),
        );
        if ((rows[0]?.seq ?? 0) >= 4) return 3;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const seen: ExecutionEvent[] = [];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20_000);
    for await (const event of engine.subscribe(ws.workspaceId, id, joinedAt, controller.signal)) {
      seen.push(event);
      if (event.type === 'execution.succeeded') break;
    }
    clearTimeout(timer);
    controller.abort();
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    // Still running when it joined: some of what it got came live, not from the replay.
    expect(done.events.length).toBeGreaterThan(joinedAt + 4);
    expect(seen.map((e) => e.seq)).toEqual(done.events.slice(joinedAt).map((e) => e.seq));
    expect(seen.map((e) => e.type)).toEqual(done.events.slice(joinedAt).map((e) => e.type));
  });

  it('holds resource locks in Redis: conflicting steps never overlap', async () => {
    intervals.length = 0;
    const id = await start({
      steps: ['a', 'b', 'c'].map((s) => ({ id: s, tool: 'test.exclusive', locks: ['printer'] })),
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    const sorted = [...intervals].sort((x, y) => x.start - y.start);
    expect(sorted).toHaveLength(3);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]?.start ?? 0).toBeGreaterThanOrEqual(sorted[i - 1]?.end ?? 0);
    expect(done.events.some((e) => e.type === 'step.waiting_lock')).toBe(true);
  });

  it('takes rate-limit tokens from Redis buckets; limited steps wait', async () => {
    limitedAt.length = 0;
    const id = await start({ steps: ['a', 'b', 'c'].map((s) => ({ id: s, tool: 'test.limited' })) });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.some((e) => e.type === 'step.rate_limited')).toBe(true);
    const times = [...limitedAt].sort((x, y) => x - y);
    expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('runs at most workspaceConcurrency steps of one workspace at once, across executions', async () => {
    maxLive = 0;
    const spec: PlanSpec = {
      concurrency: 5,
      steps: Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, tool: 'test.track' })),
    };
    const ids = await Promise.all([start(spec), start(spec)]);
    for (const id of ids) expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
    expect(maxLive).toBeLessThanOrEqual(2);
    expect(maxLive).toBeGreaterThanOrEqual(1);
  });
});
