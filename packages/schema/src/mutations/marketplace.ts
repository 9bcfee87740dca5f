import { withTenant } from '@weft/db';
import {
  getPluginVersion,
  installPlugin,
  type PluginInstallationRecord,
  type UserError as PluginUserError,
  publishPluginVersion,
  uninstallPlugin,
  upgradePlugin,
} from '@weft/plugin-host';
import type pg from 'pg';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder } from '../builder.ts';
import { inTenant, requireViewer, type SchemaContext } from '../context.ts';
import { notFound, type UserError } from '../errors.ts';
import { encodeGlobalId, encodeTenantId, parseId, parseTenantId } from '../ids.ts';
import {
  InstallPluginInput,
  PluginInstallationPayload,
  type PluginInstallationPayloadShape,
  PluginVersionPayload,
  type PluginVersionPayloadShape,
  PublishPluginInput,
  UninstallPluginInput,
} from '../types/engine-payloads.ts';

const UpgradePluginInput = builder.inputType('UpgradePluginInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The installation.' }),
    pluginVersionId: t.id({ required: true, description: 'Another version of the same plugin (up or down).' }),
    grantedCapabilities: t.stringList({
      required: false,
      description: 'Defaults to the current grants the new version still asks for.',
    }),
  }),
});

/**
 * The marketplace's errors as the API reports them. A version or installation id that points at
 * nothing is NOT_FOUND like any other id (docs/contract.md "Error model"), not a userError.
 */
function toUserErrors(errors: PluginUserError[], idFields: string[]): UserError[] {
  for (const e of errors) {
    if (e.code === 'NOT_FOUND' && e.field !== null && idFields.includes(e.field[0] ?? '')) throw notFound();
  }
  return errors.map((e) => ({ code: e.code, field: e.field, message: e.message }));
}

/** What an audit row says about an installation: plugin, version, grants (never secrets). */
async function describeInstallation(client: pg.PoolClient, installation: PluginInstallationRecord) {
  const version = await getPluginVersion(client, installation.pluginVersionId);
  return {
    plugin: version?.pluginName ?? null,
    version: version?.version ?? null,
    pluginVersion: encodeGlobalId('PluginVersion', installation.pluginVersionId),
    grantedCapabilities: installation.grantedCapabilities,
  };
}

/** Runs a marketplace change and its audit row in one tenant transaction; errors write nothing. */
async function changeInstallation(
  ctx: SchemaContext,
  workspaceId: string,
  action: string,
  idFields: string[],
  change: (
    client: pg.PoolClient,
  ) => Promise<{ installation: PluginInstallationRecord | null; userErrors: PluginUserError[] }>,
  before?: PluginInstallationRecord,
): Promise<PluginInstallationPayloadShape> {
  const viewer = requireViewer(ctx);
  return inTenant(ctx, workspaceId, async (client) => {
    const result = await change(client);
    const userErrors = toUserErrors(result.userErrors, idFields);
    const installation = result.installation;
    if (userErrors.length > 0 || installation === null) return { userErrors };
    const removed = action === 'plugin.uninstall';
    const described = await describeInstallation(client, installation);
    await writeAudit(client, {
      workspaceId,
      actorId: viewer.userId,
      action,
      targetId: encodeTenantId('PluginInstallation', workspaceId, installation.id),
      ...(removed ? { before: described } : { after: described }),
      ...(before !== undefined ? { before: await describeInstallation(client, before) } : {}),
    });
    return { installation, userErrors: [] };
  });
}

async function currentInstallation(
  ctx: SchemaContext,
  workspaceId: string,
  id: string,
): Promise<PluginInstallationRecord> {
  const found = await inTenant(ctx, workspaceId, async (client) => {
    const { rows } = await client.query<{ plugin_version_id: string; granted_capabilities: string[] }>(
      'SELECT plugin_version_id, granted_capabilities FROM plugin_installations WHERE id = $1',
      [id],
    );
    return rows[0];
  });
  if (found === undefined) throw notFound();
  return {
    id,
    workspaceId,
    pluginId: '',
    pluginVersionId: found.plugin_version_id,
    grantedCapabilities: found.granted_capabilities,
    enabled: true,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

builder.mutationFields((t) => ({
  publishPlugin: t.field({
    type: PluginVersionPayload,
    description:
      'Publishes an immutable plugin version (manifest + bundle, as `weft-plugin build` writes them). The signed-in user is its publisher; the first publisher of a name owns it.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: PublishPluginInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<PluginVersionPayloadShape> => {
      const viewer = requireViewer(ctx);
      // Plugins are global rows: no workspace in scope, the publisher is the user.
      const result = await withTenant(ctx.options.pools.app, { userId: viewer.userId }, (client) =>
        publishPluginVersion(client, {
          manifest: input.manifest,
          bundle: input.bundle,
          publisherUserId: viewer.userId,
        }),
      );
      if (result.pluginVersion === null || result.userErrors.length > 0) {
        return { userErrors: toUserErrors(result.userErrors, []) };
      }
      ctx.options.logger.info(
        {
          plugin: result.pluginVersion.pluginName,
          version: result.pluginVersion.version,
          by: viewer.userId,
          reqId: ctx.requestId,
        },
        'plugin version published',
      );
      return { pluginVersion: result.pluginVersion, userErrors: [] };
    },
  }),
  installPlugin: t.field({
    type: PluginInstallationPayload,
    description:
      'Installs a plugin version in a workspace. Every capability the version requires must be granted; optional ones may be withheld.',
    authScopes: canIn(MUTATION_PERMISSIONS.installPlugin, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    args: { input: t.arg({ type: InstallPluginInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const pluginVersionId = parseId(String(input.pluginVersionId), 'PluginVersion');
      return changeInstallation(ctx, workspaceId, 'plugin.install', ['pluginVersionId'], (client) =>
        installPlugin(client, workspaceId, { pluginVersionId, grantedCapabilities: input.grantedCapabilities }),
      );
    },
  }),
  upgradePlugin: t.field({
    type: PluginInstallationPayload,
    description: 'Moves an installation to another version of its plugin, optionally with new grants.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.upgradePlugin,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'PluginInstallation').workspaceId,
    ),
    args: { input: t.arg({ type: UpgradePluginInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { workspaceId, id } = parseTenantId(String(input.id), 'PluginInstallation');
      const pluginVersionId = parseId(String(input.pluginVersionId), 'PluginVersion');
      const before = await currentInstallation(ctx, workspaceId, id);
      return changeInstallation(
        ctx,
        workspaceId,
        'plugin.upgrade',
        ['installationId', 'pluginVersionId'],
        (client) =>
          upgradePlugin(client, workspaceId, {
            installationId: id,
            pluginVersionId,
            ...(input.grantedCapabilities ? { grantedCapabilities: input.grantedCapabilities } : {}),
          }),
        before,
      );
    },
  }),
  uninstallPlugin: t.field({
    type: PluginInstallationPayload,
    description: "Removes an installation (and its kv data); its tools leave the workspace's catalogue.",
    authScopes: canIn(
      MUTATION_PERMISSIONS.uninstallPlugin,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'PluginInstallation').workspaceId,
    ),
    args: { input: t.arg({ type: UninstallPluginInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { workspaceId, id } = parseTenantId(String(input.id), 'PluginInstallation');
      return changeInstallation(ctx, workspaceId, 'plugin.uninstall', ['installationId'], (client) =>
        uninstallPlugin(client, workspaceId, { installationId: id }),
      );
    },
  }),
}));
