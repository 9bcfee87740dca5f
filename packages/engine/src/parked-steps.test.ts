import { randomUUID } from 'node:crypto';
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
import { createEngine, type Engine } from './engine.ts';
import type { PlanSpec } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const admin = () => ({ userId: ws.userId, role: 'ADMIN' as const });

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  // One slot: a parked step that held it would stop every other run.
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 1, pollIntervalMs: 200 });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const start = (spec: PlanSpec, input: unknown = {}, mode?: 'DRY_RUN') =>
  startRun(db.pools, engine, ws, spec, { input, ...(mode === undefined ? {} : { mode }) });
const read = (id: string) => readExecution(db.pools, ws.workspaceId, id);
const stepStatus = async (id: string, step: string) => (await read(id)).steps[step]?.status;
const inWs = <T>(
  work: (c: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<T>,
  workspaceId = ws.workspaceId,
) => withTenant(db.pools.app, { workspaceId }, work);
const send = (name: string, data: unknown, sentAt = new Date(), workspaceId = ws.workspaceId) =>
  inWs((c) => engine.deliverEvent(c, { workspaceId, eventId: randomUUID(), name, data, sentAt }), workspaceId);
const parkedRows = async (id: string) =>
  (await inWs((c) => c.query('SELECT step_id, kind FROM parked_steps WHERE execution_id = $1', [id]))).rows;
const waiting = (id: string, step: string) =>
  eventually(async () => ((await stepStatus(id, step)) === 'WAITING' ? true : undefined), 10_000, `${step} WAITING`);

describe('durable sleep', () => {
  it('parks without a worker slot: sleeping runs do not delay another run on a one-slot worker', async () => {
    const sleepers = await Promise.all(
      [1, 2, 3].map(() =>
        start({
          steps: [
            { id: 'nap', type: 'sleep', durationMs: 8000 },
            { id: 'after', tool: 'core.echo', input: {} },
          ],
        }),
      ),
    );
    for (const id of sleepers) await waiting(id, 'nap');
    const echo = await start({ steps: [{ id: 'hello', tool: 'core.echo', input: { hi: 1 } }] });
    const done = await waitForExecution(db.pools, ws.workspaceId, echo);
    expect(done.status).toBe('SUCCEEDED');
    // The echo ran while all three still slept: they held nothing it needed.
    for (const id of sleepers) {
      const s = await read(id);
      expect(s.status).toBe('RUNNING');
      expect(s.steps.nap?.status).toBe('WAITING');
    }
    const { rows: leases } = await db.pools.owner.query(
      'SELECT 1 FROM step_leases WHERE execution_id = ANY($1::uuid[])',
      [sleepers],
    );
    expect(leases).toEqual([]);
    for (const id of sleepers) {
      const s = await waitForExecution(db.pools, ws.workspaceId, id);
      expect(s.status).toBe('SUCCEEDED');
      expect((s.steps.nap?.output as { sleptMs?: number } | undefined)?.sleptMs).toBeGreaterThanOrEqual(8000);
      expect(s.events.map((e) => `${e.type}:${e.stepId ?? ''}`)).toContain('step.waiting:nap');
      expect(await parkedRows(id)).toEqual([]);
    }
  }, 30_000);

  it('sleeps until a templated date-time, and fails clearly when it renders to something else', async () => {
    const until = new Date(Date.now() + 1500).toISOString();
    const ok = await start({ steps: [{ id: 'nap', type: 'sleep', until: '{{ input.at }}' }] }, { at: until });
    const bad = await start({ steps: [{ id: 'nap', type: 'sleep', until: '{{ input.at }}' }] }, { at: 'tomorrow' });
    const failed = await waitForExecution(db.pools, ws.workspaceId, bad);
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.nap?.error).toBe(
      '"until" rendered to "tomorrow", which is not an ISO 8601 date-time with a time zone',
    );
    const done = await waitForExecution(db.pools, ws.workspaceId, ok);
    expect(done.status).toBe('SUCCEEDED');
    const waitingEvent = done.events.find((e) => e.type === 'step.waiting');
    expect(new Date((waitingEvent?.data as { until?: string } | undefined)?.until ?? '').toISOString()).toBe(until);
  });

  it('sleeps of a workspace due in the same tenth of a second share one wake job, and all wake', async () => {
    const until = new Date(Date.now() + 2500);
    until.setMilliseconds(500);
    if (until.getTime() < Date.now() + 1500) until.setTime(until.getTime() + 1000);
    const ids = await Promise.all(
      [1, 2, 3].map(() =>
        start({ steps: [{ id: 'nap', type: 'sleep', until: '{{ input.at }}' }] }, { at: until.toISOString() }),
      ),
    );
    const { rows } = await db.pools.owner.query<{ key: string; n: number; run_at: Date }>(
      `SELECT j.key, json_array_length(j.payload) AS n, j.run_at FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'weft.wake' AND j.key LIKE $1`,
      [`weft.wake:${ws.workspaceId}:${until.getTime()}`],
    );
    expect(rows).toEqual([{ key: `weft.wake:${ws.workspaceId}:${until.getTime()}`, n: 3, run_at: until }]);
    for (const id of ids) expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
  });

  it('a sleep falling due while paused completes then; the next step starts on resume', async () => {
    const id = await start({
      steps: [
        { id: 'nap', type: 'sleep', durationMs: 300 },
        { id: 'next', tool: 'core.echo', input: {}, after: ['nap'] },
      ],
    });
    await waiting(id, 'nap');
    expect(await inWs((c) => engine.pauseExecution(c, ws.workspaceId, id, admin()))).toEqual({
      ok: true,
      status: 'PAUSED',
    });
    await eventually(async () => ((await stepStatus(id, 'nap')) === 'SUCCEEDED' ? true : undefined));
    const paused = await read(id);
    expect(paused.status).toBe('PAUSED');
    expect(paused.steps.next?.status).toBe('PENDING');
    await inWs((c) => engine.resumeExecution(c, ws.workspaceId, id, admin()));
    expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
  });

  it('cancel closes a parked step: its row goes, its wake job later finds nothing to do', async () => {
    const id = await start({ steps: [{ id: 'nap', type: 'sleep', durationMs: 600 }] });
    await waiting(id, 'nap');
    expect(await inWs((c) => engine.cancelExecution(c, ws.workspaceId, id, admin()))).toEqual({
      ok: true,
      status: 'CANCELLED',
    });
    expect(await parkedRows(id)).toEqual([]);
    const after = await read(id);
    expect(after.steps.nap?.status).toBe('CANCELLED');
    // Past the due time the wake job has run: the step stays cancelled, no event was added.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await read(id);
    expect(later.steps.nap?.status).toBe('CANCELLED');
    expect(later.events.length).toBe(after.events.length);
  });

  it('rollback of a run cancelled while parked compensates what completed before it', async () => {
    const id = await start({
      steps: [
        {
          id: 'book',
          tool: 'core.echo',
          input: { booked: true },
          compensate: { tool: 'core.echo', input: { undo: true } },
        },
        { id: 'nap', type: 'sleep', durationMs: 60_000, after: ['book'] },
      ],
    });
    await waiting(id, 'nap');
    await inWs((c) => engine.cancelExecution(c, ws.workspaceId, id, admin()));
    expect(await inWs((c) => engine.rollbackExecution(c, ws.workspaceId, id, admin()))).toEqual({
      ok: true,
      status: 'ROLLING_BACK',
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, id, ['ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.steps.book?.status).toBe('COMPENSATED');
    expect(done.steps.nap?.status).toBe('CANCELLED');
  });

  it('a dry run does not wait: sleeps end at once, waits answer their mock', async () => {
    const id = await start(
      {
        steps: [
          { id: 'nap', type: 'sleep', durationMs: 3_600_000 },
          { id: 'ev', type: 'wait', event: 'order.paid', after: ['nap'] },
        ],
        mocks: { ev: { paid: true } },
      },
      {},
      'DRY_RUN',
    );
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect((done.steps.nap?.output as { sleptMs?: number } | undefined)?.sleptMs).toBeLessThan(3_600_000);
    expect(done.steps.ev?.output).toEqual({ paid: true });
  });
});

describe('wait for an event', () => {
  const plan: PlanSpec = {
    steps: [
      { id: 'pay', type: 'wait', event: 'order.paid', match: { orderId: '{{ input.orderId }}' }, timeoutMs: 60_000 },
      { id: 'ship', tool: 'core.echo', input: { paid: '{{ steps.pay.output.amount }}' } },
    ],
  };

  it('ignores other names, other values and events sent before it began; resumes on a match', async () => {
    const before = new Date();
    const id = await start(plan, { orderId: 'A-1' });
    await waiting(id, 'pay');
    expect(await send('order.paid', { orderId: 'B-2', amount: 1 })).toEqual({ resumed: 0 });
    expect(await send('order.refunded', { orderId: 'A-1', amount: 1 })).toEqual({ resumed: 0 });
    expect(await send('order.paid', { orderId: 'A-1', amount: 1 }, before)).toEqual({ resumed: 0 });
    expect(await stepStatus(id, 'pay')).toBe('WAITING');
    expect(await send('order.paid', { orderId: 'A-1', amount: 42 })).toEqual({ resumed: 1 });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.pay?.output).toEqual({ orderId: 'A-1', amount: 42 });
    expect(done.steps.ship?.output).toEqual({ paid: 42 });
    // A second delivery finds nothing left to resume.
    expect(await send('order.paid', { orderId: 'A-1', amount: 42 })).toEqual({ resumed: 0 });
  });

  it("another workspace's event resumes nothing here", async () => {
    const id = await start(plan, { orderId: 'X-9' });
    await waiting(id, 'pay');
    const other = await createWorkspace(db.pools);
    expect(await send('order.paid', { orderId: 'X-9' }, new Date(), other.workspaceId)).toEqual({ resumed: 0 });
    expect(await stepStatus(id, 'pay')).toBe('WAITING');
    await inWs((c) => engine.cancelExecution(c, ws.workspaceId, id, admin()));
  });

  it('times out clearly; retryExecution waits again and a later event completes it', async () => {
    const id = await start({ steps: [{ id: 'pay', type: 'wait', event: 'order.paid', timeoutMs: 300 }] });
    const failed = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.pay?.error).toBe('timed out after 300 ms waiting for event "order.paid"');
    expect(failed.events.find((e) => e.type === 'step.failed')?.data).toMatchObject({ timedOut: true });
    expect(await parkedRows(id)).toEqual([]);

    expect(await inWs((c) => engine.retryExecution(c, ws.workspaceId, id, admin()))).toEqual({
      ok: true,
      status: 'RUNNING',
    });
    expect(await stepStatus(id, 'pay')).toBe('WAITING');
    expect(await send('order.paid', { ok: true })).toEqual({ resumed: 1 });
    expect((await waitForExecution(db.pools, ws.workspaceId, id)).steps.pay?.output).toEqual({ ok: true });
  });

  it('a failed sibling ends the run: its parked wait is cancelled, not left waiting', async () => {
    const id = await start({
      steps: [
        { id: 'pay', type: 'wait', event: 'never' },
        { id: 'boom', tool: 'core.fail', input: { message: 'boom' } },
      ],
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.pay?.status).toBe('CANCELLED');
    expect(await parkedRows(id)).toEqual([]);
  });
});

describe('QUEUED', () => {
  it('a dispatched step that no worker has begun reads QUEUED; RUNNING means an attempt began', async () => {
    const busy = await start({ steps: [{ id: 'hold', tool: 'core.sleep', input: { ms: 1500 } }] });
    await eventually(async () => ((await stepStatus(busy, 'hold')) === 'RUNNING' ? true : undefined));
    // The only slot is taken: the next run's step is dispatched but cannot begin yet.
    const queued = await start({ steps: [{ id: 'hello', tool: 'core.echo', input: {} }] });
    expect(await stepStatus(queued, 'hello')).toBe('QUEUED');
    expect(await stepStatus(busy, 'hold')).toBe('RUNNING');
    expect((await waitForExecution(db.pools, ws.workspaceId, queued)).steps.hello?.status).toBe('SUCCEEDED');
  });
});
