/**
 * The marketplace: publish immutable plugin versions, search them, install a version into a
 * workspace with capability grants, upgrade, uninstall. Expected failures come back as typed
 * `userErrors` with nothing written; unexpected ones are thrown.
 */
import type { Queryable } from '@weft/db';
import type { PluginManifest } from '@weft/plugin-sdk';
import { validateManifest } from '@weft/plugin-sdk/build';
import { bundleIntegrity, isCapability, missingCapabilities, unrequestedGrants } from '@weft/plugin-sdk/sandbox';
import semver from 'semver';
import { PluginErrorCode, type UserError, userError } from './errors.ts';

/** Bundles larger than this are refused at publish (they are loaded into every isolate). */
export const MAX_BUNDLE_BYTES = 5_000_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A published version as the marketplace lists it (no bundle). */
export interface PluginVersionRecord {
  id: string;
  pluginId: string;
  pluginName: string;
  version: string;
  /** Required capabilities. */
  capabilities: string[];
  optionalCapabilities: string[];
  integrity: string;
  manifest: PluginManifest;
  createdAt: Date;
}

/** A plugin with its versions, newest first. */
export interface PluginRecord {
  id: string;
  name: string;
  publisher: string;
  description: string | null;
  firstParty: boolean;
  versions: PluginVersionRecord[];
}

/** An installation of a version in a workspace. */
export interface PluginInstallationRecord {
  id: string;
  workspaceId: string;
  pluginId: string;
  pluginVersionId: string;
  grantedCapabilities: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface VersionRow {
  id: string;
  plugin_id: string;
  plugin_name: string;
  version: string;
  capabilities: string[];
  optional_capabilities: string[];
  integrity: string;
  manifest: PluginManifest;
  created_at: Date;
}

interface InstallationRow {
  id: string;
  workspace_id: string;
  plugin_id: string;
  plugin_version_id: string;
  granted_capabilities: string[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const VERSION_COLUMNS = `v.id, v.plugin_id, p.name AS plugin_name, v.version, v.capabilities, v.optional_capabilities,
  v.integrity, v.manifest, v.created_at`;

function toVersion(row: VersionRow): PluginVersionRecord {
  return {
    id: row.id,
    pluginId: row.plugin_id,
    pluginName: row.plugin_name,
    version: row.version,
    capabilities: row.capabilities,
    optionalCapabilities: row.optional_capabilities,
    integrity: row.integrity,
    manifest: row.manifest,
    createdAt: row.created_at,
  };
}

function toInstallation(row: InstallationRow): PluginInstallationRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    pluginId: row.plugin_id,
    pluginVersionId: row.plugin_version_id,
    grantedCapabilities: row.granted_capabilities,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A version's tools as the API shows them (`PluginVersion.tools`), named as plans call them. */
export interface PluginVersionTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
}

export function pluginVersionTools(version: PluginVersionRecord): PluginVersionTool[] {
  return version.manifest.tools.map((tool) => ({
    name: `${version.pluginName}.${tool.name}`,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
  }));
}

/** What the database's publishing function answers (migration 10). */
type PublishOutcome = 'PUBLISHED' | 'NOT_PUBLISHER' | 'VERSION_EXISTS';

/** Input of {@link publishPluginVersion}. */
export interface PublishPluginVersionInput {
  manifest: unknown;
  bundle: string;
  /** The signed-in user publishing; null for first-party plugins. */
  publisherUserId: string | null;
  /** Shown as a first-party plugin's publisher; others show the user's name or email. */
  publisherName?: string;
  /**
   * Internal: first-party plugins (nobody else may publish under their names). The database accepts
   * this only from its owner's connection, i.e. start-up seeding, never from `weft_app`.
   */
  firstParty?: boolean;
}

/**
 * Publishes a plugin version. The manifest is validated (ajv against the SDK's manifest schema,
 * semver), the bundle's integrity is recomputed and must match, and a version, once published,
 * never changes: publishing the same version again is `VERSION_EXISTS`.
 */
export async function publishPluginVersion(
  client: Queryable,
  input: PublishPluginVersionInput,
): Promise<{ pluginVersion: PluginVersionRecord | null; userErrors: UserError[] }> {
  const fail = (e: UserError) => ({ pluginVersion: null, userErrors: [e] });
  const problems = validateManifest(input.manifest);
  if (problems.length > 0) {
    return {
      pluginVersion: null,
      userErrors: problems.map((p) => {
        const [path = '/', ...rest] = p.split(' ');
        return userError(
          PluginErrorCode.INVALID_MANIFEST,
          ['manifest', ...path.split('/').filter(Boolean)],
          `manifest ${path} ${rest.join(' ')}`,
        );
      }),
    };
  }
  const manifest = input.manifest as PluginManifest;
  if (semver.valid(manifest.version) === null) {
    return fail(
      userError(
        PluginErrorCode.INVALID_VERSION,
        ['manifest', 'version'],
        `"${manifest.version}" is not a semver version`,
      ),
    );
  }
  if (typeof input.bundle !== 'string' || Buffer.byteLength(input.bundle, 'utf8') > MAX_BUNDLE_BYTES) {
    return fail(
      userError(PluginErrorCode.BUNDLE_TOO_LARGE, ['bundle'], `bundles are at most ${MAX_BUNDLE_BYTES} bytes`),
    );
  }
  const integrity = bundleIntegrity(input.bundle);
  if (integrity !== manifest.integrity) {
    return fail(
      userError(
        PluginErrorCode.INTEGRITY_MISMATCH,
        ['manifest', 'integrity'],
        `the bundle's sha256 is ${integrity}, the manifest says ${manifest.integrity}`,
      ),
    );
  }

  // Who may publish under this name, and the audit row, are the database's one door to the
  // marketplace (migration 10): weft_app cannot write plugins or plugin_versions itself.
  const { rows: outcomes } = await client.query<{ outcome: PublishOutcome; plugin_version_id: string | null }>(
    'SELECT outcome, plugin_version_id FROM weft_publish_plugin_version($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
    [
      manifest.name,
      manifest.version,
      JSON.stringify(manifest),
      input.bundle,
      integrity,
      manifest.capabilities,
      manifest.optionalCapabilities,
      manifest.description,
      input.publisherUserId,
      input.firstParty === true,
      input.publisherName ?? null,
    ],
  );
  const { outcome, plugin_version_id: versionId } = outcomes[0] ?? { outcome: 'PUBLISHED', plugin_version_id: null };
  if (outcome === 'NOT_PUBLISHER') {
    return fail(
      userError(
        PluginErrorCode.NOT_PUBLISHER,
        ['manifest', 'name'],
        `plugin "${manifest.name}" belongs to another publisher`,
      ),
    );
  }
  if (outcome === 'VERSION_EXISTS') {
    return fail(
      userError(
        PluginErrorCode.VERSION_EXISTS,
        ['manifest', 'version'],
        `${manifest.name}@${manifest.version} is already published; versions are immutable, publish a new version`,
      ),
    );
  }
  const row = versionId === null ? undefined : ((await getPluginVersion(client, versionId)) ?? undefined);
  if (row === undefined) throw new Error(`publishing ${manifest.name}@${manifest.version} returned no version`);
  return { pluginVersion: row, userErrors: [] };
}

/** One page of the marketplace, by plugin name. */
export interface MarketplacePage {
  edges: { cursor: string; node: PluginRecord }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const encodeCursor = (name: string) => Buffer.from(`plugin:${name}`, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('plugin:') ? text.slice(7) : '';
};

/** Lists published plugins (name or description matching `search`), with their versions, newest first. */
export async function searchMarketplace(
  client: Queryable,
  options: { search?: string | null; first?: number | null; after?: string | null } = {},
): Promise<MarketplacePage> {
  const first = Math.min(Math.max(options.first ?? 20, 1), 100);
  const after = options.after ? decodeCursor(options.after) : '';
  const pattern = options.search ? `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const { rows } = await client.query<{
    id: string;
    name: string;
    publisher: string;
    description: string | null;
    first_party: boolean;
  }>(
    `SELECT id, name, publisher, description, first_party FROM plugins
     WHERE name > $1 AND ($2::text IS NULL OR name ILIKE $2 OR description ILIKE $2)
       AND EXISTS (SELECT 1 FROM plugin_versions v WHERE v.plugin_id = plugins.id)
     ORDER BY name LIMIT $3`,
    [after, pattern, first + 1],
  );
  const page = rows.slice(0, first);
  const versions = await client.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id
     WHERE v.plugin_id = ANY($1::uuid[])`,
    [page.map((r) => r.id)],
  );
  const byPlugin = new Map<string, PluginVersionRecord[]>();
  for (const v of versions.rows.map(toVersion)) {
    const list = byPlugin.get(v.pluginId) ?? [];
    list.push(v);
    byPlugin.set(v.pluginId, list);
  }
  const edges = page.map((r) => ({
    cursor: encodeCursor(r.name),
    node: {
      id: r.id,
      name: r.name,
      publisher: r.publisher,
      description: r.description,
      firstParty: r.first_party,
      versions: (byPlugin.get(r.id) ?? []).sort((a, b) => semver.rcompare(a.version, b.version)),
    },
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** One published version by id, or null. */
export async function getPluginVersion(
  client: Queryable,
  pluginVersionId: string,
): Promise<PluginVersionRecord | null> {
  if (!UUID.test(pluginVersionId)) return null;
  const { rows } = await client.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id WHERE v.id = $1`,
    [pluginVersionId],
  );
  const row = rows[0];
  return row === undefined ? null : toVersion(row);
}

function checkGrants(version: PluginVersionRecord, granted: string[]): UserError | null {
  const field = ['grantedCapabilities'];
  const malformed = granted.filter((g) => !isCapability(g));
  if (malformed.length > 0) {
    return userError(PluginErrorCode.INVALID_CAPABILITY, field, `not capabilities: ${malformed.join(', ')}`);
  }
  const extra = unrequestedGrants([...version.capabilities, ...version.optionalCapabilities], granted);
  if (extra.length > 0) {
    return userError(
      PluginErrorCode.CAPABILITY_NOT_REQUESTED,
      field,
      `${version.pluginName}@${version.version} does not ask for: ${extra.join(', ')}`,
    );
  }
  const missing = missingCapabilities(version.capabilities, granted);
  if (missing.length > 0) {
    return userError(
      PluginErrorCode.MISSING_CAPABILITIES,
      field,
      `${version.pluginName}@${version.version} requires these capabilities, which were not granted: ${missing.join(', ')}`,
    );
  }
  return null;
}

/**
 * Installs a version in a workspace with the given grants. `client` must be inside
 * `withTenant(pool, { workspaceId })`. Every required capability must be granted; optional ones
 * may be withheld (calls needing them then fail with CAPABILITY_DENIED).
 */
export async function installPlugin(
  client: Queryable,
  workspaceId: string,
  input: { pluginVersionId: string; grantedCapabilities: string[] },
): Promise<{ installation: PluginInstallationRecord | null; userErrors: UserError[] }> {
  const version = await getPluginVersion(client, input.pluginVersionId);
  if (version === null) {
    return {
      installation: null,
      userErrors: [userError(PluginErrorCode.NOT_FOUND, ['pluginVersionId'], 'no such plugin version')],
    };
  }
  const granted = [...new Set(input.grantedCapabilities)];
  const problem = checkGrants(version, granted);
  if (problem !== null) return { installation: null, userErrors: [problem] };
  const { rows } = await client.query<InstallationRow>(
    `INSERT INTO plugin_installations (workspace_id, plugin_id, plugin_version_id, granted_capabilities)
     VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, plugin_id) DO NOTHING RETURNING *`,
    [workspaceId, version.pluginId, version.id, granted],
  );
  const row = rows[0];
  if (row === undefined) {
    return {
      installation: null,
      userErrors: [
        userError(
          PluginErrorCode.ALREADY_INSTALLED,
          ['pluginVersionId'],
          `${version.pluginName} is already installed in this workspace; upgrade the installation instead`,
        ),
      ],
    };
  }
  return { installation: toInstallation(row), userErrors: [] };
}

async function getInstallation(
  client: Queryable,
  workspaceId: string,
  installationId: string,
): Promise<InstallationRow | null> {
  if (!UUID.test(installationId)) return null;
  const { rows } = await client.query<InstallationRow>(
    'SELECT * FROM plugin_installations WHERE workspace_id = $1 AND id = $2',
    [workspaceId, installationId],
  );
  return rows[0] ?? null;
}

/**
 * Moves an installation to another version of the same plugin (up or down). Grants default to the
 * current ones the new version still asks for; the new version's required capabilities must hold.
 */
export async function upgradePlugin(
  client: Queryable,
  workspaceId: string,
  input: { installationId: string; pluginVersionId: string; grantedCapabilities?: string[] },
): Promise<{ installation: PluginInstallationRecord | null; userErrors: UserError[] }> {
  const current = await getInstallation(client, workspaceId, input.installationId);
  if (current === null) {
    return {
      installation: null,
      userErrors: [userError(PluginErrorCode.NOT_FOUND, ['installationId'], 'no such installation')],
    };
  }
  const version = await getPluginVersion(client, input.pluginVersionId);
  if (version === null) {
    return {
      installation: null,
      userErrors: [userError(PluginErrorCode.NOT_FOUND, ['pluginVersionId'], 'no such plugin version')],
    };
  }
  if (version.pluginId !== current.plugin_id) {
    return {
      installation: null,
      userErrors: [
        userError(PluginErrorCode.WRONG_PLUGIN, ['pluginVersionId'], 'that version belongs to another plugin'),
      ],
    };
  }
  const requested = [...version.capabilities, ...version.optionalCapabilities];
  const granted =
    input.grantedCapabilities === undefined
      ? current.granted_capabilities.filter((g) => unrequestedGrants(requested, [g]).length === 0)
      : [...new Set(input.grantedCapabilities)];
  const problem = checkGrants(version, granted);
  if (problem !== null) return { installation: null, userErrors: [problem] };
  const { rows } = await client.query<InstallationRow>(
    `UPDATE plugin_installations SET plugin_version_id = $3, granted_capabilities = $4, updated_at = now()
     WHERE workspace_id = $1 AND id = $2 RETURNING *`,
    [workspaceId, current.id, version.id, granted],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('installation vanished during upgrade');
  return { installation: toInstallation(row), userErrors: [] };
}

/** Removes an installation and its kv data. */
export async function uninstallPlugin(
  client: Queryable,
  workspaceId: string,
  input: { installationId: string },
): Promise<{ installation: PluginInstallationRecord | null; userErrors: UserError[] }> {
  if (!UUID.test(input.installationId)) {
    return {
      installation: null,
      userErrors: [userError(PluginErrorCode.NOT_FOUND, ['installationId'], 'no such installation')],
    };
  }
  const { rows } = await client.query<InstallationRow>(
    'DELETE FROM plugin_installations WHERE workspace_id = $1 AND id = $2 RETURNING *',
    [workspaceId, input.installationId],
  );
  const row = rows[0];
  if (row === undefined) {
    return {
      installation: null,
      userErrors: [userError(PluginErrorCode.NOT_FOUND, ['installationId'], 'no such installation')],
    };
  }
  return { installation: toInstallation(row), userErrors: [] };
}

/** The workspace's installations (for `Workspace.installedPlugins`). */
export async function listInstallations(client: Queryable, workspaceId: string): Promise<PluginInstallationRecord[]> {
  const { rows } = await client.query<InstallationRow>(
    'SELECT * FROM plugin_installations WHERE workspace_id = $1 ORDER BY created_at',
    [workspaceId],
  );
  return rows.map(toInstallation);
}
