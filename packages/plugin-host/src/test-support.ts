/** Shared set-up of this package's tests (not exported): workspaces, contexts, inline plugins. */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Pools } from '@weft/db';
import { withTenant } from '@weft/db';
import type { ToolContext, ToolDefinition } from '@weft/engine';
import { type BuiltPlugin, buildPlugin } from '@weft/plugin-sdk/build';
import { installPlugin, publishPluginVersion } from './marketplace.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Builds a plugin from inline source (imports of `@weft/plugin-sdk` resolve from this package). */
export function buildInline(source: string): Promise<BuiltPlugin> {
  return buildPlugin(PACKAGE_DIR, { source, write: false });
}

export async function createWorkspace(pools: Pools, slug: string): Promise<string> {
  const { rows } = await pools.owner.query<{ id: string }>(
    'INSERT INTO workspaces (slug, name) VALUES ($1, $2) RETURNING id',
    [slug, slug],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('no workspace');
  return id;
}

export async function createUser(pools: Pools, email: string): Promise<string> {
  const { rows } = await pools.owner.query<{ id: string }>(
    "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
    [email],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('no user');
  return id;
}

/** Publishes (as a new user unless one is given) and installs a built plugin; returns the ids. */
export async function publishAndInstall(
  pools: Pools,
  plugin: BuiltPlugin,
  installs: { workspaceId: string; grants: string[] }[],
  publisherUserId?: string,
): Promise<{ pluginVersionId: string; installationIds: string[] }> {
  // Every third-party version has an accountable publisher: the database refuses one without.
  const publisher = publisherUserId ?? (await createUser(pools, `publisher-${randomUUID()}@example.com`));
  const published = await publishPluginVersion(pools.app, {
    manifest: plugin.manifest,
    bundle: plugin.bundle,
    publisherUserId: publisher,
  });
  const version = published.pluginVersion;
  if (version === null) throw new Error(`publish failed: ${JSON.stringify(published.userErrors)}`);
  const installationIds: string[] = [];
  for (const { workspaceId, grants } of installs) {
    const result = await withTenant(pools.app, { workspaceId }, (client) =>
      installPlugin(client, workspaceId, { pluginVersionId: version.id, grantedCapabilities: grants }),
    );
    if (result.installation === null) throw new Error(`install failed: ${JSON.stringify(result.userErrors)}`);
    installationIds.push(result.installation.id);
  }
  return { pluginVersionId: version.id, installationIds };
}

export interface TestContext extends ToolContext {
  logs: { level: string; message: string; data: unknown }[];
  shared: Map<string, unknown>;
  abort(reason?: string): void;
}

/** A ToolContext as the engine would pass it, with an in-memory shared context. */
export function toolContext(workspaceId: string, stepId = 'step'): TestContext {
  const controller = new AbortController();
  const shared = new Map<string, unknown>();
  const logs: TestContext['logs'] = [];
  return {
    workspaceId,
    executionId: '00000000-0000-4000-8000-000000000001',
    stepId,
    attempt: 1,
    mode: 'LIVE',
    signal: controller.signal,
    context: {
      get: async (key) => shared.get(key),
      set: async (key, value) => {
        shared.set(key, value);
      },
    },
    messages: { post: async () => {}, read: async () => [] },
    log: (level, message, data) => {
      logs.push({ level, message, data });
    },
    logs,
    shared,
    abort: (reason = 'cancelled') => controller.abort(reason),
  };
}

export function toolNamed(tools: ToolDefinition[], name: string): ToolDefinition {
  const tool = tools.find((t) => t.name === name);
  if (tool === undefined) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
  return tool;
}
