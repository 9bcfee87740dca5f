import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type EngineOptions } from './engine.ts';
import type { PlanSpec, ToolDefinition } from './types.ts';

let db: TestDatabase;
let ws: { workspaceId: string; userId: string };
let live = 0;
let maxLive = 0;
/** Attempts of `test.gate` wait here until the test opens their gate (by step id and attempt). */
const gates = new Map<string, { open: () => void; opened: Promise<void> }>();

function gate(key: string) {
  let entry = gates.get(key);
  if (entry === undefined) {
    let open: () => void = () => {};
    const opened = new Promise<void>((r) => {
      open = r;
    });
    entry = { open, opened };
    gates.set(key, entry);
  }
  return entry;
}

const tools: ToolDefinition[] = [
  {
    name: 'test.track',
    version: '1.0.0',
    description: 'counts how many run at once',
    inputSchema: { type: 'object' },
    async run() {
      live++;
      maxLive = Math.max(maxLive, live);
      await new Promise((r) => setTimeout(r, 10));
      live--;
      return {};
    },
  },
  {
    name: 'test.gate',
    version: '1.0.0',
    description: 'waits for the test to open its gate',
    inputSchema: { type: 'object' },
    async run(_input, ctx) {
      await gate(`${ctx.stepId}#${ctx.attempt}`).opened;
      return { attempt: ctx.attempt };
    },
  },
];

function newEngine(options: Partial<EngineOptions> = {}): Engine {
  const engine = createEngine({ pools: db.pools, stepLeaseMs: 15_000, pollIntervalMs: 200, ...options });
  engine.registerProvider({ name: 'test', listTools: async () => tools });
  return engine;
}

const start = (engine: Engine, spec: PlanSpec) => startRun(db.pools, engine, ws, spec);

/** How many graphile-worker jobs were ever created in this database. */
async function jobsCreated(): Promise<number> {
  const { rows } = await db.pools.owner.query<{ n: string | number }>(
    `SELECT last_value AS n FROM pg_sequences
      WHERE (schemaname || '.' || sequencename) = pg_get_serial_sequence('graphile_worker._private_jobs', 'id')`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** The `weft.step` jobs queued or running for one step of one execution. */
async function stepJobs(executionId: string, stepId: string): Promise<number> {
  const { rows } = await db.pools.owner.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE t.identifier = 'weft.step' AND j.payload ->> 'e' = $1 AND j.payload ->> 's' = $2`,
    [executionId, stepId],
  );
  return rows[0]?.n ?? 0;
}

async function attempts(executionId: string) {
  const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
    c.query<{ step_id: string; attempt: number; status: string; error: string | null }>(
      `SELECT step_id, attempt, status, error FROM step_attempts
        WHERE execution_id = $1 AND kind = 'run' ORDER BY step_id, attempt`,
      [executionId],
    ),
  );
  return rows;
}

const whenRunning = (executionId: string, stepId: string) =>
  eventually(async () => (await attempts(executionId)).find((r) => r.step_id === stepId && r.status === 'RUNNING'));

const chain = (n: number, tool = 'test.track'): PlanSpec => ({
  steps: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, tool, ...(i > 0 ? { after: [`c${i - 1}`] } : {}) })),
});

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 12 });
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  await db?.drop();
});

describe('run-ahead', () => {
  it('a finishing worker runs the next step itself: no job per step, same events per step', async () => {
    const engine = newEngine();
    try {
      await engine.startWorkers(1);
      const before = await jobsCreated();
      const id = await start(engine, chain(20));
      const done = await waitForExecution(db.pools, ws.workspaceId, id);
      expect(done.status).toBe('SUCCEEDED');
      // One job for the first step; the chain then continues in that job's slot.
      expect((await jobsCreated()) - before).toBeLessThanOrEqual(2);
      expect(done.events.map((e) => e.seq)).toEqual(done.events.map((_, i) => i + 1));
      for (let i = 0; i < 20; i++) {
        expect(
          done.events.filter((e) => e.stepId === `c${i}`).map((e) => e.type),
          `c${i}`,
        ).toEqual(['step.started', 'step.succeeded']);
      }
      expect(done.events.map((e) => e.type).filter((t) => t.startsWith('execution.'))).toEqual([
        'execution.started',
        'execution.succeeded',
      ]);
      expect((await attempts(id)).every((a) => a.status === 'SUCCEEDED' && a.attempt === 1)).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  it('respects the plan concurrency and the worker concurrency', async () => {
    const fan = (concurrency: number): PlanSpec => ({
      concurrency,
      steps: Array.from({ length: 40 }, (_, i) => ({ id: `f${i}`, tool: 'test.track' })),
    });
    const engine = newEngine({ workerConcurrency: 10 });
    try {
      await engine.startWorkers(1);
      maxLive = 0;
      const before = await jobsCreated();
      const id = await start(engine, fan(3));
      expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
      expect(maxLive).toBeLessThanOrEqual(3);
      expect((await jobsCreated()) - before).toBeLessThan(20);
    } finally {
      await engine.stop();
    }
    // Without reserved slots, which add to the worker concurrency: a burst reaching an idle worker
    // may put its first job in one (reserved-slots.ts), i.e. up to 3 live here.
    const narrow = newEngine({ workerConcurrency: 2, reservedSlots: 0 });
    try {
      await narrow.startWorkers(1);
      maxLive = 0;
      const id = await start(narrow, fan(10));
      expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
      expect(maxLive).toBeLessThanOrEqual(2);
    } finally {
      await narrow.stop();
    }
  });

  it('respects workspaceConcurrency across executions (such steps go through their job)', async () => {
    const engine = newEngine({ workerConcurrency: 10, workspaceConcurrency: 2 });
    try {
      await engine.startWorkers(1);
      maxLive = 0;
      const spec: PlanSpec = {
        concurrency: 5,
        steps: Array.from({ length: 8 }, (_, i) => ({ id: `w${i}`, tool: 'test.track' })),
      };
      const ids = await Promise.all([start(engine, spec), start(engine, spec), start(engine, spec)]);
      for (const id of ids) expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
      expect(maxLive).toBeLessThanOrEqual(2);
    } finally {
      await engine.stop();
    }
  });

  it('a long chain yields its slot now and then: a queued run is not starved', async () => {
    const engine = newEngine({ workerConcurrency: 1 });
    try {
      await engine.startWorkers(1);
      const slow: PlanSpec = {
        steps: Array.from({ length: 60 }, (_, i) => ({
          id: `s${i}`,
          tool: 'core.sleep',
          input: { ms: 50 },
          ...(i > 0 ? { after: [`s${i - 1}`] } : {}),
        })),
      };
      const long = await start(engine, slow);
      await whenRunning(long, 's1');
      const short = await start(engine, { steps: [{ id: 'only', tool: 'core.echo', input: {} }] });
      expect((await waitForExecution(db.pools, ws.workspaceId, short)).status).toBe('SUCCEEDED');
      // The short run finished while the 3-second chain was still going.
      expect((await readExecution(db.pools, ws.workspaceId, long)).status).toBe('RUNNING');
      expect((await waitForExecution(db.pools, ws.workspaceId, long)).status).toBe('SUCCEEDED');
    } finally {
      await engine.stop();
    }
  });

  it('a paused run begins nothing ahead; resume carries on', async () => {
    const engine = newEngine();
    try {
      await engine.startWorkers(1);
      const id = await start(engine, chain(3, 'test.gate'));
      await whenRunning(id, 'c0');
      const paused = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
        engine.pauseExecution(c, ws.workspaceId, id, { userId: ws.userId, role: 'ADMIN' }),
      );
      expect(paused).toEqual({ ok: true, status: 'PAUSED' });
      gate('c0#1').open();
      await eventually(async () =>
        (await attempts(id)).some((a) => a.step_id === 'c0' && a.status === 'SUCCEEDED') ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 300));
      const held = await readExecution(db.pools, ws.workspaceId, id);
      expect(held.status).toBe('PAUSED');
      expect(held.steps.c1?.status).toBe('PENDING');
      expect(held.events.some((e) => e.stepId === 'c1')).toBe(false);
      expect(held.steps.c0?.output).toEqual({ attempt: 1 });
      gate('c1#1').open();
      gate('c2#1').open();
      await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
        engine.resumeExecution(c, ws.workspaceId, id, { userId: ws.userId, role: 'ADMIN' }),
      );
      const done = await waitForExecution(db.pools, ws.workspaceId, id);
      expect(done.status).toBe('SUCCEEDED');
      expect((await attempts(id)).map((a) => `${a.step_id}:${a.status}`)).toEqual([
        'c0:SUCCEEDED',
        'c1:SUCCEEDED',
        'c2:SUCCEEDED',
      ]);
    } finally {
      gates.clear();
      await engine.stop();
    }
  });

  it('a cancelled run begins nothing ahead and ends exactly once', async () => {
    const engine = newEngine();
    try {
      await engine.startWorkers(1);
      const id = await start(engine, chain(3, 'test.gate'));
      await whenRunning(id, 'c0');
      const cancelled = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
        engine.cancelExecution(c, ws.workspaceId, id, { userId: ws.userId, role: 'ADMIN' }),
      );
      expect(cancelled).toEqual({ ok: true, status: 'CANCELLED' });
      gate('c0#1').open();
      await new Promise((r) => setTimeout(r, 300));
      const done = await readExecution(db.pools, ws.workspaceId, id);
      expect(done.status).toBe('CANCELLED');
      expect(Object.values(done.steps).map((s) => s.status)).toEqual(Array(3).fill('CANCELLED'));
      expect(done.events.some((e) => e.stepId === 'c1' || e.stepId === 'c2')).toBe(false);
      expect(done.events.filter((e) => e.type.startsWith('execution.')).map((e) => e.type)).toEqual([
        'execution.started',
        'execution.cancelled',
      ]);
      expect((await attempts(id)).map((a) => `${a.step_id}:${a.status}`)).toEqual(['c0:CANCELLED']);
    } finally {
      gates.clear();
      await engine.stop();
    }
  });

  it('a step begun ahead whose worker stops heartbeating is re-dispatched by its lease and runs once more', async () => {
    const engine = newEngine();
    try {
      await engine.startWorkers(1);
      const id = await start(engine, chain(3, 'test.gate'));
      gate('c0#1').open();
      gate('c2#1').open();
      await whenRunning(id, 'c1');
      // c1 was begun by c0's worker in c0's finish: no job of its own.
      expect(await stepJobs(id, 'c1')).toBe(0);
      // As if that worker had died: its lease runs out and a sweep recovers the step.
      await db.pools.owner.query(
        `UPDATE step_leases SET expires_at = clock_timestamp() - interval '1 second'
          WHERE execution_id = $1 AND step_id = 'c1'`,
        [id],
      );
      expect(await engine.sweepLeases()).toBeGreaterThanOrEqual(1);
      gate('c1#2').open();
      const done = await waitForExecution(db.pools, ws.workspaceId, id);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.steps.c1?.output).toEqual({ attempt: 2 });
      // The first attempt's result comes too late: the fence rejects it.
      gate('c1#1').open();
      const first = await eventually(async () => {
        const row = (await attempts(id)).find((a) => a.step_id === 'c1' && a.attempt === 1);
        return row?.error?.includes('late result rejected') ? row : undefined;
      });
      expect(first.status).toBe('LOST');
      const after = await readExecution(db.pools, ws.workspaceId, id);
      expect(after.events.filter((e) => e.stepId === 'c1').map((e) => e.type)).toEqual([
        'step.started',
        'step.lost',
        'step.started',
        'step.succeeded',
      ]);
      expect(after.events.filter((e) => e.type === 'execution.succeeded')).toHaveLength(1);
      expect((await attempts(id)).map((a) => `${a.step_id}:${a.status}`)).toEqual([
        'c0:SUCCEEDED',
        'c1:LOST',
        'c1:SUCCEEDED',
        'c2:SUCCEEDED',
      ]);
    } finally {
      gates.clear();
      await engine.stop();
    }
  });
});
