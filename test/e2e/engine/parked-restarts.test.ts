// Parked steps across process deaths: a sleep whose worker process is killed (`kill -9`) and a
// wait whose API server is killed and restarted still end on time, with nothing lost.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { withTenant } from '@weft/db';
import { createEngine, type Engine, type PlanSpec } from '@weft/engine';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  type ServerProcess,
  startRun,
  startServerProcess,
  startWorkerProcess,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const children: ChildProcess[] = [];
const servers: ServerProcess[] = [];
const SECRET_KEY = 'test-secret-key-that-is-long-enough-1234';

async function startWorker(): Promise<ChildProcess> {
  const { child } = await startWorkerProcess({
    env: { DATABASE_URL: db.ownerUrl, WORKER_CONCURRENCY: '1', SECRET_KEY },
  });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const startApi = () =>
  startServerProcess({
    env: { DATABASE_URL: db.ownerUrl, WORKERS: '1', WORKER_CONCURRENCY: '1', SECRET_KEY },
    readyTimeoutMs: 90_000,
  }).then((s) => {
    servers.push(s);
    return s;
  });

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 6 });
  // The test's own engine starts runs and delivers events; it runs no workers.
  engine = createEngine({ pools: db.pools });
  ws = await createWorkspace(db.pools);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await exited(child);
  }
  for (const server of servers.splice(0)) await server.stop('SIGKILL').catch(() => undefined);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const start = (spec: PlanSpec, input: unknown = {}) => startRun(db.pools, engine, ws, spec, { input });
const stepStatus = async (id: string, step: string) =>
  (await readExecution(db.pools, ws.workspaceId, id)).steps[step]?.status;
const waiting = (id: string, step: string) =>
  eventually(async () => ((await stepStatus(id, step)) === 'WAITING' ? true : undefined), 20_000, `${step} WAITING`);

/**
 * On time: not before `parkedAt + ms`, and at most 3 s (a poll or two on a busy machine) after
 * that or after a worker was back (`backAt`), whichever is later: a restart under load can take
 * longer than the wait itself, and nothing can wake while no worker runs.
 */
function expectOnTime(w: { parkedAt: Date; endedAt: Date }, ms: number, backAt: number): void {
  const due = w.parkedAt.getTime() + ms;
  expect(w.endedAt.getTime()).toBeGreaterThanOrEqual(due);
  expect(w.endedAt.getTime()).toBeLessThan(Math.max(due, backAt) + 3000);
}

/** When the step's `step.waiting` and its ending event were written (database clock). */
async function waitedFor(executionId: string, stepId: string): Promise<{ parkedAt: Date; endedAt: Date }> {
  const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
    c.query<{ type: string; at: Date }>(
      `SELECT type, at FROM execution_events WHERE execution_id = $1 AND step_id = $2
          AND type IN ('step.waiting', 'step.succeeded', 'step.failed') ORDER BY seq`,
      [executionId, stepId],
    ),
  );
  const parkedAt = rows.find((r) => r.type === 'step.waiting')?.at;
  const endedAt = rows.find((r) => r.type !== 'step.waiting')?.at;
  if (parkedAt === undefined || endedAt === undefined) throw new Error(`no wait recorded for ${stepId}`);
  return { parkedAt, endedAt };
}

describe('parked steps survive process deaths', () => {
  it('a sleep whose worker is killed with -9 wakes on time under a new worker', async () => {
    const worker = await startWorker();
    const id = await start({
      steps: [
        { id: 'nap', type: 'sleep', durationMs: 5000 },
        { id: 'after', tool: 'core.echo', input: { slept: '{{ steps.nap.output.sleptMs }}' } },
      ],
    });
    await waiting(id, 'nap');
    worker.kill('SIGKILL');
    await exited(worker);
    await startWorker();
    const backAt = Date.now();
    const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 30_000);
    expect(done.status).toBe('SUCCEEDED');
    expectOnTime(await waitedFor(id, 'nap'), 5000, backAt);
    expect((done.steps.after?.output as { slept?: number } | undefined)?.slept).toBeGreaterThanOrEqual(5000);
  }, 90_000);

  it('waits outlive an API restart: one resumes on its event, the other times out on time', async () => {
    const first = await startApi();
    const plan = (timeoutMs: number): PlanSpec => ({
      steps: [
        { id: 'pay', type: 'wait', event: 'order.paid', match: { orderId: '{{ input.orderId }}' }, timeoutMs },
        { id: 'ship', tool: 'core.echo', input: { amount: '{{ steps.pay.output.amount }}' } },
      ],
    });
    const resumes = await start(plan(60_000), { orderId: 'R-1' });
    const times = await start(plan(6000), { orderId: 'T-1' });
    await waiting(resumes, 'pay');
    await waiting(times, 'pay');
    await first.stop('SIGKILL');
    await startApi();
    const backAt = Date.now();

    const { resumed } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.deliverEvent(c, {
        workspaceId: ws.workspaceId,
        eventId: randomUUID(),
        name: 'order.paid',
        data: { orderId: 'R-1', amount: 7 },
        sentAt: new Date(),
      }),
    );
    expect(resumed).toBe(1);
    const shipped = await waitForExecution(db.pools, ws.workspaceId, resumes, undefined, 30_000);
    expect(shipped.status).toBe('SUCCEEDED');
    expect(shipped.steps.ship?.output).toEqual({ amount: 7 });

    const timedOut = await waitForExecution(db.pools, ws.workspaceId, times, undefined, 30_000);
    expect(timedOut.status).toBe('FAILED');
    expect(timedOut.steps.pay?.error).toBe('timed out after 6000 ms waiting for event "order.paid"');
    expectOnTime(await waitedFor(times, 'pay'), 6000, backAt);
  }, 150_000);
});
