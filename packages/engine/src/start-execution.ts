/**
 * Starting an execution, in the caller's transaction: the execution row, its step rows, the
 * `execution.started` event, the dispatch of the steps that are ready at once (a new fence, a
 * `weft.step` job and a queued lease each, as `advance` would) and the announcements all go in ONE
 * statement. Starting is part of every run's latency and its statements compete with the workers'.
 * A plan whose first steps include an approval gate or a sleep/wait leaves the dispatch to
 * `advance`, which opens gates and parks steps.
 */
import { isComposite } from './composite-steps.ts';
import type { ExecutionEventData } from './events.ts';
import { isParkedStep } from './parked-steps.ts';
import type { LoadedPlan, Runtime } from './runtime.ts';
import type { DryRunOptions, ExecutionTrigger } from './service-types.ts';
import { Channel, type ExecutionRow, named } from './store.ts';
import { Task } from './tasks.ts';
import type { ExecutionMode, TenantClient } from './types.ts';

export interface StartRow {
  workspaceId: string;
  planVersionId: string;
  mode: ExecutionMode;
  input: unknown;
  userId: string | null;
  traceId: string | null;
  traceParent: string | null;
  /** Steps that start SUCCEEDED with this output (a re-run from a step, `rerun-from.ts`). */
  reuse?: Record<string, unknown>;
  /** MANUAL | SCHEDULE | WEBHOOK | EVENT | PARENT (default MANUAL). */
  trigger?: ExecutionTrigger;
  /** A child run: the parent's execution, step and map item (null: not a map item); its depth. */
  parent?: { executionId: string; stepId: string; item: number | null; depth: number };
  dryRunOptions?: DryRunOptions | null;
  /** Orders the run's queued steps within its workspace (-10..10, checked by the caller). */
  priority?: number;
}

/**
 * Steps to dispatch with the start: those without dependencies, up to `concurrency`; null if a gate,
 * a sleep/wait, a plan/map step or a condition (`if`) is among them (`advance` opens, parks or decides those).
 */
function readyAtStart(plan: LoadedPlan): string[] | null {
  const ready: string[] = [];
  for (const id of plan.order) {
    if ((plan.deps.get(id) ?? []).length > 0) continue;
    const step = plan.steps.get(id);
    if (step?.type === 'approval' || isParkedStep(plan, id) || isComposite(step) || step?.if !== undefined) return null;
    if (ready.length < plan.concurrency) ready.push(id);
  }
  return ready;
}

/**
 * Inserts and starts the execution; null when the plan version is not visible in the caller's
 * workspace (its row is read under RLS by the same statement).
 */
export async function insertAndStart(
  rt: Runtime,
  client: TenantClient,
  plan: LoadedPlan,
  row: StartRow,
): Promise<ExecutionRow | null> {
  const reused = Object.keys(row.reuse ?? {});
  // With steps already done, which are ready is `advance`'s call, as after any step.
  const ready = reused.length > 0 ? null : readyAtStart(plan);
  const data: ExecutionEventData['execution.started'] = {
    mode: row.mode,
    planVersionId: row.planVersionId,
    by: row.userId,
  };
  // The event's payload is built as `eventPayload` (store.ts) builds it; `at` formatted like a JS Date.
  const { rows } = await client.query<ExecutionRow>(
    named(
      'weft-start',
      `WITH v AS (
         SELECT id, plan_id FROM plan_versions WHERE id = $1
       ), e AS (
         INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, mode, input, created_by, started_at,
                                 trace_id, trace_parent, last_seq, trigger, parent_execution_id, parent_step_id,
                                 parent_item, depth, dry_run_options, priority)
         SELECT $2, v.plan_id, v.id, 'RUNNING', $3, $4::jsonb, $5, now(), $6, $7, 1, $15, $16, $17, $18, $19, $20::jsonb, $21 FROM v
         RETURNING workspace_id, id, plan_id, plan_version_id, status, mode, input, context, last_seq, trace_parent
       ), runs AS (
         INSERT INTO step_runs (workspace_id, execution_id, step_id, status, fence, output, started_at, finished_at)
         SELECT e.workspace_id, e.id, s.id,
                CASE WHEN s.id = ANY($9::text[]) THEN 'QUEUED' WHEN s.id = ANY($22::text[]) THEN 'SUCCEEDED'
                     ELSE 'PENDING' END,
                CASE WHEN s.id = ANY($9::text[]) THEN 1 ELSE 0 END,
                CASE WHEN s.id = ANY($22::text[]) THEN $23::jsonb -> s.id END,
                CASE WHEN s.id = ANY($22::text[]) THEN now() END,
                CASE WHEN s.id = ANY($22::text[]) THEN now() END
           FROM e, unnest($8::text[]) AS s(id)
       ), ev AS (
         INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
         SELECT e.workspace_id, e.id, 1, 'execution.started', NULL, $10::jsonb FROM e
         RETURNING workspace_id, execution_id, seq, type, data, at
       ), jobs AS (
         SELECT weft_enqueue_many($11, (SELECT array_agg(json_build_object('w', e.workspace_id, 'e', e.id, 's', r, 'f', 1, 'p', $21::int))
                                          FROM unnest($9::text[]) AS r), NULL)
           FROM e
       ), leases AS (
         SELECT weft_lease_take(e.id, r, 'run', 1, 'queue', $12::int) FROM e, unnest($9::text[]) AS r
       ), notes AS (
         SELECT pg_notify($13, json_build_object('w', e.workspace_id, 'e', e.id, 'status', e.status)::text) FROM e
         UNION ALL
         SELECT pg_notify($14, json_build_object('w', ev.workspace_id, 'e', ev.execution_id, 'seq', ev.seq, 't', ev.type,
                  's', NULL, 'at', to_char(ev.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'd', ev.data)::text)
           FROM ev
       )
       SELECT e.* FROM e
        WHERE (SELECT count(*) FROM jobs) >= 0 AND (SELECT count(*) FROM leases) >= 0 AND (SELECT count(*) FROM notes) >= 0`,
      [
        row.planVersionId,
        row.workspaceId,
        row.mode,
        JSON.stringify(row.input ?? null),
        row.userId,
        row.traceId,
        row.traceParent,
        plan.order,
        ready ?? [],
        JSON.stringify(data),
        Task.step,
        rt.queuedLeaseMs,
        Channel.status,
        Channel.events,
        row.trigger ?? (row.parent === undefined ? 'MANUAL' : 'PARENT'),
        row.parent?.executionId ?? null,
        row.parent?.stepId ?? null,
        row.parent?.item ?? null,
        row.parent?.depth ?? 0,
        row.dryRunOptions == null ? null : JSON.stringify(row.dryRunOptions),
        row.priority ?? 0,
        reused,
        JSON.stringify(row.reuse ?? {}),
      ],
    ),
  );
  const exec = rows[0];
  if (exec === undefined) return null;
  if (ready === null) await rt.advance(client, exec);
  return exec;
}
