/** Statements on one step's row (`step_runs`); the caller holds the row's lock. */
import type { StepError } from '../step-error.ts';
import type { Statement } from './statement.ts';

/** Parks the step (PENDING: its run is paused) or ends it (CANCELLED: its run is closed). */
export function setStepStatus(executionId: string, stepId: string, status: 'PENDING' | 'CANCELLED'): Statement {
  return {
    text: `UPDATE step_runs SET status = $3, finished_at = CASE WHEN $3 = 'CANCELLED' THEN now() ELSE finished_at END
      WHERE execution_id = $1 AND step_id = $2`,
    values: [executionId, stepId, status],
  };
}

/** Records why the step waits (a slot, a lock, a rate limit). */
export function setWaitingReason(executionId: string, stepId: string, reason: string): Statement {
  return {
    text: 'UPDATE step_runs SET waiting_reason = $3 WHERE execution_id = $1 AND step_id = $2',
    values: [executionId, stepId, reason],
  };
}

/** Ends the step SUCCEEDED with an answer that no tool call gave (dry-run mock, cache hit). */
export function succeedStepWithoutCall(
  executionId: string,
  stepId: string,
  answer: { attempt: number; input: unknown; output: unknown; cacheHit: boolean },
): Statement {
  return {
    text: `UPDATE step_runs SET status = 'SUCCEEDED', attempts = $3, input = $4, output = $5, error = NULL, error_detail = NULL, cache_hit = $6,
            waiting_reason = NULL, started_at = coalesce(started_at, now()), finished_at = now()
      WHERE execution_id = $1 AND step_id = $2`,
    values: [
      executionId,
      stepId,
      answer.attempt,
      JSON.stringify(answer.input ?? null),
      JSON.stringify(answer.output ?? null),
      answer.cacheHit,
    ],
  };
}

/**
 * Ends the step FAILED. `clearLease`: also forget its lease owner and expiry (after an attempt
 * ran; a step failing before any attempt never had them set by a begin).
 */
export function failStep(
  executionId: string,
  stepId: string,
  error: { message: string; detail: StepError },
  clearLease: boolean,
): Statement {
  const values = [executionId, stepId, error.message, JSON.stringify(error.detail)];
  if (clearLease) {
    return {
      text: `UPDATE step_runs SET status = 'FAILED', error = $3, error_detail = $4, finished_at = now(), lease_owner = NULL,
            lease_expires_at = NULL
      WHERE execution_id = $1 AND step_id = $2`,
      values,
    };
  }
  return {
    text: `UPDATE step_runs SET status = 'FAILED', error = $3, error_detail = $4, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2`,
    values,
  };
}

/**
 * Queues the step again under a new fence (returned as `fence`): `spendAttempt` false moves
 * `attempt_base` so the attempt does not count; `error` is kept on the row for the next one.
 */
export function bumpStepFence(
  executionId: string,
  stepId: string,
  how: { spendAttempt: boolean; runAt: Date | null; error?: StepError },
): Statement {
  return {
    text: `UPDATE step_runs SET status = 'QUEUED', fence = fence + 1, next_attempt_at = $3, error = coalesce($4, error),
            error_detail = coalesce($6::jsonb, error_detail),
            attempt_base = attempt_base + CASE WHEN $5::boolean THEN 0 ELSE 1 END,
            lease_owner = NULL, lease_expires_at = NULL
      WHERE execution_id = $1 AND step_id = $2 RETURNING fence`,
    values: [
      executionId,
      stepId,
      how.runAt,
      how.error?.message ?? null,
      how.spendAttempt,
      how.error === undefined ? null : JSON.stringify(how.error),
    ],
  };
}
