import { openSecret, storedSecretContext, withTenant } from '@weft/db';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishFirstPartyPlugins } from './first-party.ts';
import {
  installPlugin,
  listInstallations,
  pluginVersionTools,
  publishPluginVersion,
  searchMarketplace,
  uninstallPlugin,
  upgradePlugin,
} from './marketplace.ts';
import { createPluginHost, type PluginHost } from './plugin-host.ts';
import { listSecrets, setSecret } from './secrets.ts';
import { buildInline, createUser, createWorkspace, toolContext, toolNamed } from './test-support.ts';

const SECRET_KEY = 's'.repeat(40);
const source = (version: string, extra = '') => `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'notes', version: '${version}', description: 'notes in kv ${extra}',
  capabilities: ['kv'], optionalCapabilities: ['secrets:*'],
  tools: [
    defineTool({ name: 'save', description: 'save', input: Type.Object({ text: Type.String() }),
      run: async ({ text }, ctx) => { await ctx.kv.set('last', text); return { saved: text, version: '${version}' }; } }),
    defineTool({ name: 'token', description: 'token', input: Type.Object({}),
      run: async (_, ctx) => ({ length: (await ctx.secrets.get('TOKEN')).length }) }),
  ],
});`;

let db: TestDatabase;
let host: PluginHost;
let ws: string;
let publisher: string;
let other: string;
const tenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(db.pools.app, { workspaceId: ws }, work);

beforeAll(async () => {
  db = await createTestDatabase();
  ws = await createWorkspace(db.pools, 'market');
  publisher = await createUser(db.pools, 'author@example.com');
  other = await createUser(db.pools, 'squatter@example.com');
  host = createPluginHost({ pools: db.pools, secretKey: SECRET_KEY, processes: 1 });
});

afterAll(async () => {
  await host?.stop();
  await db?.drop();
});

describe('publishPluginVersion', () => {
  it('publishes a valid version and lists it in the marketplace with publisher, integrity and capabilities', async () => {
    const built = await buildInline(source('1.0.0'));
    const result = await publishPluginVersion(db.pools.app, { ...built, publisherUserId: publisher });
    expect(result.userErrors).toEqual([]);
    expect(result.pluginVersion).toMatchObject({
      pluginName: 'notes',
      version: '1.0.0',
      capabilities: ['kv'],
      optionalCapabilities: ['secrets:*'],
      integrity: built.manifest.integrity,
    });
    const page = await searchMarketplace(db.pools.app, { search: 'notes' });
    expect(page.edges.map((e) => [e.node.name, e.node.publisher, e.node.versions.map((v) => v.version)])).toEqual([
      ['notes', 'author@example.com', ['1.0.0']],
    ]);
    const version = page.edges[0]?.node.versions[0];
    expect(version && pluginVersionTools(version).map((t) => t.name)).toEqual(['notes.save', 'notes.token']);
  });

  it('returns typed userErrors and writes nothing for bad manifests, bad integrity, duplicates and squatters', async () => {
    const built = await buildInline(source('1.1.0'));
    const count = async () => (await db.pools.app.query('SELECT 1 FROM plugin_versions')).rowCount;
    const before = await count();

    const tampered = await publishPluginVersion(db.pools.app, {
      manifest: built.manifest,
      bundle: `${built.bundle};globalThis.x=1`,
      publisherUserId: publisher,
    });
    expect(tampered.userErrors).toEqual([
      expect.objectContaining({ code: 'INTEGRITY_MISMATCH', field: ['manifest', 'integrity'] }),
    ]);

    const badVersion = await publishPluginVersion(db.pools.app, {
      manifest: { ...built.manifest, version: 'latest' },
      bundle: built.bundle,
      publisherUserId: publisher,
    });
    expect(badVersion.userErrors[0]?.code).toBe('INVALID_MANIFEST');

    const badCapability = await publishPluginVersion(db.pools.app, {
      manifest: { ...built.manifest, capabilities: ['root'] },
      bundle: built.bundle,
      publisherUserId: publisher,
    });
    expect(badCapability.userErrors[0]).toMatchObject({
      code: 'INVALID_MANIFEST',
      field: ['manifest', 'capabilities', '0'],
    });

    const v1 = await buildInline(source('1.0.0', 'changed'));
    const duplicate = await publishPluginVersion(db.pools.app, { ...v1, publisherUserId: publisher });
    expect(duplicate.userErrors).toEqual([
      expect.objectContaining({ code: 'VERSION_EXISTS', message: expect.stringContaining('versions are immutable') }),
    ]);

    const squat = await publishPluginVersion(db.pools.app, { ...built, publisherUserId: other });
    expect(squat.userErrors[0]?.code).toBe('NOT_PUBLISHER');
    expect(await count()).toBe(before);
  });

  it('gives a new name to exactly one of two publishers racing for it', async () => {
    const racing = await buildInline(source('1.0.0').replace("name: 'notes'", "name: 'contested'"));
    const results = await Promise.all([
      publishPluginVersion(db.pools.app, { ...racing, publisherUserId: publisher }),
      publishPluginVersion(db.pools.app, { ...racing, publisherUserId: other }),
    ]);
    const winners = results.filter((r) => r.pluginVersion !== null);
    expect(winners).toHaveLength(1);
    expect(results.flatMap((r) => r.userErrors.map((e) => e.code))).toEqual(['NOT_PUBLISHER']);
    const { rows } = await db.pools.owner.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id WHERE p.name = 'contested'",
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('keeps published versions immutable even for direct updates, whichever column', async () => {
    // The application role cannot write the marketplace at all; publishing goes through the database's function.
    await expect(db.pools.app.query("UPDATE plugin_versions SET bundle = 'evil'")).rejects.toThrow(/permission denied/);
    // Not even the owner can change a published version: every column is covered.
    for (const change of [
      "bundle = 'evil'",
      "created_at = created_at - interval '1 day'",
      `published_by = '${other}'`,
      "capabilities = '{net:*}'",
    ]) {
      await expect(db.pools.owner.query(`UPDATE plugin_versions SET ${change}`)).rejects.toThrow(/immutable/);
    }
  });
});

describe('install, call, upgrade, uninstall', () => {
  let v1Id = '';
  let v2Id = '';
  let installationId = '';

  beforeAll(async () => {
    const page = await searchMarketplace(db.pools.app, { search: 'notes' });
    v1Id = page.edges.find((e) => e.node.name === 'notes')?.node.versions[0]?.id ?? '';
    const v2 = await publishPluginVersion(db.pools.app, {
      ...(await buildInline(source('2.0.0'))),
      publisherUserId: publisher,
    });
    v2Id = v2.pluginVersion?.id ?? '';
  });

  it('refuses an install that does not grant every required capability, naming the missing ones', async () => {
    const result = await tenant((c) => installPlugin(c, ws, { pluginVersionId: v1Id, grantedCapabilities: [] }));
    expect(result.installation).toBeNull();
    expect(result.userErrors).toEqual([
      {
        code: 'MISSING_CAPABILITIES',
        field: ['grantedCapabilities'],
        message: 'notes@1.0.0 requires these capabilities, which were not granted: kv',
      },
    ]);
    const extra = await tenant((c) =>
      installPlugin(c, ws, { pluginVersionId: v1Id, grantedCapabilities: ['kv', 'llm'] }),
    );
    expect(extra.userErrors[0]?.code).toBe('CAPABILITY_NOT_REQUESTED');
    const missing = await tenant((c) =>
      installPlugin(c, ws, { pluginVersionId: '00000000-0000-4000-8000-000000000000', grantedCapabilities: ['kv'] }),
    );
    expect(missing.userErrors[0]?.code).toBe('NOT_FOUND');
    expect(await tenant((c) => listInstallations(c, ws))).toEqual([]);
  });

  it('installs with an optional capability withheld; a call needing it fails clearly at call time', async () => {
    const result = await tenant((c) => installPlugin(c, ws, { pluginVersionId: v1Id, grantedCapabilities: ['kv'] }));
    expect(result.userErrors).toEqual([]);
    installationId = result.installation?.id ?? '';
    const tools = await host.listTools(ws);
    expect(tools.map((t) => t.name)).toEqual(['notes.save', 'notes.token']);
    await expect(toolNamed(tools, 'notes.save').run({ text: 'hi' }, toolContext(ws))).resolves.toEqual({
      saved: 'hi',
      version: '1.0.0',
    });
    await expect(toolNamed(tools, 'notes.token').run({}, toolContext(ws))).rejects.toThrow(
      'notes.token: secrets.get: secret "TOKEN" was not granted (capability "secrets:TOKEN")',
    );
    const again = await tenant((c) => installPlugin(c, ws, { pluginVersionId: v1Id, grantedCapabilities: ['kv'] }));
    expect(again.userErrors[0]?.code).toBe('ALREADY_INSTALLED');
  });

  it('upgrades to a new version with new grants; the tools then run the new version', async () => {
    const result = await tenant((c) =>
      upgradePlugin(c, ws, { installationId, pluginVersionId: v2Id, grantedCapabilities: ['kv', 'secrets:TOKEN'] }),
    );
    expect(result.userErrors).toEqual([]);
    await tenant((c) => setSecret(c, ws, 'TOKEN', 'abcdef', SECRET_KEY));
    const tools = await host.listTools(ws);
    await expect(toolNamed(tools, 'notes.save').run({ text: 'v2' }, toolContext(ws))).resolves.toEqual({
      saved: 'v2',
      version: '2.0.0',
    });
    await expect(toolNamed(tools, 'notes.token').run({}, toolContext(ws))).resolves.toEqual({ length: 6 });
  });

  it('uninstalls: the tools disappear and the installation’s kv goes with it', async () => {
    const result = await tenant((c) => uninstallPlugin(c, ws, { installationId }));
    expect(result.installation?.id).toBe(installationId);
    expect(await host.listTools(ws)).toEqual([]);
    const { rowCount } = await db.pools.owner.query('SELECT 1 FROM plugin_kv WHERE installation_id = $1', [
      installationId,
    ]);
    expect(rowCount).toBe(0);
    const twice = await tenant((c) => uninstallPlugin(c, ws, { installationId }));
    expect(twice.userErrors[0]?.code).toBe('NOT_FOUND');
  });
});

describe('secrets', () => {
  it('stores AES-256-GCM ciphertext bound to the workspace and name; listing never shows values', async () => {
    await tenant((c) => setSecret(c, ws, 'SLACK', 'xoxb-very-secret', SECRET_KEY));
    const { rows } = await db.pools.owner.query<{ ciphertext: Buffer }>(
      'SELECT ciphertext FROM secrets WHERE name = $1',
      ['SLACK'],
    );
    const blob = rows[0]?.ciphertext ?? Buffer.alloc(0);
    expect(blob.toString('utf8')).not.toContain('xoxb');
    const context = (name: string) => storedSecretContext({ store: 'secrets', workspaceId: ws, key: name });
    expect(openSecret(SECRET_KEY, blob, context('SLACK'))).toBe('xoxb-very-secret');
    expect(() => openSecret(SECRET_KEY, blob, context('OTHER'))).toThrow();
    expect(() => openSecret('t'.repeat(40), blob, context('SLACK'))).toThrow();
    const listed = await tenant((c) => listSecrets(c, ws));
    expect(JSON.stringify(listed)).not.toContain('xoxb');
    const bad = await tenant((c) => setSecret(c, ws, '1-bad name', 'v', SECRET_KEY));
    expect(bad.userErrors[0]?.code).toBe('INVALID_SECRET_NAME');
  });
});

describe('first-party plugins', () => {
  it('are published idempotently at start-up, listed in the marketplace, installed nowhere', async () => {
    const first = await publishFirstPartyPlugins(db.pools);
    expect(first.map((r) => [r.name, r.status])).toEqual([
      ['http', 'published'],
      ['transform', 'published'],
      ['calendar', 'published'],
      ['llm', 'published'],
    ]);
    const second = await publishFirstPartyPlugins(db.pools);
    expect(second.every((r) => r.status === 'unchanged')).toBe(true);
    const page = await searchMarketplace(db.pools.app, { first: 50 });
    const firstParty = page.edges.filter((e) => e.node.firstParty).map((e) => [e.node.name, e.node.publisher]);
    expect(firstParty).toEqual([
      ['calendar', 'weft'],
      ['http', 'weft'],
      ['llm', 'weft'],
      ['transform', 'weft'],
    ]);
    const { rowCount } = await db.pools.owner.query('SELECT 1 FROM plugin_installations');
    expect(rowCount).toBe(0);
    const squat = await publishPluginVersion(db.pools.app, {
      ...(await buildInline(source('9.0.0').replace("name: 'notes'", "name: 'http'"))),
      publisherUserId: other,
    });
    expect(squat.userErrors[0]?.code).toBe('NOT_PUBLISHER');
  });

  it('pages through the marketplace with cursors', async () => {
    const one = await searchMarketplace(db.pools.app, { first: 2 });
    expect(one.pageInfo.hasNextPage).toBe(true);
    const two = await searchMarketplace(db.pools.app, { first: 2, after: one.pageInfo.endCursor });
    expect((two.edges[0]?.node.name ?? '') > (one.edges[1]?.node.name ?? '')).toBe(true);
  });
});
