/** Workspace secrets: written through the API, read back only by the plugin host for a granted call. */
import type { Queryable } from '@weft/db';
import { PluginErrorCode, type UserError, userError } from './errors.ts';
import { decryptSecret, encryptSecret } from './secret-box.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_VALUE = 64 * 1024;

/** A secret as the API may show it: never its value. */
export interface SecretInfo {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Creates or replaces a secret of the workspace in scope. `client` must be inside
 * `withTenant(pool, { workspaceId })`.
 */
export async function setSecret(
  client: Queryable,
  workspaceId: string,
  name: string,
  value: string,
  secretKey: string,
  options: { userId?: string | null } = {},
): Promise<{ secret: SecretInfo | null; userErrors: UserError[] }> {
  if (!NAME.test(name)) {
    return {
      secret: null,
      userErrors: [
        userError(
          PluginErrorCode.INVALID_SECRET_NAME,
          ['name'],
          'secret names are letters, digits and _ (not starting with a digit)',
        ),
      ],
    };
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE) {
    return {
      secret: null,
      userErrors: [userError(PluginErrorCode.SECRET_TOO_LARGE, ['value'], 'secrets are at most 64 KiB')],
    };
  }
  if (secretKey.length < 32) {
    throw new Error('SECRET_KEY must be at least 32 characters');
  }
  const ciphertext = encryptSecret(secretKey, workspaceId, name, value);
  const { rows } = await client.query<{ name: string; created_at: Date; updated_at: Date }>(
    `INSERT INTO secrets (workspace_id, name, ciphertext, created_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, name) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now()
     RETURNING name, created_at, updated_at`,
    [workspaceId, name, ciphertext, options.userId ?? null],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('secret upsert returned no row');
  return { secret: { name: row.name, createdAt: row.created_at, updatedAt: row.updated_at }, userErrors: [] };
}

/** Names and dates of the workspace's secrets (values are never returned). */
export async function listSecrets(client: Queryable, workspaceId: string): Promise<SecretInfo[]> {
  const { rows } = await client.query<{ name: string; created_at: Date; updated_at: Date }>(
    'SELECT name, created_at, updated_at FROM secrets WHERE workspace_id = $1 ORDER BY name',
    [workspaceId],
  );
  return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
}

/** Deletes a secret; false when there was none. */
export async function deleteSecret(client: Queryable, workspaceId: string, name: string): Promise<boolean> {
  const { rowCount } = await client.query('DELETE FROM secrets WHERE workspace_id = $1 AND name = $2', [
    workspaceId,
    name,
  ]);
  return (rowCount ?? 0) > 0;
}

/** The plaintext, for the plugin host only (not exported from the package). */
export async function readSecret(
  client: Queryable,
  workspaceId: string,
  name: string,
  secretKey: string,
): Promise<string | undefined> {
  const { rows } = await client.query<{ ciphertext: Buffer }>(
    'SELECT ciphertext FROM secrets WHERE workspace_id = $1 AND name = $2',
    [workspaceId, name],
  );
  const row = rows[0];
  return row === undefined ? undefined : decryptSecret(secretKey, workspaceId, name, row.ciphertext);
}
