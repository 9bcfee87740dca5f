/**
 * Writes that travel in the statement appending their events (`WritesWithAppend`, store.ts): an
 * attempt's rows change in the same round trip as the event that reports it. Their parameters
 * start at $7 (the append's own take $1..$6; $1 is the execution's id).
 */
import type { WritesWithAppend } from '../store.ts';

/** One attempt about to start: what its attempt row and step row record. */
export interface StartingAttempt {
  stepId: string;
  attempt: number;
  fence: number;
  /** `name@version` */
  tool: string;
  input: unknown;
}

/**
 * Starts attempts: their attempt rows (RUNNING), their step rows (RUNNING, leased by `workerId`)
 * and their leases. `execution`: the parameter holding the execution's id in the append it joins
 * (`$2` in the append sent with the COMMIT, `$1` in `lockAndAppend`).
 */
export function startAttempts(
  execution: '$1' | '$2',
  attempts: StartingAttempt[],
  lease: { workspaceId: string | undefined; workerId: string; leaseMs: number },
): WritesWithAppend {
  return {
    name: `started${execution === '$2' ? '-at-commit' : ''}`,
    ctes: `st AS (
        SELECT * FROM unnest($7::text[], $8::int[], $9::bigint[], $10::text[], $11::jsonb[])
          AS st(step_id, attempt, fence, tool, input)
      ), st_attempts AS (
        INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, worker_id)
        SELECT $12::uuid, ${execution}::uuid, step_id, 'run', attempt, fence, 'RUNNING', tool, input, $13 FROM st
      ), st_steps AS (
        UPDATE step_runs r SET status = 'RUNNING', attempts = st.attempt, input = st.input,
               started_at = coalesce(r.started_at, now()),
               waiting_reason = NULL, lease_owner = $13,
               lease_expires_at = clock_timestamp() + make_interval(secs => $14::int / 1000.0)
          FROM st WHERE r.execution_id = ${execution}::uuid AND r.step_id = st.step_id
      ), st_leases AS (
        SELECT weft_lease_take(${execution}::uuid, step_id, 'run', fence, $13, $14::int) FROM st
      )`,
    select: ['st_leases'],
    values: [
      attempts.map((a) => a.stepId),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.fence),
      attempts.map((a) => a.tool),
      attempts.map((a) => JSON.stringify(a.input ?? null)),
      lease.workspaceId,
      lease.workerId,
      lease.leaseMs,
    ],
  };
}

/** A successful attempt whose step row this transaction holds, recorded with the event append. */
export interface Succeeded {
  stepId: string;
  attempt: number;
  output: unknown;
  durationMs: number;
  fence: number;
}

/**
 * Records successes: attempt rows SUCCEEDED with their output, step rows SUCCEEDED (only while
 * still RUNNING under the attempt's fence), leases dropped. Fails the transaction (`check`) unless
 * every step row was still the attempt's: the statement may be sent before the rows were seen.
 */
export function succeedAttempts(items: Succeeded[]): WritesWithAppend {
  return {
    name: 'succeeded',
    ctes: `ok AS (
        SELECT * FROM unnest($7::text[], $8::int[], $9::jsonb[], $10::float8[], $11::bigint[])
          AS ok(step_id, attempt, output, duration_ms, fence)
      ), ok_attempts AS (
        UPDATE step_attempts a SET status = 'SUCCEEDED', output = ok.output, finished_at = now(), duration_ms = ok.duration_ms
          FROM ok WHERE a.execution_id = $1 AND a.step_id = ok.step_id AND a.kind = 'run' AND a.attempt = ok.attempt
      ), ok_steps AS (
        UPDATE step_runs r SET status = 'SUCCEEDED', output = ok.output, error = NULL, error_detail = NULL, cache_hit = false, finished_at = now(),
               lease_owner = NULL, lease_expires_at = NULL
          FROM ok WHERE r.execution_id = $1 AND r.step_id = ok.step_id AND r.status = 'RUNNING' AND r.fence = ok.fence
        RETURNING 1
      ), ok_leases AS (
        SELECT weft_lease_drop($1, ok.step_id, ok.fence) FROM ok
      )`,
    select: ['ok_leases'],
    check: '(SELECT count(*) FROM ok_steps) = cardinality($7::text[])',
    values: [
      items.map((i) => i.stepId),
      items.map((i) => i.attempt),
      items.map((i) => JSON.stringify(i.output)),
      items.map((i) => i.durationMs),
      items.map((i) => i.fence),
    ],
  };
}

/**
 * Begins PENDING steps ahead (run-ahead.ts), in an append by `appendEvents` ($1 the workspace, $2
 * the execution): each row moves from the fence read (`fence - 1`) to `fence`, RUNNING and leased
 * by `workerId`, with its attempt row and lease. `status = 'PENDING' AND fence = ...` re-checks
 * what was read; the guard fails the transaction if any row was not as read.
 *
 * Kept apart from `startAttempts`: that one starts rows a job's begin already dispatched and
 * locked (QUEUED under the job's fence, nothing to re-check), this one dispatches and starts in
 * one step rows it only read.
 */
export function beginPendingAttempts(
  attempts: StartingAttempt[],
  lease: { workerId: string; leaseMs: number },
): WritesWithAppend {
  return {
    name: 'begin-ahead',
    ctes: `ahead AS (
        SELECT * FROM unnest($7::text[], $8::text[], $9::jsonb[], $10::bigint[], $11::int[])
          AS ahead(step_id, tool, input, fence, attempt)
      ), ahead_steps AS (
        UPDATE step_runs s SET status = 'RUNNING', fence = ahead.fence, waiting_reason = NULL, attempts = ahead.attempt,
               input = ahead.input, started_at = coalesce(s.started_at, now()), lease_owner = $12,
               lease_expires_at = clock_timestamp() + make_interval(secs => $13::int / 1000.0)
          FROM ahead
         WHERE s.execution_id = $2 AND s.step_id = ahead.step_id AND s.status = 'PENDING' AND s.fence = ahead.fence - 1
         RETURNING s.step_id, s.fence
      ), ahead_attempts AS (
        INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, worker_id)
        SELECT $1, $2, step_id, 'run', attempt, fence, 'RUNNING', tool, input, $12 FROM ahead
      ), ahead_leases AS (
        SELECT weft_lease_take($2, step_id, 'run', fence, $12, $13::int) FROM ahead_steps
      )`,
    select: ['ahead_leases'],
    guard: '(SELECT count(*) FROM ahead_steps) = cardinality($7::text[])',
    values: [
      attempts.map((a) => a.stepId),
      attempts.map((a) => a.tool),
      attempts.map((a) => JSON.stringify(a.input ?? null)),
      attempts.map((a) => a.fence),
      attempts.map((a) => a.attempt),
      lease.workerId,
      lease.leaseMs,
    ],
  };
}
