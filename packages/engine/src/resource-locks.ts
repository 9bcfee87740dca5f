/**
 * Resource locks (`locks: [...]` on a step), leased in Postgres per workspace. Keys are taken in
 * sorted order so two steps wanting overlapping sets cannot deadlock; a crashed holder's locks
 * expire with its lease, and the lease sweeper frees them at once when it notices.
 */
import type { TenantClient } from './types.ts';

export function lockHolder(executionId: string, stepId: string, fence: number): string {
  return `${executionId}/${stepId}/${fence}`;
}

/** Takes every key or none (a savepoint undoes a partial set); false when one is held by another. */
export async function acquireLocks(client: TenantClient, keys: string[], holder: string, ms: number): Promise<boolean> {
  if (keys.length === 0) return true;
  await client.query('SAVEPOINT weft_locks');
  for (const key of [...keys].sort()) {
    const { rowCount } = await client.query(
      `INSERT INTO resource_locks (workspace_id, key, holder, expires_at)
       VALUES (weft_current_workspace(), $1, $2, clock_timestamp() + make_interval(secs => $3 / 1000.0))
       ON CONFLICT (workspace_id, key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE resource_locks.expires_at < clock_timestamp() OR resource_locks.holder = excluded.holder`,
      [key, holder, ms],
    );
    if (rowCount === 0) {
      await client.query('ROLLBACK TO SAVEPOINT weft_locks');
      return false;
    }
  }
  await client.query('RELEASE SAVEPOINT weft_locks');
  return true;
}

export async function renewLocks(client: TenantClient, holder: string, ms: number): Promise<void> {
  await client.query(
    `UPDATE resource_locks SET expires_at = clock_timestamp() + make_interval(secs => $2 / 1000.0) WHERE holder = $1`,
    [holder, ms],
  );
}

export async function releaseLocks(client: TenantClient, holderPrefix: string): Promise<void> {
  await client.query(`DELETE FROM resource_locks WHERE holder LIKE $1 || '%'`, [holderPrefix]);
}
