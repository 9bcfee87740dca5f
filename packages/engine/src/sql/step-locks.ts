/**
 * The statements that open a worker transaction by locking the step rows it works on, then their
 * executions' rows (the lock order in store.ts); each is sent with BEGIN (`OpeningQuery`).
 */
import type { OpeningQuery } from '../store.ts';

/**
 * Locks the dispatched (QUEUED or RUNNING) rows of `stepIds` in one execution, sorted, then the
 * execution's row (only if a step row was found). Each row carries the execution as read, the
 * execution as locked (`locked_status`, `locked_seq`) and the transaction's time (`tx_at`).
 */
export function lockStepsToBegin(executionId: string, stepIds: string[]): OpeningQuery {
  return {
    text: `WITH s AS (
         SELECT s.step_id, s.fence, s.status, s.attempts, s.attempt_base, s.waiting_reason, s.fell_back,
                e.status AS exec_status,
                json_build_object('workspace_id', e.workspace_id, 'id', e.id, 'plan_id', e.plan_id,
                  'plan_version_id', e.plan_version_id, 'status', e.status, 'mode', e.mode, 'input', e.input,
                  'context', e.context, 'last_seq', e.last_seq, 'trace_parent', e.trace_parent,
                  'dry_run_options', e.dry_run_options) AS exec
           FROM step_runs s JOIN executions e ON e.workspace_id = s.workspace_id AND e.id = s.execution_id
          WHERE s.execution_id = $1 AND s.step_id = ANY($2::text[]) AND s.status IN ('QUEUED', 'RUNNING')
          ORDER BY s.step_id
            FOR UPDATE OF s
       ), x AS (
         SELECT status, last_seq FROM executions WHERE id = $1 AND (SELECT count(*) FROM s) > 0 FOR UPDATE
       )
       SELECT s.*, x.status AS locked_status, x.last_seq AS locked_seq, now() AS tx_at FROM s, x`,
    values: [executionId, stepIds],
  };
}

/**
 * Locks the RUNNING rows of the (execution, step) pairs, sorted, then their executions' rows in id
 * order (`e` only runs once `s` is complete); executions none of whose steps is RUNNING stay unlocked.
 */
export function lockStepsToFinish(executionIds: string[], stepIds: string[]): OpeningQuery {
  return {
    text: `WITH s AS (
         SELECT r.execution_id, r.step_id, r.fence, r.status, r.attempts, r.attempt_base
           FROM step_runs r JOIN unnest($1::text[]::uuid[], $2::text[]) AS i(execution_id, step_id)
             ON r.execution_id = i.execution_id AND r.step_id = i.step_id
          WHERE r.status = 'RUNNING'
          ORDER BY r.execution_id, r.step_id FOR UPDATE OF r
       ), e AS (
         SELECT id FROM executions WHERE (SELECT count(*) FROM s) > 0 AND id IN (SELECT execution_id FROM s)
          ORDER BY id FOR UPDATE
       )
       SELECT s.* FROM s WHERE (SELECT count(*) FROM e) >= 0`,
    values: [executionIds, stepIds],
  };
}
