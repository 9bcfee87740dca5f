/**
 * Idempotency keys of `startExecution`: the same key for the same plan within 24 h answers the first
 * execution and starts nothing. The key's row is claimed in the caller's transaction before the run
 * is inserted: a concurrent start with the same key waits on the primary key until that transaction
 * ends, then finds the row (and its execution) instead of starting another run. A row older than
 * the window is taken over in place, so expired keys never block reuse (migration 18).
 */
import type { TenantClient } from './types.ts';

/** @public How long a key stands for its first execution. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
/** @public Longest key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

const WINDOW = `make_interval(hours => ${IDEMPOTENCY_WINDOW_HOURS})`;

export type Claim = { claimed: true; planId: string } | { claimed: false; executionId: string | null };

/**
 * Claims `key` for the plan of `planVersionId` (read under RLS: another workspace's version claims
 * nothing and yields `{ claimed: false, executionId: null }`). Prunes the plan's expired keys on the way.
 */
export async function claimIdempotencyKey(
  client: TenantClient,
  workspaceId: string,
  planVersionId: string,
  key: string,
): Promise<Claim> {
  const { rows } = await client.query<{ plan_id: string }>(
    `WITH v AS (
       SELECT plan_id FROM plan_versions WHERE workspace_id = $1 AND id = $2
     ), pruned AS (
       DELETE FROM execution_idempotency_keys k USING v
        WHERE k.workspace_id = $1 AND k.plan_id = v.plan_id AND k.key <> $3 AND k.claimed_at < now() - ${WINDOW}
     )
     INSERT INTO execution_idempotency_keys AS k (workspace_id, plan_id, key)
     SELECT $1, plan_id, $3 FROM v
     ON CONFLICT (workspace_id, plan_id, key) DO UPDATE SET execution_id = NULL, claimed_at = now()
       WHERE k.claimed_at < now() - ${WINDOW}
     RETURNING plan_id`,
    [workspaceId, planVersionId, key],
  );
  const planId = rows[0]?.plan_id;
  if (planId !== undefined) return { claimed: true, planId };
  // A new statement, so a new snapshot: it sees the row of the start that won (committed by now).
  const { rows: first } = await client.query<{ execution_id: string | null }>(
    `SELECT k.execution_id FROM execution_idempotency_keys k
       JOIN plan_versions v ON v.workspace_id = k.workspace_id AND v.plan_id = k.plan_id
      WHERE k.workspace_id = $1 AND v.id = $2 AND k.key = $3`,
    [workspaceId, planVersionId, key],
  );
  return { claimed: false, executionId: first[0]?.execution_id ?? null };
}

/** Records the execution a claimed key stands for, in the transaction that started it. */
export async function recordIdempotentStart(
  client: TenantClient,
  workspaceId: string,
  planId: string,
  key: string,
  executionId: string,
): Promise<void> {
  await client.query(
    'UPDATE execution_idempotency_keys SET execution_id = $4 WHERE workspace_id = $1 AND plan_id = $2 AND key = $3',
    [workspaceId, planId, key, executionId],
  );
}
