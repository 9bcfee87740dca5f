/**
 * Parked steps: `type: "sleep"` and `type: "wait"` wait in the database, not in a worker. `advance`
 * parks them (`parkSteps`: step WAITING under a new fence, a `parked_steps` row, a `weft.wake` job
 * queued for the due time); the wake job (`wakeParked`), a matching event (`deliverEvent`) or a
 * cancel ends the wait, each in one transaction with its events. No worker slot is held while they
 * wait, and the wait survives any restart: its row and its job are both in PostgreSQL.
 *
 * Lock order: like controls and approval expiry, these lock the execution row first, then the
 * WAITING step rows, which no worker transaction locks (workers lock QUEUED/RUNNING rows only, the
 * lease sweeper only rows with a lease, and a parked step has none).
 */
import { type StepSucceededData, stepSucceeded } from './events.ts';
import { type ParkedKind, parkedKind, parseUntil } from './parked-plan.ts';
import type { LoadedPlan, Runtime } from './runtime.ts';
import type { DeliveredEvent } from './service-types.ts';
import { runTogether } from './statement-batch.ts';
import { engineStepError, StepErrorCode } from './step-error.ts';
import { templateScope } from './step-input.ts';
import { appendEvents, type ExecutionRow, inWorkerTx, lockExecution, type NewEvent, type TxClient } from './store.ts';
import { resolveTemplates } from './templates.ts';
import type { StepSpec, TenantClient } from './types.ts';

/**
 * Wake-ups due in the same bucket of this many ms in one workspace share a job (migration 17,
 * `weft_enqueue_wake`); the job runs at the bucket's end, so a step wakes at most this much later
 * than the job poll alone would make it, and never early.
 */
const WAKE_BUCKET_MS = 100;
/**
 * A shared wake job splits its executions into this many transactions run side by side. Waking is
 * round-trip bound: with 4, 1,000 sleeps due in one second woke with p99 1.01–1.03 s on a quiet
 * 2-core machine; with 8, 0.68 s (`npm run bench -- waits`).
 */
const WAKE_PARALLEL = 8;

/** One wake-up of a `weft.wake` job: the step's fence when it parked (a later parking carries another). */
export interface WakeJob {
  w: string;
  e: string;
  s: string;
  f: number;
}

/** What parking a batch of ready steps did; `failed`: one could not park (a bad rendered `until`). */
export interface Parked {
  parked: number;
  failed?: { step_id: string; error: string };
}

/** Ready steps `advance` parks instead of dispatching (they take no slot of the plan's concurrency). */
export function isParkedStep(plan: LoadedPlan, stepId: string): boolean {
  const step = plan.steps.get(stepId);
  return step !== undefined && parkedKind(step) !== null;
}

/**
 * Parks ready sleep/wait steps of `exec` (PENDING rows; the caller holds the execution's lock):
 * WAITING with a new fence, their row, a `step.waiting` event each and a wake job for those with a
 * due time. A dry run's waits are due at once: its sleeps complete with the time actually slept
 * (about 0), its waits with `mocks[stepId]` (or `{}`), so a dry run never blocks on the world.
 */
export async function parkSteps(
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  stepIds: string[],
  events: NewEvent[],
): Promise<Parked> {
  const result: Parked = { parked: 0 };
  if (stepIds.length === 0) return result;
  const wakes = new Map<number, WakeJob[]>();
  const scope = await templateScope(
    client,
    exec,
    ...stepIds.flatMap((id) => {
      const step = plan.steps.get(id);
      return step === undefined ? [] : [step.until ?? null, step.match ?? {}];
    }),
  );
  const now = Date.now();
  for (const stepId of stepIds) {
    const step = plan.steps.get(stepId);
    const kind = step === undefined ? null : parkedKind(step);
    if (step === undefined || kind === null) continue;
    const plannedDue = dueOf(step, kind, scope, now);
    if ('error' in plannedDue) {
      await client.query(
        `UPDATE step_runs SET status = 'FAILED', error = $3, started_at = coalesce(started_at, now()), finished_at = now()
          WHERE execution_id = $1 AND step_id = $2 AND status = 'PENDING'`,
        [exec.id, stepId, plannedDue.error],
      );
      events.push({ type: 'step.failed', stepId, data: { error: plannedDue.error } });
      result.failed ??= { step_id: stepId, error: plannedDue.error };
      continue;
    }
    const due = exec.mode === 'DRY_RUN' ? new Date(now) : plannedDue.due;
    const match = kind === 'wait' ? resolveTemplates(step.match ?? {}, scope) : {};
    const { rows } = await client.query<{ fence: number; began_at: Date }>(
      `WITH s AS (
         UPDATE step_runs SET status = 'WAITING', fence = fence + 1, waiting_reason = NULL, error = NULL,
                started_at = coalesce(started_at, now())
          WHERE execution_id = $2 AND step_id = $3 AND status = 'PENDING'
          RETURNING fence
       )
       INSERT INTO parked_steps (workspace_id, execution_id, step_id, kind, fence, due_at, event, match)
       SELECT $1, $2, $3, $4, s.fence, $5, $6, $7::jsonb FROM s
       ON CONFLICT (workspace_id, execution_id, step_id) DO UPDATE
         SET kind = excluded.kind, fence = excluded.fence, began_at = clock_timestamp(), due_at = excluded.due_at,
             event = excluded.event, match = excluded.match
       RETURNING fence, began_at`,
      [
        exec.workspace_id,
        exec.id,
        stepId,
        kind,
        due,
        kind === 'wait' ? (step.event ?? null) : null,
        JSON.stringify(match),
      ],
    );
    const row = rows[0];
    if (row === undefined) continue; // not PENDING any more (a concurrent dispatcher took it)
    result.parked++;
    if (due !== null) {
      const bucket = Math.ceil(due.getTime() / WAKE_BUCKET_MS) * WAKE_BUCKET_MS;
      const list = wakes.get(bucket) ?? [];
      list.push({ w: exec.workspace_id, e: exec.id, s: stepId, f: row.fence });
      wakes.set(bucket, list);
    }
    events.push({
      type: 'step.waiting',
      stepId,
      data:
        kind === 'sleep'
          ? { kind, until: due }
          : { kind, event: step.event, match, timeoutMs: step.timeoutMs ?? null, until: due },
    });
  }
  for (const [bucket, jobs] of wakes) {
    await client.query('SELECT weft_enqueue_wake($1::json, $2::bigint)', [JSON.stringify(jobs), bucket]);
  }
  return result;
}

/** When a parked step is due: a sleep's end, a wait's timeout (null: a wait without one). */
function dueOf(
  step: StepSpec,
  kind: ParkedKind,
  scope: Parameters<typeof resolveTemplates>[1],
  now: number,
): { due: Date | null } | { error: string } {
  if (kind === 'wait') return { due: step.timeoutMs === undefined ? null : new Date(now + step.timeoutMs) };
  if (step.durationMs !== undefined) return { due: new Date(now + step.durationMs) };
  const rendered = resolveTemplates(step.until ?? '', scope);
  const until = parseUntil(rendered);
  if (until === null) {
    return {
      error: `"until" rendered to ${JSON.stringify(rendered)}, which is not an ISO 8601 date-time with a time zone`,
    };
  }
  return { due: until };
}

interface ParkedRow {
  status: string;
  fence: number;
  kind: ParkedKind | null;
  began_at: Date | null;
  due_at: Date | null;
  event: string | null;
}

/** The step row (locked) and its parked row; the caller holds the execution's lock. */
async function lockParked(client: TenantClient, executionId: string, stepId: string): Promise<ParkedRow | null> {
  const { rows } = await client.query<ParkedRow>(
    `SELECT r.status, r.fence, p.kind, p.began_at, p.due_at, p.event
       FROM step_runs r LEFT JOIN parked_steps p
         ON p.workspace_id = r.workspace_id AND p.execution_id = r.execution_id AND p.step_id = r.step_id
      WHERE r.execution_id = $1 AND r.step_id = $2
        FOR UPDATE OF r`,
    [executionId, stepId],
  );
  return rows[0] ?? null;
}

/** Ends a wait: the step's outcome, its parked row gone, in the caller's transaction. */
async function endWait(
  client: TenantClient,
  exec: ExecutionRow,
  stepId: string,
  outcome: { output: unknown; note?: Omit<StepSucceededData, 'output'> } | { error: string; timedOut?: true },
): Promise<NewEvent> {
  await client.query('DELETE FROM parked_steps WHERE execution_id = $1 AND step_id = $2', [exec.id, stepId]);
  if ('error' in outcome) {
    const stepError = engineStepError(
      outcome.timedOut === true ? StepErrorCode.TIMEOUT : StepErrorCode.TOOL_ERROR,
      outcome.error,
    );
    await client.query(
      `UPDATE step_runs SET status = 'FAILED', error = $3, error_detail = $4, finished_at = now()
        WHERE execution_id = $1 AND step_id = $2`,
      [exec.id, stepId, outcome.error, JSON.stringify(stepError)],
    );
    const timedOut = outcome.timedOut === true ? { timedOut: true as const } : {};
    return { type: 'step.failed', stepId, data: { error: outcome.error, stepError, ...timedOut } };
  }
  await client.query(
    `UPDATE step_runs SET status = 'SUCCEEDED', output = $3::jsonb, error = NULL, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2`,
    [exec.id, stepId, JSON.stringify(outcome.output ?? null)],
  );
  return stepSucceeded(stepId, { ...outcome.note, output: outcome.output ?? null });
}

/**
 * The `weft.wake` job (`Task.wake` in scheduler.ts): the wake-ups of one workspace due in one bucket of time, in
 * up to `WAKE_PARALLEL` transactions side by side; in each, the executions' statements travel
 * together (`runTogether`), executions taken in id order.
 */
export async function runWakeJob(rt: Runtime, payload: unknown): Promise<void> {
  const jobs = (Array.isArray(payload) ? payload : [payload]) as WakeJob[];
  const first = jobs[0];
  if (first === undefined) return;
  const byExecution = new Map<string, WakeJob[]>();
  for (const job of jobs) byExecution.set(job.e, [...(byExecution.get(job.e) ?? []), job]);
  const executions = [...byExecution.keys()].sort();
  const size = Math.ceil(executions.length / WAKE_PARALLEL);
  const chunks: string[][] = [];
  for (let i = 0; i < executions.length; i += size) chunks.push(executions.slice(i, i + size));
  await Promise.all(
    chunks.map((chunk) =>
      inWorkerTx(
        rt.pools.app,
        first.w,
        (tx: TxClient) =>
          runTogether(tx, chunk, (batched, executionId) =>
            wakeExecution(rt, batched, executionId, byExecution.get(executionId) ?? []),
          ),
        rt.publish,
      ),
    ),
  );
}

/**
 * Ends the due waits of one execution: a sleep SUCCEEDS with `{ sleptMs }`, a wait that timed out
 * FAILS (without retry: `retryExecution` waits again). A wake-up of an earlier parking (other
 * fence), or for a step no longer WAITING, does nothing. While the run is paused the step still
 * ends at its time; the next steps start when it is resumed (`advance` dispatches nothing while paused).
 */
export async function wakeExecution(
  rt: Runtime,
  client: TenantClient,
  executionId: string,
  jobs: WakeJob[],
): Promise<void> {
  const exec = await lockExecution(client, executionId);
  if (exec === null) return;
  const plan = await rt.plans.load(client, exec.workspace_id, exec.plan_version_id);
  const events: NewEvent[] = [];
  for (const job of [...jobs].sort((a, b) => (a.s < b.s ? -1 : 1))) {
    const row = await lockParked(client, job.e, job.s);
    if (row === null || row.status !== 'WAITING' || row.fence !== job.f || row.kind === null) continue;
    if (row.kind === 'sleep') {
      const sleptMs = Math.max(0, Date.now() - (row.began_at?.getTime() ?? Date.now()));
      events.push(await endWait(client, exec, job.s, { output: { sleptMs } }));
    } else if (exec.mode === 'DRY_RUN') {
      const mocks = plan.spec.mocks ?? {};
      const output = Object.hasOwn(mocks, job.s) ? mocks[job.s] : {};
      events.push(await endWait(client, exec, job.s, { output, note: { mocked: true } }));
    } else {
      const timeoutMs = plan.steps.get(job.s)?.timeoutMs ?? 0;
      const error = `timed out after ${timeoutMs} ms waiting for event "${row.event ?? ''}"`;
      events.push(await endWait(client, exec, job.s, { error, timedOut: true }));
    }
  }
  if (events.length === 0) return;
  await appendEvents(client, exec.workspace_id, exec.id, events);
  await rt.advance(client, exec);
}

/**
 * Resumes every wait of the caller's workspace parked on `event.name` whose `match` fields all equal
 * the event data's (JSON equality), and that began no later than the event was sent. Runs in the
 * caller's tenant transaction; locks executions in id order, then their waiting step rows.
 */
export async function deliverEvent(
  rt: Runtime,
  client: TenantClient,
  event: DeliveredEvent,
): Promise<{ resumed: number }> {
  const { rows } = await client.query<{ execution_id: string; step_id: string; fence: number }>(
    `SELECT p.execution_id, p.step_id, p.fence FROM parked_steps p
      WHERE p.workspace_id = $1 AND p.kind = 'wait' AND p.event = $2 AND p.began_at <= $4
        AND NOT EXISTS (SELECT 1 FROM jsonb_each(p.match) m WHERE ($3::jsonb -> m.key) IS DISTINCT FROM m.value)
      ORDER BY p.execution_id, p.step_id`,
    [event.workspaceId, event.name, JSON.stringify(event.data ?? null), event.sentAt],
  );
  const byExecution = new Map<string, Array<{ step_id: string; fence: number }>>();
  for (const r of rows) {
    const list = byExecution.get(r.execution_id) ?? [];
    list.push(r);
    byExecution.set(r.execution_id, list);
  }
  let resumed = 0;
  for (const [executionId, steps] of byExecution) {
    const exec = await lockExecution(client, executionId);
    if (exec === null) continue;
    const events: NewEvent[] = [];
    for (const s of steps) {
      const row = await lockParked(client, executionId, s.step_id);
      if (row === null || row.status !== 'WAITING' || row.fence !== s.fence || row.kind !== 'wait') continue;
      const note = { event: { id: event.eventId, name: event.name } };
      events.push(await endWait(client, exec, s.step_id, { output: event.data ?? null, note }));
      resumed++;
    }
    if (events.length === 0) continue;
    await appendEvents(client, exec.workspace_id, exec.id, events);
    await rt.advance(client, exec);
  }
  return { resumed };
}

/** Cancel's part: the parked rows of steps it closed go with them. */
export async function closeParked(client: TenantClient, executionId: string, stepIds: string[]): Promise<void> {
  if (stepIds.length === 0) return;
  await client.query('DELETE FROM parked_steps WHERE execution_id = $1 AND step_id = ANY($2::text[])', [
    executionId,
    stepIds,
  ]);
}
