/** Workspace secrets: written through the API, read back only by the plugin host for a granted call. */
import { openStoredSecret, type Queryable, sealStoredSecret } from '@weft/db';
import { isCapability, type SecretValue } from '@weft/plugin-sdk/sandbox';
import { PluginErrorCode, type UserError, userError } from './errors.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_VALUE = 64 * 1024;
const MAX_ALLOWED_HOSTS = 50;

/** A secret as the API may show it: never its value. */
export interface SecretInfo {
  name: string;
  /** Hosts a plugin may send it to; null: the hosts the installation's `http:` grants name (not `http:*`). */
  allowedHosts: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Problems with an `allowedHosts` list: each entry is what an `http:` grant names. */
function checkAllowedHosts(hosts: readonly string[]): UserError[] {
  if (hosts.length > MAX_ALLOWED_HOSTS) {
    return [userError(PluginErrorCode.INVALID_ALLOWED_HOST, ['allowedHosts'], `at most ${MAX_ALLOWED_HOSTS} hosts`)];
  }
  return hosts.flatMap((host, i) =>
    isCapability(`http:${host}`)
      ? []
      : [
          userError(
            PluginErrorCode.INVALID_ALLOWED_HOST,
            ['allowedHosts', String(i)],
            `"${host}" is not a host as http: grants name them (api.example.com, *.example.com, host:port or *)`,
          ),
        ],
  );
}

/**
 * Creates or replaces a secret of the workspace in scope. `client` must be inside
 * `withTenant(pool, { workspaceId })`. `allowedHosts`: where plugins may send it (undefined keeps
 * what a replaced secret had; null: the hosts the installation's grants name, not `http:*`).
 */
export async function setSecret(
  client: Queryable,
  workspaceId: string,
  name: string,
  value: string,
  secretKey: string,
  options: { userId?: string | null; allowedHosts?: readonly string[] | null } = {},
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
  const hostErrors = options.allowedHosts ? checkAllowedHosts(options.allowedHosts) : [];
  if (hostErrors.length > 0) return { secret: null, userErrors: hostErrors };
  if (secretKey.length < 32) {
    throw new Error('SECRET_KEY must be at least 32 characters');
  }
  const ciphertext = sealStoredSecret(secretKey, { store: 'secrets', workspaceId, key: name }, value);
  const keepHosts = options.allowedHosts === undefined;
  const hosts = options.allowedHosts == null ? null : [...new Set(options.allowedHosts)];
  const { rows } = await client.query<SecretRow>(
    `INSERT INTO secrets (workspace_id, name, ciphertext, created_by, allowed_hosts) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workspace_id, name) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now(),
       allowed_hosts = CASE WHEN $6 THEN secrets.allowed_hosts ELSE EXCLUDED.allowed_hosts END
     RETURNING name, allowed_hosts, created_at, updated_at`,
    [workspaceId, name, ciphertext, options.userId ?? null, hosts, keepHosts],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('secret upsert returned no row');
  return { secret: toInfo(row), userErrors: [] };
}

interface SecretRow {
  name: string;
  allowed_hosts: string[] | null;
  created_at: Date;
  updated_at: Date;
}

function toInfo(row: SecretRow): SecretInfo {
  return { name: row.name, allowedHosts: row.allowed_hosts, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Names, allowed hosts and dates of the workspace's secrets (values are never returned). */
export async function listSecrets(client: Queryable, workspaceId: string): Promise<SecretInfo[]> {
  const { rows } = await client.query<SecretRow>(
    'SELECT name, allowed_hosts, created_at, updated_at FROM secrets WHERE workspace_id = $1 ORDER BY name',
    [workspaceId],
  );
  return rows.map(toInfo);
}

/** Deletes a secret; false when there was none. */
export async function deleteSecret(client: Queryable, workspaceId: string, name: string): Promise<boolean> {
  const { rowCount } = await client.query('DELETE FROM secrets WHERE workspace_id = $1 AND name = $2', [
    workspaceId,
    name,
  ]);
  return (rowCount ?? 0) > 0;
}

/** The plaintext and where it may go, for the plugin host only (not exported from the package). */
export async function readSecret(
  client: Queryable,
  workspaceId: string,
  name: string,
  secretKey: string,
): Promise<SecretValue | undefined> {
  const { rows } = await client.query<{ ciphertext: Buffer; allowed_hosts: string[] | null }>(
    'SELECT ciphertext, allowed_hosts FROM secrets WHERE workspace_id = $1 AND name = $2',
    [workspaceId, name],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const value = await openStoredSecret(client, secretKey, { store: 'secrets', workspaceId, key: name }, row.ciphertext);
  return { value, allowedHosts: row.allowed_hosts };
}
