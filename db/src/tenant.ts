import type pg from 'pg';

/** Who a unit of database work runs for. Both settings are transaction-local. */
export interface TenantScope {
  /** Rows of tenant tables are visible and writable only for this workspace. */
  workspaceId?: string | null;
  /** Lets a user read their own memberships (and so their workspaces) across workspaces. */
  userId?: string | null;
}

export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * BEGIN and the tenant settings as one statement string, so opening a tenant transaction is one
 * round trip instead of two (every API request opens at least one). Values are written as
 * literals escaped by the driver, because the simple query protocol that allows several statements
 * takes no parameters.
 */
export function beginTenantSql(client: Pick<pg.ClientBase, 'escapeLiteral'>, scope: TenantScope): string {
  const workspaceId = client.escapeLiteral(scope.workspaceId ?? '');
  const userId = client.escapeLiteral(scope.userId ?? '');
  return `BEGIN; SELECT set_config('weft.workspace_id', ${workspaceId}, true), set_config('weft.user_id', ${userId}, true)`;
}

/**
 * Runs `work` in one transaction with the tenant scope set, committing on success and rolling back
 * on any error, so a request's writes land together or not at all.
 */
export async function withTenant<T>(
  pool: pg.Pool,
  scope: TenantScope,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(beginTenantSql(client, scope));
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Changes the workspace in scope inside an open transaction (e.g. right after creating one). */
export async function setWorkspace(client: Queryable, workspaceId: string): Promise<void> {
  await client.query("SELECT set_config('weft.workspace_id', $1, true)", [workspaceId]);
}
