/**
 * Taking one tick of one schedule, in one tenant transaction: lock the schedule row (SKIP LOCKED:
 * another process holding it is taking this tick), check under the lock that it is still due,
 * apply the overlap policy, start the run and move `next_run_at` on. All of it commits together
 * or not at all, so a process that dies mid-tick leaves the tick due for the next one, and two
 * processes never both take it (the second finds the row locked, or moved on once it is not).
 *
 * The next time is the first cron time after *now*, not after the missed one: after downtime a
 * schedule fires once for everything it missed, then keeps its rhythm.
 */
import { cancel } from '../controls.ts';
import type { StartExecutionInput } from '../engine-api.ts';
import type { Runtime } from '../runtime.ts';
import { TERMINAL, tenantTx } from '../store.ts';
import type { TenantClient } from '../types.ts';
import { nextRunAfter } from './cron.ts';

export type OverlapPolicy = 'SKIP' | 'BUFFER_ONE' | 'ALLOW_ALL' | 'CANCEL_OTHER';

/** What a tick did. */
export type TickOutcome = 'started' | 'buffered' | 'skipped' | 'not-due' | 'failed';

export type StartFn = (
  client: TenantClient,
  workspaceId: string,
  input: StartExecutionInput,
) => Promise<{ executionId: string }>;

interface ScheduleRow {
  plan_id: string;
  cron: string;
  timezone: string;
  input: unknown;
  overlap: OverlapPolicy;
  paused: boolean;
  buffered: boolean;
  next_run_at: Date | null;
  due: boolean;
  now: Date;
}

/** Runs this schedule started that have not ended (they count for the overlap policy). */
async function activeRuns(client: TenantClient, scheduleId: string): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT e.id FROM schedule_runs r JOIN executions e ON e.workspace_id = r.workspace_id AND e.id = r.execution_id
      WHERE r.schedule_id = $1 AND e.status <> ALL($2::text[])`,
    [scheduleId, TERMINAL],
  );
  return rows.map((r) => r.id);
}

async function startRun(
  rt: Runtime,
  start: StartFn,
  client: TenantClient,
  workspaceId: string,
  scheduleId: string,
  row: ScheduleRow,
  scheduledFor: Date,
): Promise<boolean> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT v.id FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.number = p.latest_version
      WHERE p.id = $1`,
    [row.plan_id],
  );
  const versionId = rows[0]?.id;
  if (versionId === undefined) return false;
  // A plan that can no longer run (a tool uninstalled since) must not stop the schedule's rhythm:
  // the tick is spent, logged, and the schedule moves on.
  await client.query('SAVEPOINT weft_schedule_start');
  try {
    const { executionId } = await start(client, workspaceId, {
      planVersionId: versionId,
      input: row.input,
      actor: { userId: null, role: null },
      trigger: 'SCHEDULE',
    });
    await client.query(
      'INSERT INTO schedule_runs (workspace_id, schedule_id, execution_id, scheduled_for) VALUES ($1, $2, $3, $4)',
      [workspaceId, scheduleId, executionId, scheduledFor],
    );
    await client.query('RELEASE SAVEPOINT weft_schedule_start');
    return true;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT weft_schedule_start');
    rt.logger.warn({ err, workspaceId, scheduleId }, 'scheduled run could not start');
    return false;
  }
}

/** Takes the schedule's tick if it is due (or runs its buffered one). */
export async function fireSchedule(
  rt: Runtime,
  start: StartFn,
  workspaceId: string,
  scheduleId: string,
): Promise<TickOutcome> {
  return tenantTx(
    rt.pools.app,
    workspaceId,
    async (client) => {
      const { rows } = await client.query<ScheduleRow>(
        `SELECT plan_id, cron, timezone, input, overlap, paused, buffered, next_run_at,
                next_run_at <= clock_timestamp() AS due, clock_timestamp() AS now
           FROM schedules WHERE id = $1 FOR UPDATE SKIP LOCKED`,
        [scheduleId],
      );
      const row = rows[0];
      if (row === undefined || row.paused || (!row.due && !row.buffered)) return 'not-due';
      const scheduledFor = row.due && row.next_run_at !== null ? row.next_run_at : row.now;
      const active = row.overlap === 'ALLOW_ALL' ? [] : await activeRuns(client, scheduleId);
      let outcome: TickOutcome;
      let buffered = row.buffered;
      if (!row.due) {
        // Only the buffered tick is pending: it runs once the previous run has ended.
        if (active.length > 0) return 'not-due';
        buffered = false;
        outcome = (await startRun(rt, start, client, workspaceId, scheduleId, row, scheduledFor))
          ? 'started'
          : 'failed';
      } else if (active.length > 0 && row.overlap === 'SKIP') {
        outcome = 'skipped';
      } else if (active.length > 0 && row.overlap === 'BUFFER_ONE') {
        buffered = true;
        outcome = 'buffered';
      } else {
        if (row.overlap === 'CANCEL_OTHER') {
          for (const id of active) await cancel(rt, client, id, { userId: null, role: null });
        }
        buffered = false;
        outcome = (await startRun(rt, start, client, workspaceId, scheduleId, row, scheduledFor))
          ? 'started'
          : 'failed';
      }
      const next = row.due ? nextRunAfter(row, row.now) : row.next_run_at;
      await client.query(
        `UPDATE schedules SET next_run_at = $2, buffered = $3,
                last_run_at = CASE WHEN $4 THEN $5::timestamptz ELSE last_run_at END
          WHERE id = $1`,
        [scheduleId, next, buffered, outcome === 'started', row.now],
      );
      return outcome;
    },
    rt.publish,
  );
}
