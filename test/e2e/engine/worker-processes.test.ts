// Real worker processes (`apps/api/src/worker-main.ts`) against one database: crash, stall and
// restart them mid-run and check what users rely on (docs/engine.md "What users rely on").
import type { ChildProcess } from 'node:child_process';
import { withTenant } from '@weft/db';
import { createEngine, type Engine, type PlanSpec } from '@weft/engine';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  startRun,
  startWorkerProcess,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const children: ChildProcess[] = [];

interface Worker {
  child: ChildProcess;
  output(): string;
}

async function startWorker(): Promise<Worker> {
  const worker = await startWorkerProcess({
    env: {
      DATABASE_URL: db.ownerUrl,
      STEP_LEASE_MS: '1000',
      WORKER_CONCURRENCY: '4',
      SECRET_KEY: 'test-secret-key-that-is-long-enough-1234',
    },
  });
  children.push(worker.child);
  return worker;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 6 });
  // The test's own engine starts runs and decides approvals; it runs no workers.
  engine = createEngine({ pools: db.pools, stepLeaseMs: 1000 });
  ws = await createWorkspace(db.pools);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.signalCode === 'SIGSTOP') child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited(child);
  }
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const start = (spec: PlanSpec) => startRun(db.pools, engine, ws, spec);

/** `kill -9` of `worker`, a fresh worker in its place, and the run carried to success: its end and attempts. */
async function killAndRecover(worker: Worker, executionId: string) {
  worker.child.kill('SIGKILL');
  await exited(worker.child);
  await startWorker();
  const done = await waitForExecution(db.pools, ws.workspaceId, executionId, undefined, 30_000);
  expect(done.status).toBe('SUCCEEDED');
  return { done, rows: await attempts(executionId) };
}

async function attempts(executionId: string) {
  const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
    c.query<{ step_id: string; attempt: number; status: string; error: string | null; worker_id: string }>(
      `SELECT step_id, attempt, status, error, worker_id FROM step_attempts
        WHERE execution_id = $1 AND kind = 'run' ORDER BY step_id, attempt`,
      [executionId],
    ),
  );
  return rows;
}

async function itemRows(executionId: string, status: string) {
  const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
    c.query<{ idx: number; attempts: number; output: unknown }>(
      'SELECT idx, attempts, output FROM map_items WHERE execution_id = $1 AND status = $2 ORDER BY idx',
      [executionId, status],
    ),
  );
  return rows;
}

const whenRunning = (executionId: string, stepId: string) =>
  eventually(
    async () => {
      const rows = await attempts(executionId);
      return rows.find((r) => r.step_id === stepId && r.status === 'RUNNING');
    },
    20_000,
    `${stepId} running`,
  );

describe('worker processes', () => {
  it('kill -9 mid-step: the step runs once more after its lease, everything else exactly once', async () => {
    const a = await startWorker();
    const id = await start({
      steps: [
        { id: 'first', tool: 'core.echo', input: { v: 1 } },
        { id: 'side', tool: 'core.echo', input: { v: 2 } },
        { id: 'slow', tool: 'core.sleep', input: { ms: 3000 }, after: ['first'] },
        { id: 'last', tool: 'core.echo', input: { v: '{{ steps.first.output.v }}' }, after: ['slow'] },
      ],
    });
    await whenRunning(id, 'slow');
    // Kill it when 'slow' is the only step in flight (a step caught mid-way would rightly run again).
    await eventually(async () => {
      const rows = await attempts(id);
      return ['first', 'side'].every((s) => rows.some((r) => r.step_id === s && r.status === 'SUCCEEDED'))
        ? true
        : undefined;
    });
    const { done, rows } = await killAndRecover(a, id);
    expect(rows.filter((r) => r.step_id === 'slow').map((r) => r.status)).toEqual(['LOST', 'SUCCEEDED']);
    for (const step of ['first', 'side', 'last']) {
      expect(
        rows.filter((r) => r.step_id === step).map((r) => r.status),
        step,
      ).toEqual(['SUCCEEDED']);
    }
    expect(done.events.filter((e) => e.type === 'execution.succeeded')).toHaveLength(1);
    expect(done.events.map((e) => e.type)).toContain('step.lost');
  }, 90_000);

  it('a worker killed mid-step is noticed by a surviving worker within its lease and a sweep', async () => {
    const workers = [await startWorker(), await startWorker()];
    const id = await start({ steps: [{ id: 'slow', tool: 'core.sleep', input: { ms: 2500 } }] });
    const running = await whenRunning(id, 'slow');
    // worker ids are host:pid:suffix; kill whichever process holds the attempt.
    const pid = Number(running.worker_id.split(':')[1]);
    const holder = workers.find((w) => w.child.pid === pid);
    if (holder === undefined) throw new Error(`no worker process has pid ${pid}`);
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 30_000);
    expect(done.status).toBe('SUCCEEDED');
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query<{ at: Date }>(`SELECT at FROM execution_events WHERE execution_id = $1 AND type = 'step.lost'`, [id]),
    );
    expect(rows).toHaveLength(1);
    // The dead worker's last heartbeat was at most STEP_LEASE_MS / 3 before the kill, so its lease
    // ends at most STEP_LEASE_MS (1000) after it, and the survivor sweeps every STEP_LEASE_MS / 4.
    // The rest is slack for a loaded machine; a sweep that only ran at start-up or a lease that was
    // never checked would take the step's whole run (seconds) or forever.
    const noticedAfterMs = (rows[0]?.at.getTime() ?? Number.POSITIVE_INFINITY) - killedAt;
    expect(noticedAfterMs).toBeLessThan(1000 + 250 + 1000);
    const runs = (await attempts(id)).map((r) => `${r.status}:${r.worker_id.split(':')[1]}`);
    const survivor = workers.find((w) => w !== holder)?.child.pid;
    expect(runs).toEqual([`LOST:${pid}`, `SUCCEEDED:${survivor}`]);
  }, 90_000);

  it('kill -9 mid-map: its items run again on the survivor within the lease, finished items never', async () => {
    const workers = await Promise.all([startWorker(), startWorker()]);
    const ms = Array.from({ length: 8 }, (_, i) => 1200 + 100 * i);
    const id = await startRun(
      db.pools,
      engine,
      ws,
      {
        steps: [
          {
            id: 'each',
            type: 'map',
            over: '{{ input.ms }}',
            tool: 'core.sleep',
            input: { ms: '{{ item }}' },
            concurrency: 4,
          },
        ],
      },
      { input: { ms } },
    );
    // An item a worker has begun holds an item lease in that worker's name.
    const held = await eventually(
      async () => {
        const { rows } = await db.pools.owner.query<{ worker_id: string }>(
          `SELECT worker_id FROM step_leases WHERE execution_id = $1 AND kind = 'item' AND worker_id <> 'queue'`,
          [id],
        );
        return rows[0];
      },
      20_000,
      'an item running',
    );
    const pid = Number(held.worker_id.split(':')[1]);
    const holder = workers.find((w) => w.child.pid === pid);
    if (holder === undefined) throw new Error(`no worker process has pid ${pid}`);
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await exited(holder.child);
    const finishedAtKill = await itemRows(id, 'SUCCEEDED');

    const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 30_000);
    expect(done.status).toBe('SUCCEEDED');
    const lost = done.events.filter((e) => e.type === 'map.item_lost');
    const lostBy = lost.map((e) => (e.data as { worker: string | null }).worker);
    expect(lostBy).toContain(held.worker_id);
    // null: an item whose job the dead worker had fetched but not begun, back after its queued lease.
    for (const worker of lostBy) expect([held.worker_id, null]).toContain(worker);
    // Noticed within the lease (1000 ms after the last beat, <= 333 ms before the kill) and a
    // sweep (every 250 ms), with slack for a loaded machine; without item leases: 4 h.
    const firstLost = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query<{ at: Date }>(
        `SELECT min(at) AS at FROM execution_events
          WHERE execution_id = $1 AND type = 'map.item_lost' AND data ->> 'worker' = $2`,
        [id, held.worker_id],
      ),
    );
    expect((firstLost.rows[0]?.at.getTime() ?? Number.POSITIVE_INFINITY) - killedAt).toBeLessThan(1000 + 250 + 1000);
    // An item finished before the kill started once and was never lost; the lost ones finished too.
    const starts = (index: number) =>
      done.events.filter((e) => e.type === 'map.item_started' && (e.data as { index: number }).index === index);
    const lostIndexes = lost.map((e) => (e.data as { index: number }).index);
    for (const row of finishedAtKill) {
      expect(starts(row.idx), `item ${row.idx}`).toHaveLength(1);
      expect(lostIndexes).not.toContain(row.idx);
    }
    const rows = await itemRows(id, 'SUCCEEDED');
    expect(rows.map((r) => r.idx)).toEqual(ms.map((_, i) => i));
    // The lost attempt is the worker's fault: it does not count as one of the item's attempts.
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const output = done.steps.each?.output as Array<{ sleptMs: number }>;
    expect(output).toEqual(rows.map((r) => r.output));
    // Each output is its own item's (in item order): it slept about that item's time. Node's timers
    // may fire up to 1 ms early against Date.now(), which core.sleep measures with.
    expect(output.every((o, i) => o.sleptMs >= (ms[i] ?? 0) - 1)).toBe(true);
    expect(done.events.filter((e) => e.type === 'execution.succeeded')).toHaveLength(1);
  }, 90_000);

  it('kill -9 while running a step it began ahead: the lease brings it back, it runs once more', async () => {
    const a = await startWorker();
    const id = await start({
      steps: [
        { id: 'first', tool: 'core.echo', input: { v: 1 } },
        { id: 'slow', tool: 'core.sleep', input: { ms: 3000 }, after: ['first'] },
        { id: 'last', tool: 'core.echo', input: { v: '{{ steps.first.output.v }}' }, after: ['slow'] },
      ],
    });
    await whenRunning(id, 'slow');
    // 'slow' was begun by the worker that finished 'first', in that transaction: it has no job.
    const { rows: jobs } = await db.pools.owner.query<{ s: string }>(
      `SELECT j.payload ->> 's' AS s FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'weft.step' AND j.payload ->> 'e' = $1`,
      [id],
    );
    expect(jobs.map((j) => j.s)).toEqual(['first']);
    const { done, rows } = await killAndRecover(a, id);
    expect(rows.map((r) => `${r.step_id}:${r.status}`)).toEqual([
      'first:SUCCEEDED',
      'last:SUCCEEDED',
      'slow:LOST',
      'slow:SUCCEEDED',
    ]);
    expect(done.steps.last?.output).toEqual({ v: 1 });
    expect(done.events.filter((e) => e.type === 'execution.succeeded')).toHaveLength(1);
  }, 90_000);

  it('a worker stalled past its lease (SIGSTOP) has its late result rejected by the fence', async () => {
    const a = await startWorker();
    const id = await start({ steps: [{ id: 'slow', tool: 'core.sleep', input: { ms: 1500 } }] });
    await whenRunning(id, 'slow');
    a.child.kill('SIGSTOP');
    await startWorker();
    const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 30_000);
    expect(done.status).toBe('SUCCEEDED');
    a.child.kill('SIGCONT');
    const first = await eventually(
      async () => {
        const row = (await attempts(id))[0];
        return row?.error?.includes('late result rejected') ? row : undefined;
      },
      20_000,
      'late result rejected',
    );
    expect(first.status).toBe('LOST');
    const after = await readExecution(db.pools, ws.workspaceId, id);
    expect(after.status).toBe('SUCCEEDED');
    expect(after.steps.slow?.attempts).toBe(2);
    expect(after.events.filter((e) => e.type.startsWith('execution.') && e.type !== 'execution.started')).toEqual([
      expect.objectContaining({ type: 'execution.succeeded' }),
    ]);
  }, 90_000);

  it('an approval survives a worker restart', async () => {
    const a = await startWorker();
    const id = await start({
      steps: [
        { id: 'prep', tool: 'core.echo', input: { v: 1 } },
        { id: 'gate', type: 'approval', after: ['prep'], approvers: ['ADMIN'] },
        { id: 'go', tool: 'core.echo', input: { v: '{{ steps.prep.output.v }}' }, after: ['gate'] },
      ],
    });
    await waitForExecution(db.pools, ws.workspaceId, id, ['WAITING_APPROVAL']);
    a.child.kill('SIGTERM');
    await exited(a.child);
    expect(a.child.exitCode).toBe(0);
    await startWorker();
    const approvalId = await eventually(async () => {
      const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
        c.query<{ id: string }>(`SELECT id FROM approvals WHERE execution_id = $1`, [id]),
      );
      return rows[0]?.id;
    });
    const decided = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.decideApproval(c, ws.workspaceId, approvalId, {
        approve: true,
        comment: 'after restart',
        actor: { userId: ws.userId, role: 'ADMIN' },
      }),
    );
    expect(decided.ok).toBe(true);
    const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 30_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.go?.output).toEqual({ v: 1 });
  }, 90_000);

  it('cancel reaches a step running in another process promptly', async () => {
    await startWorker();
    const id = await start({ steps: [{ id: 'long', tool: 'core.sleep', input: { ms: 15_000 } }] });
    await whenRunning(id, 'long');
    const cancelledAt = Date.now();
    const result = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.cancelExecution(c, ws.workspaceId, id, { userId: ws.userId, role: 'ADMIN' }),
    );
    expect(result).toEqual({ ok: true, status: 'CANCELLED' });
    // The worker's tool call was aborted and its (now fenced) result came back long before 15 s.
    const row = await eventually(
      async () => {
        const first = (await attempts(id))[0];
        return first?.error?.includes('late result rejected') ? first : undefined;
      },
      10_000,
      'aborted attempt',
    );
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(row.status).toBe('CANCELLED');
    const done = await readExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('CANCELLED');
    expect(done.events.at(-1)?.type).toBe('execution.cancelled');
  }, 60_000);

  it('a rollback interrupted by kill -9 resumes on another worker and completes', async () => {
    const a = await startWorker();
    const id = await start({
      steps: [
        { id: 'first', tool: 'core.echo', input: { v: 1 }, compensate: { tool: 'core.echo', input: { undo: 1 } } },
        {
          id: 'second',
          tool: 'core.echo',
          input: { v: '{{ steps.first.output.v }}' },
          compensate: { tool: 'core.sleep', input: { ms: 2500 } },
        },
      ],
    });
    expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
    const rolled = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.rollbackExecution(c, ws.workspaceId, id, { userId: ws.userId, role: 'ADMIN' }),
    );
    expect(rolled.ok).toBe(true);
    await eventually(
      async () => {
        const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
          c.query(
            `SELECT 1 FROM step_attempts WHERE execution_id = $1 AND kind = 'compensate' AND status = 'RUNNING'`,
            [id],
          ),
        );
        return rows.length > 0 ? true : undefined;
      },
      20_000,
      'compensation running',
    );
    a.child.kill('SIGKILL');
    await exited(a.child);
    await startWorker();
    const done = await waitForExecution(db.pools, ws.workspaceId, id, ['ROLLED_BACK', 'FAILED'], 30_000);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.events.filter((e) => e.type === 'step.compensated').map((e) => e.stepId)).toEqual(['second', 'first']);
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query<{ step_id: string; status: string }>(
        `SELECT step_id, status FROM step_attempts WHERE execution_id = $1 AND kind = 'compensate' ORDER BY step_id, attempt`,
        [id],
      ),
    );
    expect(rows).toEqual([
      { step_id: 'first', status: 'SUCCEEDED' },
      { step_id: 'second', status: 'LOST' },
      { step_id: 'second', status: 'SUCCEEDED' },
    ]);
  }, 90_000);
});
