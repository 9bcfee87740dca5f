import { withTenant } from '@weft/db';
import { createTestDatabase, createWorkspace, startRun, type TestDatabase, waitForExecution } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { ExecutionMode, PlanSpec, ToolDefinition } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const counts: Record<string, number> = {};
const intervals: Array<{ id: string; start: number; end: number }> = [];
const limitedAt: number[] = [];
let live = 0;
let maxLive = 0;

const tool = (def: Partial<ToolDefinition> & Pick<ToolDefinition, 'name' | 'run'>): ToolDefinition => ({
  version: '1.0.0',
  description: def.name,
  inputSchema: { type: 'object' },
  ...def,
});

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 12 });
  engine = createEngine({
    pools: db.pools,
    stepLeaseMs: 2000,
    workerConcurrency: 10,
    pollIntervalMs: 200,
    rateLimits: { perTool: { 'test.limited': { capacity: 1, refillPerSecond: 5 } } },
  });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        tool({
          name: 'test.send',
          description: 'a side effect that must not run in dry-run',
          dryRun: 'mock',
          outputSchema: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string' }, n: { type: 'integer' } },
          },
          async run() {
            counts.send = (counts.send ?? 0) + 1;
            return { id: 'real', n: 1 };
          },
        }),
        tool({
          name: 'test.lookup',
          cacheable: true,
          async run(input) {
            counts.lookup = (counts.lookup ?? 0) + 1;
            return { found: input };
          },
        }),
        tool({
          name: 'test.exclusive',
          async run(input) {
            const start = Date.now();
            await new Promise((r) => setTimeout(r, 150));
            intervals.push({ id: String((input as { id: unknown }).id), start, end: Date.now() });
            return {};
          },
        }),
        tool({
          name: 'test.limited',
          async run() {
            limitedAt.push(Date.now());
            return {};
          },
        }),
        tool({
          name: 'test.track',
          async run() {
            live++;
            maxLive = Math.max(maxLive, live);
            await new Promise((r) => setTimeout(r, 5));
            live--;
            return {};
          },
        }),
        tool({
          name: 'test.post',
          async run(input, ctx) {
            await ctx.messages.post('news', input);
            return {};
          },
        }),
        tool({
          name: 'test.read',
          async run(_input, ctx) {
            return { messages: await ctx.messages.read('news') };
          },
        }),
        tool({
          name: 'test.huge',
          async run() {
            return { blob: 'x'.repeat(2 * 1024 * 1024) };
          },
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

async function run(spec: PlanSpec, mode: ExecutionMode = 'LIVE', input: unknown = {}) {
  const executionId = await startRun(db.pools, engine, ws, spec, { input, mode });
  return waitForExecution(db.pools, ws.workspaceId, executionId, undefined, 60_000);
}

describe('engine features', () => {
  it('a 200-step fan-out/fan-in respects the plan concurrency', async () => {
    const fan = Array.from({ length: 200 }, (_, i) => ({ id: `f${i}`, tool: 'test.track', after: ['root'] }));
    const done = await run({
      concurrency: 5,
      steps: [
        { id: 'root', tool: 'core.echo' },
        ...fan,
        { id: 'join', tool: 'core.echo', after: fan.map((s) => s.id) },
      ],
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(Object.values(done.steps).every((s) => s.attempts === 1)).toBe(true);
    expect(maxLive).toBeLessThanOrEqual(5);
    expect(maxLive).toBeGreaterThan(1);
  }, 90_000);

  it('dry-run mocks side-effecting tools, runs safe ones, and honours per-plan mocks', async () => {
    const before = counts.send ?? 0;
    const done = await run(
      {
        steps: [
          { id: 'send', tool: 'test.send' },
          { id: 'fixed', tool: 'test.send', after: ['send'] },
          { id: 'echo', tool: 'core.echo', input: { id: '{{ steps.send.output.id }}', f: '{{ steps.fixed.output }}' } },
        ],
        mocks: { fixed: { id: 'from-mock', n: 7 } },
      },
      'DRY_RUN',
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(counts.send ?? 0).toBe(before);
    expect(done.steps.send?.output).toEqual({ id: '', n: 0 });
    expect(done.steps.echo?.output).toEqual({ id: '', f: { id: 'from-mock', n: 7 } });
  });

  it('caches cacheable tool outputs by resolved input within the TTL', async () => {
    const spec: PlanSpec = {
      steps: [{ id: 'q', tool: 'test.lookup', input: { key: '{{ input.k }}' }, cacheTtlMs: 60_000 }],
    };
    const before = counts.lookup ?? 0;
    const first = await run(spec, 'LIVE', { k: 'a' });
    const second = await run(spec, 'LIVE', { k: 'a' });
    const other = await run(spec, 'LIVE', { k: 'b' });
    expect((counts.lookup ?? 0) - before).toBe(2);
    expect(first.steps.q?.cacheHit).toBe(false);
    expect(second.steps.q).toMatchObject({ cacheHit: true, output: { found: { key: 'a' } } });
    expect(second.events.map((e) => e.type)).toContain('step.cached');
    expect(other.steps.q?.cacheHit).toBe(false);
  });

  it('a cached output expires after cacheTtlMs; a tool not declared cacheable is never cached', async () => {
    const spec: PlanSpec = { steps: [{ id: 'q', tool: 'test.lookup', input: { key: 'ttl' }, cacheTtlMs: 400 }] };
    const before = counts.lookup ?? 0;
    await run(spec);
    const hit = await run(spec);
    expect(hit.steps.q?.cacheHit).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    const expired = await run(spec);
    expect(expired.steps.q?.cacheHit).toBe(false);
    expect(expired.events.map((e) => e.type)).not.toContain('step.cached');
    expect((counts.lookup ?? 0) - before).toBe(2);

    const sends = counts.send ?? 0;
    const uncacheable: PlanSpec = { steps: [{ id: 's', tool: 'test.send', cacheTtlMs: 60_000 }] };
    const first = await run(uncacheable);
    const second = await run(uncacheable);
    expect([first.steps.s?.cacheHit, second.steps.s?.cacheHit]).toEqual([false, false]);
    expect((counts.send ?? 0) - sends).toBe(2);
  });

  it('resource locks make conflicting steps wait instead of overlapping', async () => {
    intervals.length = 0;
    const done = await run({
      steps: [
        { id: 'x', tool: 'test.exclusive', input: { id: 'x' }, locks: ['db:main', 'mailbox'] },
        { id: 'y', tool: 'test.exclusive', input: { id: 'y' }, locks: ['mailbox', 'db:main'] },
        { id: 'z', tool: 'test.exclusive', input: { id: 'z' }, locks: ['mailbox'] },
      ],
    });
    expect(done.status).toBe('SUCCEEDED');
    const sorted = [...intervals].sort((a, b) => a.start - b.start);
    expect(sorted).toHaveLength(3);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]?.start ?? 0).toBeGreaterThanOrEqual(sorted[i - 1]?.end ?? 0);
    }
    expect(done.events.filter((e) => e.type === 'step.waiting_lock').length).toBeGreaterThanOrEqual(1);
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query('SELECT key FROM resource_locks'),
    );
    expect(rows).toEqual([]);
  });

  it('rate-limited steps wait for tokens and never fail', async () => {
    limitedAt.length = 0;
    const done = await run({ steps: ['a', 'b', 'c'].map((id) => ({ id, tool: 'test.limited' })) });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.filter((e) => e.type === 'step.rate_limited').length).toBeGreaterThanOrEqual(1);
    const times = [...limitedAt].sort((a, b) => a - b);
    // One token, refilled at 5/s: the three calls are spread over at least ~2 refills.
    expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('shares context between steps and passes messages on named channels', async () => {
    const done = await run({
      steps: [
        { id: 'set', tool: 'core.context.set', input: { key: 'customer', value: { name: 'Ada' } } },
        { id: 'use', tool: 'core.echo', after: ['set'], input: { hello: 'Hi {{ context.customer.name }}' } },
        { id: 'get', tool: 'core.context.get', after: ['set'], input: { key: 'customer' } },
        { id: 'post1', tool: 'test.post', input: { n: 1 } },
        { id: 'post2', tool: 'test.post', input: { n: 2 }, after: ['post1'] },
        { id: 'read', tool: 'test.read', after: ['post2'] },
      ],
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.use?.output).toEqual({ hello: 'Hi Ada' });
    expect(done.steps.get?.output).toEqual({ value: { name: 'Ada' } });
    expect(done.context).toEqual({ customer: { name: 'Ada' } });
    expect(done.steps.read?.output).toEqual({ messages: [{ n: 1 }, { n: 2 }] });
  });

  it('rejects outputs above the size limit with a clear error', async () => {
    const done = await run({ steps: [{ id: 'big', tool: 'test.huge', retry: { maxAttempts: 3, delayMs: 10 } }] });
    expect(done.status).toBe('FAILED');
    expect(done.steps.big?.attempts).toBe(1);
    expect(done.steps.big?.error).toMatch(/above the limit of 1048576 bytes/);
  });

  it('reports tool statistics from recorded attempts', async () => {
    await run({
      steps: [
        { id: 'f', tool: 'core.fail', input: { message: 'x', failTimes: 1 }, retry: { maxAttempts: 2, delayMs: 5 } },
      ],
    });
    const stats = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.toolStats(c, ws.workspaceId),
    );
    const fail = stats.find((s) => s.tool === 'core.fail');
    expect(fail).toMatchObject({ calls: 2, failures: 1, retries: 1 });
    expect(fail?.p50Ms).toBeGreaterThanOrEqual(0);
    expect(stats.find((s) => s.tool === 'test.track')?.calls).toBe(200);
  });

  it('lists built-ins and provider tools for discovery', async () => {
    const names = (await engine.listTools(ws.workspaceId)).map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['core.echo', 'core.sleep', 'core.fail', 'core.context.set', 'test.send']),
    );
  });
});
