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
import { EngineError } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { inWorkerTx, TERMINAL } from '../store.ts';
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
  version_id: string | null;
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

/**
 * Starts the run. A plan that cannot run any more (a tool uninstalled since, the plan emptied)
 * must not stop the schedule's rhythm: the engine refuses it before writing anything, the tick is
 * spent and logged, and the schedule moves on.
 */
async function startRun(
  rt: Runtime,
  start: StartFn,
  client: TenantClient,
  workspaceId: string,
  scheduleId: string,
  row: ScheduleRow,
): Promise<string | null> {
  if (row.version_id === null) return null;
  try {
    const { executionId } = await start(client, workspaceId, {
      planVersionId: row.version_id,
      input: row.input,
      actor: { userId: null, role: null },
      trigger: 'SCHEDULE',
    });
    return executionId;
  } catch (err) {
    if (!(err instanceof EngineError) || (err.code !== 'INVALID_PLAN' && err.code !== 'NOT_FOUND')) throw err;
    rt.logger.warn({ err, workspaceId, scheduleId }, 'scheduled run could not start');
    return null;
  }
}

// Sent with the transaction's BEGIN (one round trip): the schedule, locked, with its plan's latest
// version. SKIP LOCKED: a process already holding it is taking this tick.
const LOCK_SCHEDULE = `SELECT s.cron, s.timezone, s.input, s.overlap, s.paused, s.buffered, s.next_run_at,
       s.next_run_at <= clock_timestamp() AS due, clock_timestamp() AS now, v.id AS version_id
  FROM schedules s
  LEFT JOIN plans p ON p.id = s.plan_id
  LEFT JOIN plan_versions v ON v.plan_id = p.id AND v.number = p.latest_version
 WHERE s.id = $1 FOR UPDATE OF s SKIP LOCKED`;

/** What a tick did, and the schedule's next time afterwards (null: none, paused, or gone). */
export interface TickResult {
  outcome: TickOutcome;
  nextRunAt: Date | null;
}

/** Takes the schedule's tick if it is due (or runs its buffered one). */
export async function fireSchedule(
  rt: Runtime,
  start: StartFn,
  workspaceId: string,
  scheduleId: string,
): Promise<TickResult> {
  return inWorkerTx(
    rt.pools.app,
    workspaceId,
    async (client) => {
      const row = client.opened[0]?.[0] as ScheduleRow | undefined;
      if (row === undefined || row.paused) return { outcome: 'not-due', nextRunAt: null };
      if (!row.due && !row.buffered) return { outcome: 'not-due', nextRunAt: row.next_run_at };
      const scheduledFor = row.due && row.next_run_at !== null ? row.next_run_at : row.now;
      const active = row.overlap === 'ALLOW_ALL' ? [] : await activeRuns(client, scheduleId);
      let executionId: string | null = null;
      let outcome: TickOutcome = 'started';
      let buffered = row.buffered;
      if (!row.due) {
        // Only the buffered tick is pending: it runs once the previous run has ended.
        if (active.length > 0) return { outcome: 'not-due', nextRunAt: row.next_run_at };
        buffered = false;
        executionId = await startRun(rt, start, client, workspaceId, scheduleId, row);
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
        executionId = await startRun(rt, start, client, workspaceId, scheduleId, row);
      }
      if (outcome === 'started' && executionId === null) outcome = 'failed';
      const next = row.due ? nextRunAfter(row, row.now) : row.next_run_at;
      // One statement: the schedule moves on and the run is linked to its tick.
      await client.query(
        `WITH moved AS (
           UPDATE schedules SET next_run_at = $2, buffered = $3,
                  last_run_at = CASE WHEN $4::uuid IS NULL THEN last_run_at ELSE $5::timestamptz END
            WHERE id = $1
         )
         INSERT INTO schedule_runs (workspace_id, schedule_id, execution_id, scheduled_for)
         SELECT $6, $1, $4::uuid, $7 WHERE $4::uuid IS NOT NULL`,
        [scheduleId, next, buffered, executionId, row.now, workspaceId, scheduledFor],
      );
      return { outcome, nextRunAt: next };
    },
    rt.publish,
    { text: LOCK_SCHEDULE, values: [scheduleId] },
  );
}
