import { gql } from '@apollo/client';
import { encodeTenantId } from '@weft/schema';
import {
  createTestDatabase,
  type ServerProcess,
  signUpUser,
  startServerProcess,
  TEST_SECRET_KEY,
  TestClient,
  type TestDatabase,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_SPEC,
  CANCEL_EXECUTION,
  CREATE_PLAN,
  CREATE_SCHEDULE,
  CREATE_WORKSPACE,
  DELETE_SCHEDULE,
  UPDATE_SCHEDULE,
} from '../graphql/operations.ts';

// Two API processes (each with its ticker and one worker) share one database: every tick of a
// schedule starts exactly one run, on time, whichever process takes it.

const ECHO = { name: 'tick', steps: [{ id: 'echo', tool: 'core.echo', input: { n: '{{ input.n }}' } }] };

interface Run {
  execution_id: string;
  scheduled_for: Date;
  fired_at: Date;
  trigger: string;
  input: unknown;
  status: string;
}

let db: TestDatabase;
let api1: ServerProcess;
let api2: ServerProcess;
let admin: TestUser;
let workspaceId: string;

async function newPlan(name: string, spec: object): Promise<string> {
  const r = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId, name, spec },
  });
  return r.data?.createPlan.plan.id ?? '';
}

async function createSchedule(input: Record<string, unknown>) {
  const r = await admin.client.mutate<{
    createSchedule: {
      schedule: { id: string; nextRunAt: string | null; paused: boolean } | null;
      userErrors: { code: string; field: string[] | null }[];
    };
  }>(CREATE_SCHEDULE, { input });
  expect(r.errors).toEqual([]);
  const payload = r.data?.createSchedule;
  if (payload === undefined) throw new Error('no payload');
  return payload;
}

function rawId(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  return decoded.slice(decoded.lastIndexOf(':') + 1);
}

async function runsOf(scheduleId: string): Promise<Run[]> {
  const { rows } = await db.pools.owner.query<Run>(
    `SELECT r.execution_id, r.scheduled_for, r.fired_at, e.trigger, e.input, e.status
       FROM schedule_runs r JOIN executions e ON e.id = r.execution_id
      WHERE r.schedule_id = $1 ORDER BY r.scheduled_for, r.fired_at`,
    [rawId(scheduleId)],
  );
  return rows;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' };
  [api1, api2] = await Promise.all([startServerProcess({ env }), startServerProcess({ env })]);
  admin = await signUpUser(new TestClient(api1.url), 'sched');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'sched', name: 'Schedules' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
}, 120_000);

afterAll(async () => {
  await Promise.all([api1?.stop(), api2?.stop()]);
  await db?.drop();
});

describe('schedules', () => {
  it('fires a 6-field schedule every 2 s once per tick across two processes, then stops when paused', async () => {
    const planId = await newPlan('every-two', ECHO);
    const { schedule } = await createSchedule({
      planId,
      cron: '*/2 * * * * *',
      input: { n: 42 },
      overlap: 'ALLOW_ALL',
    });
    if (!schedule) throw new Error('no schedule');
    expect(schedule.nextRunAt).not.toBeNull();
    const runs = await until(
      () => runsOf(schedule.id),
      (r) => r.length >= 3,
    );
    const paused = await admin.client.mutate<{ updateSchedule: { schedule: { paused: boolean; nextRunAt: null } } }>(
      UPDATE_SCHEDULE,
      { input: { id: schedule.id, paused: true } },
    );
    expect(paused.data?.updateSchedule.schedule).toMatchObject({ paused: true, nextRunAt: null });

    expect(runs.length).toBeGreaterThanOrEqual(3);
    // One run per tick: no tick was taken by both processes.
    const ticks = runs.map((r) => r.scheduled_for.getTime());
    expect(new Set(ticks).size).toBe(runs.length);
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1] as Run;
      const run = runs[i] as Run;
      expect(run.scheduled_for.getTime() - prev.scheduled_for.getTime()).toBe(2000);
      // Taken about 2 s after the previous one (each within a second of its time).
      const gap = run.fired_at.getTime() - prev.fired_at.getTime();
      expect(gap).toBeGreaterThan(1000);
      expect(gap).toBeLessThan(3000);
    }
    for (const run of runs) {
      expect(run.fired_at.getTime() - run.scheduled_for.getTime()).toBeLessThan(1000);
      expect(run).toMatchObject({ trigger: 'SCHEDULE', input: { n: 42 } });
    }

    // Paused: nothing more fires (the count can still grow by a tick taken while pausing).
    const atPause = (await runsOf(schedule.id)).length;
    await sleep(3000);
    expect((await runsOf(schedule.id)).length).toBe(atPause);

    // The schedule lists its runs, as SCHEDULE runs that finished.
    const listed = await admin.client.query<{
      node: { executions: { edges: { node: { trigger: string; status: string; output: unknown } }[] } };
    }>(
      gql`query ScheduleRuns($id: ID!) { node(id: $id) { ... on Schedule { executions(first: 2) {
         edges { node { trigger status output } } } } } }`,
      { id: schedule.id },
    );
    const nodes = listed.data?.node.executions.edges.map((e) => e.node) ?? [];
    expect(nodes).toHaveLength(2);
    for (const node of nodes) expect(node.trigger).toBe('SCHEDULE');
  }, 40_000);

  it('after downtime fires once for all the missed times, then keeps its rhythm', async () => {
    const planId = await newPlan('missed', ECHO);
    const { schedule } = await createSchedule({ planId, cron: '* * * * *', input: { n: 1 }, overlap: 'ALLOW_ALL' });
    if (!schedule) throw new Error('no schedule');
    // Ten minutes of ticks were missed (as if no process had run).
    await db.pools.owner.query(`UPDATE schedules SET next_run_at = now() - interval '10 minutes' WHERE id = $1`, [
      rawId(schedule.id),
    ]);
    const runs = await until(
      () => runsOf(schedule.id),
      (r) => r.length >= 1,
    );
    await sleep(2000);
    expect(await runsOf(schedule.id)).toHaveLength(1);
    expect(runs[0]?.trigger).toBe('SCHEDULE');
    const { rows } = await db.pools.owner.query<{ next_run_at: Date; last_run_at: Date }>(
      'SELECT next_run_at, last_run_at FROM schedules WHERE id = $1',
      [rawId(schedule.id)],
    );
    const next = rows[0]?.next_run_at as Date;
    // The next time is the next minute boundary from now, not one of the missed ones.
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getUTCSeconds()).toBe(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(rows[0]?.last_run_at).not.toBeNull();
  }, 30_000);

  it('applies the overlap policies while an earlier run is still going', async () => {
    // An approval gate keeps each run WAITING_APPROVAL: it does not end on its own.
    const skipPlan = await newPlan('gate-skip', APPROVAL_SPEC);
    const bufferPlan = await newPlan('gate-buffer', APPROVAL_SPEC);
    const cancelPlan = await newPlan('gate-cancel', APPROVAL_SPEC);
    const every = '* * * * * *';
    const skip = (await createSchedule({ planId: skipPlan, cron: every, overlap: 'SKIP' })).schedule;
    const buffer = (await createSchedule({ planId: bufferPlan, cron: every, overlap: 'BUFFER_ONE' })).schedule;
    const cancel = (await createSchedule({ planId: cancelPlan, cron: every, overlap: 'CANCEL_OTHER' })).schedule;
    if (!skip || !buffer || !cancel) throw new Error('no schedule');
    await sleep(3500);
    for (const s of [skip, cancel]) await admin.client.mutate(UPDATE_SCHEDULE, { input: { id: s.id, paused: true } });
    expect(await runsOf(skip.id)).toHaveLength(1);

    const cancelled = await runsOf(cancel.id);
    expect(cancelled.length).toBeGreaterThanOrEqual(2);
    expect(cancelled.slice(0, -1).map((r) => r.status)).toEqual(cancelled.slice(0, -1).map(() => 'CANCELLED'));
    expect(cancelled.at(-1)?.status).toBe('WAITING_APPROVAL');

    // BUFFER_ONE kept one tick: it runs once the first run ends (here: cancelled), not before.
    const buffered = await runsOf(buffer.id);
    expect(buffered).toHaveLength(1);
    const { rows } = await db.pools.owner.query<{ buffered: boolean }>('SELECT buffered FROM schedules WHERE id = $1', [
      rawId(buffer.id),
    ]);
    expect(rows[0]?.buffered).toBe(true);
    const first = buffered[0] as Run;
    const cancelRun = await admin.client.mutate<{ cancelExecution: { userErrors: unknown[] } }>(CANCEL_EXECUTION, {
      input: { id: encodeTenantId('Execution', rawId(workspaceId), first.execution_id) },
    });
    expect(cancelRun.data?.cancelExecution.userErrors).toEqual([]);
    const after = await until(
      () => runsOf(buffer.id),
      (r) => r.length >= 2,
      5000,
    );
    expect(after.length).toBeGreaterThanOrEqual(2);
    await admin.client.mutate(UPDATE_SCHEDULE, { input: { id: buffer.id, paused: true } });
  }, 30_000);

  it('refuses a bad cron or time zone with userErrors and writes nothing', async () => {
    const planId = await newPlan('bad', ECHO);
    const before = await db.pools.owner.query('SELECT count(*)::int AS n FROM schedules');
    const badCron = await createSchedule({ planId, cron: '61 * * * *' });
    expect(badCron.schedule).toBeNull();
    expect(badCron.userErrors.map((e) => e.field)).toEqual([['cron']]);
    const badZone = await createSchedule({ planId, cron: '0 9 * * 1', timezone: 'Mars/Olympus' });
    expect(badZone.userErrors.map((e) => e.field)).toEqual([['timezone']]);
    const sevenFields = await createSchedule({ planId, cron: '0 0 9 * * 1 2030' });
    expect(sevenFields.userErrors.map((e) => e.field)).toEqual([['cron']]);
    const after = await db.pools.owner.query('SELECT count(*)::int AS n FROM schedules');
    expect(after.rows[0]).toEqual(before.rows[0]);

    // A good one in a zone, deleted again.
    const good = await createSchedule({ planId, cron: '0 9 * * 1', timezone: 'Europe/Berlin', paused: true });
    expect(good.userErrors).toEqual([]);
    const update = await admin.client.mutate<{ updateSchedule: { userErrors: { field: string[] }[] } }>(
      UPDATE_SCHEDULE,
      { input: { id: good.schedule?.id, timezone: 'Not/AZone' } },
    );
    expect(update.data?.updateSchedule.userErrors.map((e) => e.field)).toEqual([['timezone']]);
    const deleted = await admin.client.mutate<{ deleteSchedule: { schedule: { id: string } } }>(DELETE_SCHEDULE, {
      input: { id: good.schedule?.id },
    });
    expect(deleted.data?.deleteSchedule.schedule.id).toBe(good.schedule?.id);
    const { rows } = await db.pools.owner.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE action LIKE 'schedule.%' AND target_id = $1 ORDER BY at`,
      [good.schedule?.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['schedule.create', 'schedule.delete']);
  });
});
