/**
 * Statements on step leases (`weft_lease_*`, the functions of the leases migration) and the
 * per-workspace slot count they back.
 */
import type { Statement } from './statement.ts';

/** Drops the step's lease taken under `fence`. */
export function dropLease(executionId: string, stepId: string, fence: number): Statement {
  return { text: 'SELECT weft_lease_drop($1, $2, $3)', values: [executionId, stepId, fence] };
}

/**
 * Leases a queued step to the queue for `ms`, so a worker that dies between taking its job and
 * beginning it is covered.
 */
export function takeQueueLease(executionId: string, stepId: string, fence: number, ms: number): Statement {
  return {
    text: `SELECT weft_lease_take($1, $2, 'run', $3::bigint, 'queue', $4::int)`,
    values: [executionId, stepId, fence, ms],
  };
}

/** Leases a step to the worker that runs it, for `ms`. */
export function takeRunLease(
  executionId: string,
  stepId: string,
  fence: number,
  workerId: string,
  ms: number,
): Statement {
  return {
    text: `SELECT weft_lease_take($1, $2, 'run', $3::bigint, $4, $5::int)`,
    values: [executionId, stepId, fence, workerId, ms],
  };
}

/** Serialises the workspace's begins that count its slots, until the transaction ends. */
export function lockWorkspaceSlots(workspaceId: string): Statement {
  return { text: `SELECT pg_advisory_xact_lock(hashtext('weft-workspace-slots:' || $1))`, values: [workspaceId] };
}

/** The workspace's leases held (`n`): its steps running or queued (RLS scopes the count). */
export function countLeases(): Statement {
  return { text: 'SELECT weft_lease_count() AS n', values: [] };
}
