import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  type ExecutionSnapshot,
  eventually,
  readExecution,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { Ajv2020 } from 'ajv/dist/2020.js';
import semver from 'semver';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUILTIN_VERSION } from './builtin-tools.ts';
import { createEngine, type Engine } from './engine.ts';
import { retryDelay } from './step-retry.ts';
import { type JsonSchema, NonRetriableToolError, type PlanSpec, type StepSpec } from './types.ts';

interface Workspace {
  workspaceId: string;
  userId: string;
}

const finished = (db: TestDatabase, ws: Workspace, executionId: string, timeoutMs = 30_000) =>
  waitForExecution(db.pools, ws.workspaceId, executionId, undefined, timeoutMs);

const ofType = (snap: ExecutionSnapshot, type: string) => snap.events.filter((e) => e.type === type);

describe('retryDelay', () => {
  const step = (retry: StepSpec['retry']): StepSpec => ({ id: 's', tool: 'core.echo', retry });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a fixed policy waits exactly delayMs before every retry', () => {
    const fixed = step({ maxAttempts: 10, backoff: 'fixed', delayMs: 250 });
    for (let n = 1; n <= 10; n++) {
      for (let i = 0; i < 20; i++) expect(retryDelay(fixed, n)).toBe(250);
    }
    // No backoff named means fixed; no delay named means one second.
    expect(retryDelay(step({ maxAttempts: 3, delayMs: 40 }), 3)).toBe(40);
    expect(retryDelay(step({ maxAttempts: 3 }), 2)).toBe(1000);
  });

  it('an exponential policy doubles per attempt, jittered between half and the full delay', () => {
    const exp = step({ maxAttempts: 10, backoff: 'exponential', delayMs: 100 });
    const samples = new Map<number, number[]>();
    for (let n = 1; n <= 6; n++) {
      const full = 100 * 2 ** (n - 1);
      const values = Array.from({ length: 300 }, () => retryDelay(exp, n));
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(full / 2);
        expect(v).toBeLessThanOrEqual(full);
      }
      samples.set(n, values);
    }
    // Adjacent ranges only touch, so every later retry waits at least as long as every earlier one.
    for (let n = 1; n < 6; n++) {
      expect(Math.min(...(samples.get(n + 1) ?? []))).toBeGreaterThanOrEqual(Math.max(...(samples.get(n) ?? [])));
    }
    expect(Math.min(...(samples.get(6) ?? []))).toBeGreaterThan(Math.max(...(samples.get(1) ?? [])));
  });

  it('jitter spreads delays over the whole range instead of repeating one value', () => {
    const exp = step({ maxAttempts: 5, backoff: 'exponential', delayMs: 1000 });
    const values = Array.from({ length: 500 }, () => retryDelay(exp, 3));
    // 500 uniform draws over [2000, 4000]: missing either end's fifth is practically impossible.
    expect(new Set(values).size).toBeGreaterThan(50);
    expect(Math.min(...values)).toBeLessThan(2400);
    expect(Math.max(...values)).toBeGreaterThan(3600);
  });

  it('the jitter bounds are exactly half and all of the exponential delay', () => {
    const exp = step({ maxAttempts: 5, backoff: 'exponential', delayMs: 300 });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(retryDelay(exp, 1)).toBe(150);
    expect(retryDelay(exp, 4)).toBe(1200);
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(retryDelay(exp, 1)).toBe(300);
    expect(retryDelay(exp, 4)).toBe(2400);
  });

  it('caps exponential delays at five minutes however many attempts failed', () => {
    const exp = step({ maxAttempts: 100, backoff: 'exponential', delayMs: 60_000 });
    for (const n of [4, 10, 50, 100]) {
      for (let i = 0; i < 50; i++) {
        const v = retryDelay(exp, n);
        expect(v).toBeGreaterThanOrEqual(150_000);
        expect(v).toBeLessThanOrEqual(300_000);
      }
    }
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(retryDelay(exp, 30)).toBe(300_000);
  });
});

describe('per-workspace token bucket (Postgres)', () => {
  let db: TestDatabase;
  let engine: Engine;

  beforeAll(async () => {
    db = await createTestDatabase({ poolMax: 10 });
    engine = createEngine({
      pools: db.pools,
      workerConcurrency: 8,
      pollIntervalMs: 200,
      rateLimits: { perWorkspace: { capacity: 1, refillPerSecond: 1 } },
    });
    await engine.startWorkers(1);
  });

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  it('limited steps wait for a token and succeed; another workspace has its own bucket', async () => {
    const first = await createWorkspace(db.pools);
    const second = await createWorkspace(db.pools);
    const spec: PlanSpec = {
      steps: ['a', 'b', 'c'].map((id) => ({ id, tool: 'core.echo', input: { id } })),
    };
    const limited = await finished(db, first, await startRun(db.pools, engine, first, spec));
    expect(limited.status).toBe('SUCCEEDED');
    for (const id of ['a', 'b', 'c']) {
      // Waiting for a token is not a failed attempt.
      expect(limited.steps[id]).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { id } });
    }
    const waits = ofType(limited, 'step.rate_limited');
    expect(waits.length).toBeGreaterThanOrEqual(1);
    for (const w of waits) {
      // At one token a second, no step needs to wait longer than a second for the next one.
      const { waitMs } = w.data as { waitMs: number };
      expect(waitMs).toBeGreaterThan(0);
      expect(waitMs).toBeLessThanOrEqual(1000);
    }

    // The first workspace's bucket was just emptied by its last step; a shared bucket would make
    // this run wait for the refill.
    const other = await finished(
      db,
      second,
      await startRun(db.pools, engine, second, { steps: [{ id: 'only', tool: 'core.echo', input: { x: 1 } }] }),
    );
    expect(other.status).toBe('SUCCEEDED');
    expect(ofType(other, 'step.rate_limited')).toEqual([]);
  }, 60_000);
});

describe('engine (Postgres, no rate limits)', () => {
  let db: TestDatabase;
  let engine: Engine;
  const gate: { entered: () => void; release: () => void; wasEntered: Promise<void>; released: Promise<void> } = {
    entered: () => {},
    release: () => {},
    wasEntered: Promise.resolve(),
    released: Promise.resolve(),
  };
  const providerSchema: JsonSchema = {
    type: 'object',
    required: ['to', 'subject'],
    additionalProperties: false,
    properties: {
      to: { type: 'string', format: 'email', description: 'recipient' },
      subject: { type: 'string', minLength: 1, maxLength: 140 },
      priority: { enum: ['low', 'high'], default: 'low' },
      tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    },
  };

  beforeAll(async () => {
    db = await createTestDatabase({ poolMax: 16 });
    engine = createEngine({
      pools: db.pools,
      // Long enough that a lock left behind by a failed step would not expire during a test.
      stepLeaseMs: 30_000,
      workerConcurrency: 20,
      pollIntervalMs: 200,
    });
    engine.registerProvider({
      name: 'test',
      async listTools() {
        return [
          {
            name: 'test.gated_reject',
            version: '1.0.0',
            description: 'waits for the test to open the gate, then fails for good',
            inputSchema: { type: 'object' },
            async run() {
              gate.entered();
              await gate.released;
              throw new NonRetriableToolError('rejected by the remote side');
            },
          },
          {
            name: 'test.mail',
            version: '2.3.4',
            description: 'sends a mail',
            inputSchema: structuredClone(providerSchema),
            async run() {
              return {};
            },
          },
        ];
      },
    });
    await engine.startWorkers(1);
  });

  afterAll(async () => {
    gate.release();
    await engine?.stop();
    await db?.drop();
  });

  const lockRows = (ws: Workspace, key: string) =>
    withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (c) => {
      const { rows } = await c.query<{ holder: string }>('SELECT holder FROM resource_locks WHERE key = $1', [key]);
      return rows;
    });

  it('a step that fails for good frees its lock for a waiting step of another run', async () => {
    const ws = await createWorkspace(db.pools);
    gate.wasEntered = new Promise((r) => {
      gate.entered = r;
    });
    gate.released = new Promise((r) => {
      gate.release = r;
    });
    const holderRun = await startRun(db.pools, engine, ws, {
      steps: [{ id: 'hold', tool: 'test.gated_reject', locks: ['L'], retry: { maxAttempts: 3, delayMs: 10 } }],
    });
    await gate.wasEntered;
    expect((await lockRows(ws, 'L')).map((r) => r.holder.split('/')[0])).toEqual([holderRun]);

    const waiterRun = await startRun(db.pools, engine, ws, {
      steps: [{ id: 'next', tool: 'core.echo', input: { got: 'L' }, locks: ['L'] }],
    });
    await eventually(
      async () => {
        const snap = await readExecution(db.pools, ws.workspaceId, waiterRun);
        return ofType(snap, 'step.waiting_lock').length > 0 ? true : undefined;
      },
      20_000,
      'the second run waiting for L',
    );

    gate.release();
    const failed = await finished(db, ws, holderRun);
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.hold).toMatchObject({ status: 'FAILED', attempts: 1 });
    // The failure and the release commit together: nothing of the holder is left once it is FAILED.
    expect((await lockRows(ws, 'L')).filter((r) => r.holder.startsWith(`${holderRun}/`))).toEqual([]);

    // Well within the 30 s lease, so the lock was released, not left to expire.
    const next = await finished(db, ws, waiterRun, 15_000);
    expect(next.status).toBe('SUCCEEDED');
    expect(next.steps.next?.output).toEqual({ got: 'L' });
    expect(await lockRows(ws, 'L')).toEqual([]);
  }, 60_000);

  it('a step that exhausts its retries via core.fail frees its lock', async () => {
    const ws = await createWorkspace(db.pools);
    const failed = await finished(
      db,
      ws,
      await startRun(db.pools, engine, ws, {
        steps: [
          {
            id: 'f',
            tool: 'core.fail',
            input: { message: 'down' },
            locks: ['L'],
            retry: { maxAttempts: 2, delayMs: 10 },
          },
        ],
      }),
    );
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.f).toMatchObject({ status: 'FAILED', attempts: 2, error: 'down' });
    expect(await lockRows(ws, 'L')).toEqual([]);

    const next = await finished(
      db,
      ws,
      await startRun(db.pools, engine, ws, {
        steps: [{ id: 'n', tool: 'core.echo', input: { ok: true }, locks: ['L'] }],
      }),
      15_000,
    );
    expect(next.status).toBe('SUCCEEDED');
    expect(ofType(next, 'step.waiting_lock')).toEqual([]);
    expect(await lockRows(ws, 'L')).toEqual([]);
  }, 60_000);

  it('runs at most 5 steps of a plan at once when the plan sets no concurrency', async () => {
    const ws = await createWorkspace(db.pools);
    const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const done = await finished(
      db,
      ws,
      await startRun(db.pools, engine, ws, {
        steps: ids.map((id) => ({ id, tool: 'core.sleep', input: { ms: 300 } })),
      }),
      60_000,
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(ids.every((id) => done.steps[id]?.status === 'SUCCEEDED')).toBe(true);
    const live = new Set<string>();
    let maxLive = 0;
    for (const e of done.events) {
      if (e.stepId === null) continue;
      if (e.type === 'step.started') live.add(e.stepId);
      if (e.type === 'step.succeeded' || e.type === 'step.failed') live.delete(e.stepId);
      maxLive = Math.max(maxLive, live.size);
    }
    expect(ofType(done, 'step.started')).toHaveLength(12);
    // 20 worker slots: the plan's default, not the worker, is what stops a sixth step.
    expect(maxLive).toBe(5);
  }, 90_000);

  it('reports per-tool calls, failures and latency percentiles of the workspace', async () => {
    const ws = await createWorkspace(db.pools);
    const sleeps = [20, 20, 20, 20, 600, 600];
    const ok = await finished(
      db,
      ws,
      await startRun(db.pools, engine, ws, {
        concurrency: 6,
        steps: sleeps.map((ms, i) => ({ id: `z${i}`, tool: 'core.sleep', input: { ms } })),
      }),
    );
    expect(ok.status).toBe('SUCCEEDED');
    const bad = await finished(
      db,
      ws,
      await startRun(db.pools, engine, ws, { steps: [{ id: 'f', tool: 'core.fail', input: { message: 'nope' } }] }),
    );
    expect(bad.status).toBe('FAILED');

    const stats = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.toolStats(c, ws.workspaceId),
    );
    // Other tests ran core.sleep in other workspaces: exact counts show the stats are this workspace's.
    expect(stats.map((s) => s.tool).sort()).toEqual(['core.fail', 'core.sleep']);
    const sleep = stats.find((s) => s.tool === 'core.sleep');
    expect(sleep).toMatchObject({ calls: 6, failures: 0, retries: 0 });
    // Median of four ~20 ms calls and two ~600 ms ones; a mean (213 ms) would miss the upper bound.
    expect(sleep?.p50Ms).toBeGreaterThanOrEqual(15);
    expect(sleep?.p50Ms).toBeLessThan(200);
    expect(sleep?.p95Ms).toBeGreaterThanOrEqual(590);
    expect(stats.find((s) => s.tool === 'core.fail')).toMatchObject({ calls: 1, failures: 1, retries: 0 });
  }, 60_000);

  it('lists the built-ins with versions, descriptions and usable input schemas', async () => {
    const ws = await createWorkspace(db.pools);
    const tools = await engine.listTools(ws.workspaceId);
    const ajv = new Ajv2020({ strict: false });
    const accepts = (name: string, input: unknown) => {
      const tool = tools.find((t) => t.name === name);
      if (tool === undefined) throw new Error(`${name} is not listed`);
      return ajv.validate(tool.inputSchema, input);
    };
    for (const name of ['core.echo', 'core.sleep', 'core.fail', 'core.context.set', 'core.context.get']) {
      const tool = tools.find((t) => t.name === name);
      expect(tool, name).toBeDefined();
      expect(tool?.version).toBe(BUILTIN_VERSION);
      expect(semver.valid(tool?.version)).not.toBeNull();
      expect(tool?.description.length ?? 0).toBeGreaterThan(10);
      expect(tool?.inputSchema.type).toBe('object');
      // A planner hands these schemas to a JSON Schema validator: they must compile.
      expect(() => ajv.compile(tool?.inputSchema ?? {})).not.toThrow();
    }
    const sleepSchema = tools.find((t) => t.name === 'core.sleep')?.inputSchema as {
      required: string[];
      properties: { ms: { type: string } };
    };
    expect(sleepSchema.required).toEqual(['ms']);
    expect(['integer', 'number']).toContain(sleepSchema.properties.ms.type);
    expect(accepts('core.sleep', { ms: 50 })).toBe(true);
    expect(accepts('core.sleep', {})).toBe(false);
    expect(accepts('core.sleep', { ms: 'soon' })).toBe(false);
    expect(accepts('core.sleep', { ms: -1 })).toBe(false);
    expect(accepts('core.echo', { anything: [1, 2] })).toBe(true);
    expect(accepts('core.fail', { message: 'x', failTimes: 2 })).toBe(true);
    expect(accepts('core.fail', { failTimes: 2 })).toBe(false);
    expect(accepts('core.context.set', { key: 'k', value: { any: 'thing' } })).toBe(true);
    expect(accepts('core.context.set', { key: 'k' })).toBe(false);
    expect(accepts('core.context.get', { key: 'k' })).toBe(true);
    expect(accepts('core.context.get', { key: '' })).toBe(false);
  });

  it("passes a provider's tool schema through unchanged", async () => {
    const ws = await createWorkspace(db.pools);
    const mail = (await engine.listTools(ws.workspaceId)).find((t) => t.name === 'test.mail');
    expect(mail).toMatchObject({ version: '2.3.4', description: 'sends a mail' });
    expect(mail?.inputSchema).toEqual(providerSchema);
  });
});
