/** Statements on one attempt's row (`step_attempts`, kind 'run'). */
import type { StepError } from '../step-error.ts';
import type { Statement } from './statement.ts';

/** Ends an attempt that never started because its execution was cancelled meanwhile. */
export function cancelAttemptBeforeStart(
  executionId: string,
  stepId: string,
  attempt: number,
  detail: StepError,
): Statement {
  return {
    text: `UPDATE step_attempts SET status = 'CANCELLED', finished_at = now(), error = 'execution cancelled', error_detail = $4
      WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
    values: [executionId, stepId, attempt, JSON.stringify(detail)],
  };
}

/** Marks a fenced-off attempt's result as rejected (a RUNNING attempt becomes REJECTED). */
export function rejectLateAttempt(executionId: string, stepId: string, attempt: number, fence: number): Statement {
  return {
    text: `UPDATE step_attempts SET status = CASE WHEN status = 'RUNNING' THEN 'REJECTED' ELSE status END,
              error = coalesce(error || '; ', '') || 'late result rejected (fence ' || $4 || ')'
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
    values: [executionId, stepId, attempt, fence],
  };
}

/** Ends a failed (FAILED) or interrupted (LOST) attempt and drops the step's lease. */
export function endFailedAttempt(
  job: { executionId: string; stepId: string; fence: number },
  attempt: { attempt: number; status: 'FAILED' | 'LOST'; error: string; detail: StepError; durationMs: number },
): Statement {
  return {
    text: `WITH a AS (
       UPDATE step_attempts SET status = $7, error = $4, error_detail = $8, finished_at = now(), duration_ms = $5
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3
     )
     SELECT weft_lease_drop($1, $2, $6)`,
    values: [
      job.executionId,
      job.stepId,
      attempt.attempt,
      attempt.error,
      attempt.durationMs,
      job.fence,
      attempt.status,
      JSON.stringify(attempt.detail),
    ],
  };
}

/** Records an attempt answered without a tool call (dry-run mock, cache hit) as SUCCEEDED. */
export function insertAnsweredAttempt(a: {
  workspaceId: string;
  executionId: string;
  stepId: string;
  attempt: number;
  fence: number;
  tool: string;
  input: unknown;
  output: unknown;
  workerId: string;
  cacheHit: boolean;
}): Statement {
  return {
    text: `INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, output,
                                worker_id, cache_hit, finished_at, duration_ms)
     VALUES ($1, $2, $3, 'run', $4, $5, 'SUCCEEDED', $6, $7, $8, $9, $10, now(), 0)`,
    values: [
      a.workspaceId,
      a.executionId,
      a.stepId,
      a.attempt,
      a.fence,
      a.tool,
      JSON.stringify(a.input ?? null),
      JSON.stringify(a.output ?? null),
      a.workerId,
      a.cacheHit,
    ],
  };
}
