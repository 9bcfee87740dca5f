/**
 * Deletes history past its retention age: finished runs (with their steps, attempts, events and
 * webhook deliveries) after `executionDays`, audit rows after `auditDays`. Plans, versions and
 * schedules are never touched. It runs on the owner pool, one workspace and one small batch per
 * transaction with that workspace in scope, so RLS bounds every statement to one tenant, no lock
 * is held for long, and running work never waits behind a sweep.
 */
import { type Pools, withTenant } from '@weft/db';
import type pg from 'pg';

export interface RetentionOptions {
  /** Finished runs older than this many days go; 0 keeps them forever. */
  executionDays: number;
  /** Audit rows older than this many days go; 0 keeps them forever. */
  auditDays: number;
  /** Runs (or audit rows) per transaction. Default 200. */
  batchSize?: number;
  /** Pause between two batches, so a long backlog yields to running work. Default 20 ms. */
  pauseMs?: number;
  /** Stops the pass before its next batch (a worker shutting down); the next pass goes on from there. */
  signal?: AbortSignal;
}

/** Rows removed, by table (cascaded rows of approvals and messages are not counted). */
export interface PrunedRows {
  executions: number;
  step_runs: number;
  step_attempts: number;
  execution_events: number;
  webhook_deliveries: number;
  audit_log: number;
}

export const PRUNED_TABLES = [
  'executions',
  'step_runs',
  'step_attempts',
  'execution_events',
  'webhook_deliveries',
  'audit_log',
] as const satisfies readonly (keyof PrunedRows)[];

/**
 * Terminal statuses: a run in any other state is live (or may still move) and is never pruned.
 * Written into the statement as literals, the same list as `executions_finished_idx`'s predicate
 * (migration 24), so the planner can always use that partial index.
 */
const FINISHED = "('SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK')";

// The runs are locked first (SKIP LOCKED: a run a control is retrying right now waits for the next
// sweep), their status re-checked under the lock, then their rows deleted child-first so each
// count is exact; the executions' foreign keys cascade to what has no count here (approvals,
// messages, and tables added later with ON DELETE CASCADE).
const PRUNE_RUNS_SQL = `
  WITH doomed AS (
    SELECT id FROM executions
     WHERE workspace_id = $1 AND status IN ${FINISHED} AND finished_at < now() - make_interval(days => $2)
     ORDER BY finished_at LIMIT $3
       FOR UPDATE SKIP LOCKED
  ), ev AS (
    DELETE FROM execution_events WHERE workspace_id = $1 AND execution_id IN (SELECT id FROM doomed) RETURNING 1
  ), att AS (
    DELETE FROM step_attempts WHERE workspace_id = $1 AND execution_id IN (SELECT id FROM doomed) RETURNING 1
  ), steps AS (
    DELETE FROM step_runs WHERE workspace_id = $1 AND execution_id IN (SELECT id FROM doomed) RETURNING 1
  ), outbound AS (
    DELETE FROM webhook_endpoint_deliveries WHERE workspace_id = $1 AND execution_id IN (SELECT id FROM doomed) RETURNING 1
  ), inbound AS (
    DELETE FROM webhook_deliveries WHERE workspace_id = $1 AND execution_id IN (SELECT id FROM doomed) RETURNING 1
  ), runs AS (
    DELETE FROM executions WHERE workspace_id = $1 AND id IN (SELECT id FROM doomed) RETURNING 1
  )
  SELECT (SELECT count(*) FROM runs)::int AS executions, (SELECT count(*) FROM steps)::int AS step_runs,
         (SELECT count(*) FROM att)::int AS step_attempts, (SELECT count(*) FROM ev)::int AS execution_events,
         ((SELECT count(*) FROM outbound) + (SELECT count(*) FROM inbound))::int AS webhook_deliveries`;

const PRUNE_AUDIT_SQL = `
  DELETE FROM audit_log WHERE workspace_id = $1 AND id IN (
    SELECT id FROM audit_log WHERE workspace_id = $1 AND at < now() - make_interval(days => $2)
     ORDER BY at LIMIT $3)`;

export function emptyPrunedRows(): PrunedRows {
  return {
    executions: 0,
    step_runs: 0,
    step_attempts: 0,
    execution_events: 0,
    webhook_deliveries: 0,
    audit_log: 0,
  };
}

function add(total: PrunedRows, batch: Partial<PrunedRows>): void {
  for (const table of PRUNED_TABLES) total[table] += batch[table] ?? 0;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function* workspaceIds(pools: Pick<Pools, 'owner'>): AsyncGenerator<string> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await pools.owner.query<{ id: string }>(
      'SELECT id FROM workspaces WHERE id > $1 ORDER BY id LIMIT 500',
      [after],
    );
    for (const row of rows) yield row.id;
    const last = rows.at(-1);
    if (last === undefined || rows.length < 500) return;
    after = last.id;
  }
}

type Batch = (client: pg.PoolClient, workspaceId: string, limit: number) => Promise<PrunedRows>;

function runsBatch(days: number): Batch {
  return async (client, workspaceId, limit) => {
    const { rows } = await client.query<Omit<PrunedRows, 'audit_log'>>(PRUNE_RUNS_SQL, [workspaceId, days, limit]);
    return { ...emptyPrunedRows(), ...rows[0] };
  };
}

function auditBatch(days: number): Batch {
  return async (client, workspaceId, limit) => {
    const { rowCount } = await client.query(PRUNE_AUDIT_SQL, [workspaceId, days, limit]);
    return { ...emptyPrunedRows(), audit_log: rowCount ?? 0 };
  };
}

/**
 * One full pass over every workspace. `onBatch` sees each committed batch's counts (metrics), so
 * a pass stopped half-way (shutdown, error) still reports what it removed.
 */
export async function pruneHistory(
  pools: Pick<Pools, 'owner'>,
  options: RetentionOptions,
  onBatch: (rows: PrunedRows) => void = () => {},
): Promise<PrunedRows> {
  const batchSize = options.batchSize ?? 200;
  const pauseMs = options.pauseMs ?? 20;
  const total = emptyPrunedRows();
  const drain = async (workspaceId: string, batch: Batch, removed: (r: PrunedRows) => number) => {
    for (;;) {
      if (options.signal?.aborted) return;
      const rows = await withTenant(pools.owner, { workspaceId }, (client) => batch(client, workspaceId, batchSize));
      add(total, rows);
      if (removed(rows) > 0) onBatch(rows);
      if (removed(rows) < batchSize) return;
      await pause(pauseMs);
    }
  };
  // One workspace's failure (a row some later table still references without a cascade, say)
  // must not stop the others' retention: the pass goes on and reports the failures at its end.
  const failures: unknown[] = [];
  for await (const workspaceId of workspaceIds(pools)) {
    if (options.signal?.aborted) break;
    try {
      if (options.executionDays > 0) await drain(workspaceId, runsBatch(options.executionDays), (r) => r.executions);
      if (options.auditDays > 0) await drain(workspaceId, auditBatch(options.auditDays), (r) => r.audit_log);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `retention failed in ${failures.length} workspace(s); the others were pruned`);
  }
  return total;
}
