// Starting an execution writes everything in one statement (start-execution.ts). These tests look at
// what it left behind with no worker running, so nothing moves on before they read it.
import { withTenant } from '@weft/db';
import { createPlanVersion, createTestDatabase, createWorkspace, type TestDatabase } from '@weft/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { PlanSpec } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
let other: { workspaceId: string; userId: string };

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 5 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000 });
  ws = await createWorkspace(db.pools);
  other = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

function start(workspace: { workspaceId: string; userId: string }, planVersionId: string) {
  return withTenant(db.pools.app, { workspaceId: workspace.workspaceId }, (c) =>
    engine.startExecution(c, workspace.workspaceId, {
      planVersionId,
      input: { n: 1 },
      actor: { userId: workspace.userId, role: 'ADMIN' },
    }),
  );
}

interface Stored {
  status: string;
  lastSeq: number;
  steps: Map<string, { status: string; fence: number }>;
  events: Array<{ seq: number; type: string; data: unknown }>;
  leases: Map<string, { worker: string; fence: number }>;
  jobs: Array<{ s: string; f: number }>;
}

async function stored(executionId: string): Promise<Stored> {
  const owner = db.pools.owner;
  const exec = await owner.query<{ status: string; last_seq: number }>(
    'SELECT status, last_seq FROM executions WHERE id = $1',
    [executionId],
  );
  const steps = await owner.query<{ step_id: string; status: string; fence: number }>(
    'SELECT step_id, status, fence FROM step_runs WHERE execution_id = $1',
    [executionId],
  );
  const events = await owner.query<{ seq: number; type: string; data: unknown }>(
    'SELECT seq, type, data FROM execution_events WHERE execution_id = $1 ORDER BY seq',
    [executionId],
  );
  const leases = await owner.query<{ step_id: string; worker_id: string; fence: number }>(
    'SELECT step_id, worker_id, fence FROM step_leases WHERE execution_id = $1',
    [executionId],
  );
  const jobs = await owner.query<{ payload: { s: string; f: number } }>(
    `SELECT j.payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE t.identifier = 'weft.step' AND j.payload ->> 'e' = $1`,
    [executionId],
  );
  return {
    status: exec.rows[0]?.status ?? 'missing',
    lastSeq: exec.rows[0]?.last_seq ?? -1,
    steps: new Map(steps.rows.map((r) => [r.step_id, { status: r.status, fence: Number(r.fence) }])),
    events: events.rows,
    leases: new Map(leases.rows.map((r) => [r.step_id, { worker: r.worker_id, fence: Number(r.fence) }])),
    jobs: jobs.rows.map((r) => ({ s: r.payload.s, f: r.payload.f })).sort((a, b) => a.s.localeCompare(b.s)),
  };
}

describe('startExecution', () => {
  it('dispatches the steps ready at once, up to the concurrency, with the run and its first event', async () => {
    const spec: PlanSpec = {
      concurrency: 3,
      steps: [
        ...['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, tool: 'core.echo', input: { id } })),
        { id: 'f', tool: 'core.echo', input: {}, after: ['a'] },
      ],
    };
    const planVersionId = await createPlanVersion(db.pools, ws.workspaceId, spec);
    const { executionId } = await start(ws, planVersionId);
    const s = await stored(executionId);
    expect(s.status).toBe('RUNNING');
    expect(s.lastSeq).toBe(1);
    expect(s.events).toEqual([
      { seq: 1, type: 'execution.started', data: { mode: 'LIVE', planVersionId, by: ws.userId } },
    ]);
    expect(Object.fromEntries(s.steps)).toEqual({
      a: { status: 'QUEUED', fence: 1 },
      b: { status: 'QUEUED', fence: 1 },
      c: { status: 'QUEUED', fence: 1 },
      d: { status: 'PENDING', fence: 0 },
      e: { status: 'PENDING', fence: 0 },
      f: { status: 'PENDING', fence: 0 },
    });
    // Dispatched, no worker has begun them: QUEUED (RUNNING means an attempt began).
    // Each dispatched step has its job and a queued lease, so a lost job is swept like before.
    expect(s.jobs).toEqual([
      { s: 'a', f: 1 },
      { s: 'b', f: 1 },
      { s: 'c', f: 1 },
    ]);
    expect(Object.fromEntries(s.leases)).toEqual({
      a: { worker: 'queue', fence: 1 },
      b: { worker: 'queue', fence: 1 },
      c: { worker: 'queue', fence: 1 },
    });
  });

  it('announces the run and its first event when the caller commits', async () => {
    const planVersionId = await createPlanVersion(db.pools, ws.workspaceId, {
      steps: [{ id: 'a', tool: 'core.echo', input: {} }],
    });
    const listener = new pg.Client({ connectionString: db.ownerUrl });
    await listener.connect();
    try {
      const heard: Array<{ channel: string; payload: Record<string, unknown> }> = [];
      listener.on('notification', (n) => heard.push({ channel: n.channel, payload: JSON.parse(n.payload ?? '{}') }));
      await listener.query('LISTEN weft_events; LISTEN weft_status');
      const { executionId } = await start(ws, planVersionId);
      const deadline = Date.now() + 5000;
      while (heard.filter((h) => h.payload.e === executionId).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const mine = heard.filter((h) => h.payload.e === executionId);
      expect(mine.find((h) => h.channel === 'weft_status')?.payload).toEqual({
        w: ws.workspaceId,
        e: executionId,
        status: 'RUNNING',
      });
      const event = mine.find((h) => h.channel === 'weft_events')?.payload;
      expect(event).toMatchObject({
        w: ws.workspaceId,
        e: executionId,
        seq: 1,
        t: 'execution.started',
        s: null,
        d: { mode: 'LIVE', planVersionId, by: ws.userId },
      });
      // `at` as a JS Date serialises it, and the same instant the database stored.
      const at = String(event?.at);
      expect(new Date(at).toISOString()).toBe(at);
      const { rows } = await db.pools.owner.query<{ at: Date }>(
        'SELECT at FROM execution_events WHERE execution_id = $1 AND seq = 1',
        [executionId],
      );
      expect(rows[0]?.at.toISOString()).toBe(at);
    } finally {
      await listener.end();
    }
  });

  it("starts nothing from another workspace's version, even one this engine has cached", async () => {
    const planVersionId = await createPlanVersion(db.pools, ws.workspaceId, {
      steps: [{ id: 'a', tool: 'core.echo', input: {} }],
    });
    await start(ws, planVersionId); // now cached
    await expect(start(other, planVersionId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { rows } = await db.pools.owner.query('SELECT 1 FROM executions WHERE workspace_id = $1', [
      other.workspaceId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('opens an approval gate that is ready at start, through advance', async () => {
    const planVersionId = await createPlanVersion(db.pools, ws.workspaceId, {
      steps: [
        { id: 'gate', type: 'approval', message: 'Go?', approvers: ['ADMIN'] },
        { id: 'free', tool: 'core.echo', input: {} },
        { id: 'after', tool: 'core.echo', input: {}, after: ['gate'] },
      ],
    });
    const { executionId } = await start(ws, planVersionId);
    const s = await stored(executionId);
    expect(s.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'execution.started'],
      [2, 'approval.requested'],
    ]);
    expect(s.steps.get('gate')?.status).toBe('WAITING_APPROVAL');
    expect(s.steps.get('free')).toEqual({ status: 'QUEUED', fence: 1 });
    expect(s.steps.get('after')).toEqual({ status: 'PENDING', fence: 0 });
    expect(s.jobs).toEqual([{ s: 'free', f: 1 }]);
  });

  it('weft_enqueue_many queues only engine tasks for the workspace in scope', async () => {
    const enqueue = (task: string, payloads: unknown[]) =>
      withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (c) => {
        const { rows } = await c.query<{ n: number }>('SELECT weft_enqueue_many($1, $2::json[], NULL) AS n', [
          task,
          payloads.map((p) => JSON.stringify(p)),
        ]);
        return rows[0]?.n;
      });
    await expect(enqueue('weft.step', [{ w: ws.workspaceId }, { w: other.workspaceId }])).rejects.toThrow(
      /not for the workspace in scope/,
    );
    await expect(enqueue('other.task', [{ w: ws.workspaceId }])).rejects.toThrow(/not an engine task/);
    expect(await enqueue('weft.test-noop', [])).toBe(0);
    const marker = `m-${Date.now()}`;
    expect(
      await enqueue('weft.test-noop', [
        { w: ws.workspaceId, m: marker },
        { w: ws.workspaceId, m: marker },
      ]),
    ).toBe(2);
    const { rows } = await db.pools.owner.query<{ max_attempts: number }>(
      `SELECT j.max_attempts FROM graphile_worker._private_jobs j WHERE j.payload ->> 'm' = $1`,
      [marker],
    );
    expect(rows.map((r) => r.max_attempts)).toEqual([10, 10]);
  });
});
