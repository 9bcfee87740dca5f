/**
 * Resource locks (`locks: [...]` on a step), leased per workspace: in Redis when the engine has
 * one, else in the `resource_locks` table. Keys are taken in sorted order and all-or-nothing, so
 * two steps wanting overlapping sets cannot deadlock; a crashed holder's locks expire with its
 * lease (the sweeper frees Postgres ones at once when it notices).
 */
import type { Runtime } from './runtime.ts';
import type { TenantClient } from './types.ts';

export function lockHolder(executionId: string, stepId: string, fence: number): string {
  return `${executionId}/${stepId}/${fence}`;
}

const redisKey = (workspaceId: string, key: string) => `weft:lock:${workspaceId}:${key}`;

// All-or-nothing in one round trip: fails if any key has another holder, else (re)takes them all.
const ACQUIRE = `
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v and v ~= ARGV[1] then return 0 end
end
for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end
return 1`;
const RENEW = `
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('PEXPIRE', k, ARGV[2]) end
end
return 1`;
const RELEASE = `
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end
end
return 1`;

/** Takes every key or none; false when one is held by another step. */
export async function acquireLocks(
  rt: Runtime,
  client: TenantClient,
  workspaceId: string,
  keys: string[],
  holder: string,
): Promise<boolean> {
  if (keys.length === 0) return true;
  const sorted = [...keys].sort();
  if (rt.redis !== null) {
    const ok = await rt.redis.eval(
      ACQUIRE,
      sorted.length,
      ...sorted.map((k) => redisKey(workspaceId, k)),
      holder,
      rt.stepLeaseMs,
    );
    return ok === 1;
  }
  await client.query('SAVEPOINT weft_locks');
  for (const key of sorted) {
    const { rowCount } = await client.query(
      `INSERT INTO resource_locks (workspace_id, key, holder, expires_at)
       VALUES (weft_current_workspace(), $1, $2, clock_timestamp() + make_interval(secs => $3::int / 1000.0))
       ON CONFLICT (workspace_id, key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE resource_locks.expires_at < clock_timestamp() OR resource_locks.holder = excluded.holder`,
      [key, holder, rt.stepLeaseMs],
    );
    if (rowCount === 0) {
      await client.query('ROLLBACK TO SAVEPOINT weft_locks');
      return false;
    }
  }
  await client.query('RELEASE SAVEPOINT weft_locks');
  return true;
}

export async function renewLocks(
  rt: Runtime,
  client: TenantClient,
  workspaceId: string,
  keys: string[],
  holder: string,
): Promise<void> {
  if (rt.redis !== null) {
    await rt.redis.eval(RENEW, keys.length, ...keys.map((k) => redisKey(workspaceId, k)), holder, rt.stepLeaseMs);
    return;
  }
  await client.query(
    `UPDATE resource_locks SET expires_at = clock_timestamp() + make_interval(secs => $2::int / 1000.0)
      WHERE holder = $1`,
    [holder, rt.stepLeaseMs],
  );
}

/**
 * Frees a holder's locks. `keys` null (the sweeper, which does not know them): Postgres locks are
 * found by holder prefix, Redis ones simply expire with the lease.
 */
export async function releaseLocks(
  rt: Runtime,
  client: TenantClient,
  workspaceId: string,
  keys: string[] | null,
  holder: string,
): Promise<void> {
  if (rt.redis !== null) {
    if (keys !== null && keys.length > 0) {
      await rt.redis.eval(RELEASE, keys.length, ...keys.map((k) => redisKey(workspaceId, k)), holder);
    }
    return;
  }
  await client.query(`DELETE FROM resource_locks WHERE holder LIKE $1 || '%'`, [holder]);
}
