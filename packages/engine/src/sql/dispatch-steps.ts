/** The statement that dispatches ready steps as jobs (`advance`, scheduler.ts). */
import { named } from '../store.ts';
import { Task } from '../tasks.ts';
import type { Statement } from './statement.ts';

/**
 * Dispatches PENDING steps: a new fence each, its `weft.step` job and a queue lease, in one
 * statement; answers how many were queued (`queued`). The lease covers a worker that dies between
 * taking the job and starting the step (graphile-worker would hold that job for 4 h).
 * `status = 'PENDING'` guards against a concurrent dispatcher. The jobs go in one `add_jobs` call;
 * the lease CTE is referenced in the WHERE only so that it runs.
 *
 * Not merged with the dispatch inside `weft-start` (start-execution.ts): that one creates the
 * step rows in the same statement (fence 1; a sibling CTE cannot UPDATE rows another CTE inserts)
 * and carries the run's priority in the payload.
 */
export function dispatchSteps(
  exec: { id: string; workspaceId: string },
  stepIds: string[],
  queuedLeaseMs: number,
): Statement & { name: string } {
  return named(
    'weft-dispatch',
    `WITH d AS (
           UPDATE step_runs SET status = 'QUEUED', fence = fence + 1, waiting_reason = NULL
            WHERE execution_id = $1 AND step_id = ANY($2::text[]) AND status = 'PENDING'
            RETURNING step_id, fence
         ), leases AS (
           SELECT weft_lease_take($1, step_id, 'run', fence, 'queue', $5::int) FROM d
         )
         SELECT weft_enqueue_many($3, (SELECT array_agg(json_build_object('w', $4::uuid, 'e', $1::uuid, 's', step_id,
                                                                           'f', fence)) FROM d), NULL) AS queued
          WHERE (SELECT count(*) FROM leases) >= 0`,
    [exec.id, stepIds, Task.step, exec.workspaceId, queuedLeaseMs],
  );
}
