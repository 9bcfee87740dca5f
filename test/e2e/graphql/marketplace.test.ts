// The marketplace through the API, as a plugin author and a workspace admin use it: publish an
// SDK-built plugin with an API token, find it, install it with grants, give it a secret, run its
// tool in a plan on a real worker, upgrade and uninstall it; draft plans over the workspace's
// tools; A/B runs of two plan versions.
import { join } from 'node:path';
import { gql } from '@apollo/client';
import { type BuiltPlugin, buildPlugin, publishPlugin } from '@weft/plugin-sdk/build';
import {
  codes,
  eventually,
  REPO_ROOT,
  signUpUser,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPARE_VERSIONS,
  DRAFT_PLAN,
  EXECUTION,
  INSTALL_PLUGIN,
  MARKETPLACE,
  PUBLISH_PLUGIN,
  SET_SECRET,
  START_AB_EXECUTION,
  UNINSTALL_PLUGIN,
  UPGRADE_PLUGIN,
  WORKSPACE_TOOLS,
} from './marketplace-operations.ts';
import { ADD_MEMBER, AUDIT_LOG, CREATE_API_TOKEN, CREATE_PLAN, CREATE_WORKSPACE, UPDATE_PLAN } from './operations.ts';

const SECRET_VALUE = 'open-sesame-7f3a9c';

/** A third-party plugin that needs a secret; its tool tells about the secret without revealing it. */
const vaultSource = (version: string) => `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'vault',
  version: '${version}',
  description: 'Checks a passphrase kept as a workspace secret',
  capabilities: ['secrets:PASSPHRASE'],
  tools: [
    defineTool({
      name: 'check',
      description: 'Tells whether the stored passphrase starts with a prefix, and its length',
      input: Type.Object({ prefix: Type.String() }),
      output: Type.Object({ matches: Type.Boolean(), length: Type.Integer() }),
      run: async ({ prefix }, ctx) => {
        const secret = await ctx.secrets.get('PASSPHRASE');
        return { matches: secret.startsWith(prefix), length: secret.length };
      },
    }),
  ],
});
`;

let api: TestApi;
let anonymous: TestClient;
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;
let apiToken: string;
let workspaceId: string;
let vault: BuiltPlugin;
let vaultVersionId: string;
let vaultInstallationId: string;

type Payload = { userErrors: { code: string; field: string[] | null; message: string }[] };

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'author');
  member = await signUpUser(anonymous, 'member');
  outsider = await signUpUser(anonymous, 'outsider');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'market', name: 'Market' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  await admin.client.mutate(ADD_MEMBER, { input: { workspaceId, email: member.email, role: 'MEMBER' } });
  const token = await admin.client.mutate<{ createApiToken: { token: string } }>(CREATE_API_TOKEN, {
    input: { workspaceId, name: 'publisher' },
  });
  apiToken = token.data?.createApiToken.token ?? '';
  vault = await buildPlugin(join(REPO_ROOT, 'test'), { source: vaultSource('1.0.0'), write: false });
}, 120_000);
afterAll(() => api?.close());

async function tools() {
  const r = await admin.client.query<{
    workspace: {
      tools: { name: string; inputSchema: unknown; plugin: { version: string; plugin: { name: string } } | null }[];
      installedPlugins: { id: string; pluginVersion: { version: string; plugin: { name: string } } }[];
    };
  }>(WORKSPACE_TOOLS, { slug: 'market' });
  expect(r.errors).toEqual([]);
  return r.data?.workspace ?? { tools: [], installedPlugins: [] };
}

async function firstPartyVersionId(name: string): Promise<string> {
  const r = await admin.client.query<{
    marketplace: { edges: { node: { name: string; versions: { id: string }[] } }[] };
  }>(MARKETPLACE, { search: name });
  const id = r.data?.marketplace.edges.find((e) => e.node.name === name)?.node.versions[0]?.id;
  if (id === undefined) throw new Error(`${name} is not in the marketplace`);
  return id;
}

/** Starts one run of a plan through the A/B mutation and waits, through the API, for it to end. */
async function runThroughApi(planId: string, versionA: number, versionB: number, percentB: number) {
  const started = await admin.client.mutate<{
    startAbExecution: Payload & { execution: { id: string } | null; arm: string; version: { number: number } };
  }>(START_AB_EXECUTION, { input: { planId, versionA, versionB, percentB } });
  expect(started.errors).toEqual([]);
  expect(started.data?.startAbExecution.userErrors).toEqual([]);
  const id = started.data?.startAbExecution.execution?.id ?? '';
  const done = await eventually(
    async () => {
      const r = await admin.client.query<{
        node: { status: string; steps: { stepId: string; status: string; output: unknown; error: string | null }[] };
      }>(EXECUTION, { id });
      const status = r.data?.node.status ?? '';
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status) ? r.data?.node : undefined;
    },
    30_000,
    'execution to finish',
  );
  return { ...done, arm: started.data?.startAbExecution.arm, version: started.data?.startAbExecution.version.number };
}

async function createPlan(name: string, spec: unknown) {
  const r = await admin.client.mutate<{ createPlan: Payload & { plan: { id: string } | null } }>(CREATE_PLAN, {
    input: { workspaceId, name, spec },
  });
  expect(r.errors).toEqual([]);
  return r.data?.createPlan;
}

describe('publishing', () => {
  it('publishes an SDK-built plugin with an API token (the SDK client against the real API)', async () => {
    const result = await publishPlugin(vault, { apiUrl: api.url, token: apiToken });
    expect(result.userErrors).toEqual([]);
    expect(result.pluginVersion).toMatchObject({ version: '1.0.0', integrity: vault.manifest.integrity });
    vaultVersionId = result.pluginVersion?.id ?? '';

    const again = await publishPlugin(vault, { apiUrl: api.url, token: apiToken });
    expect(again.userErrors).toEqual([
      expect.objectContaining({ code: 'VERSION_EXISTS', field: ['manifest', 'version'] }),
    ]);
  });

  it('refuses bad manifests, bundles that do not match their integrity, and other publishers, writing nothing', async () => {
    const before = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM plugin_versions');
    const tampered = await admin.client.mutate<{ publishPlugin: Payload }>(PUBLISH_PLUGIN, {
      input: { manifest: { ...vault.manifest, version: '1.0.1' }, bundle: `${vault.bundle}\n// changed` },
    });
    expect(tampered.data?.publishPlugin.userErrors).toEqual([
      expect.objectContaining({ code: 'INTEGRITY_MISMATCH', field: ['manifest', 'integrity'] }),
    ]);
    const badVersion = await admin.client.mutate<{ publishPlugin: Payload }>(PUBLISH_PLUGIN, {
      input: { manifest: { ...vault.manifest, version: 'one' }, bundle: vault.bundle },
    });
    expect(badVersion.data?.publishPlugin.userErrors[0]?.field).toEqual(['manifest', 'version']);
    const noTools = await admin.client.mutate<{ publishPlugin: Payload }>(PUBLISH_PLUGIN, {
      input: { manifest: { name: 'x' }, bundle: vault.bundle },
    });
    expect(noTools.data?.publishPlugin.userErrors[0]?.code).toBe('INVALID_MANIFEST');
    // The name belongs to its first publisher.
    const other = await publishPlugin(
      (await buildPlugin(join(REPO_ROOT, 'test'), { source: vaultSource('2.0.0'), write: false })) as BuiltPlugin,
      { apiUrl: api.url, token: outsider.token },
    );
    expect(other.userErrors).toEqual([expect.objectContaining({ code: 'NOT_PUBLISHER' })]);
    const anonymousTry = await anonymous.mutate(PUBLISH_PLUGIN, {
      input: { manifest: vault.manifest, bundle: vault.bundle },
    });
    expect(codes(anonymousTry)).toEqual(['UNAUTHENTICATED']);
    const after = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM plugin_versions');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('lists the plugin in the marketplace with its tools, next to the first-party plugins', async () => {
    const found = await member.client.query<{
      marketplace: {
        edges: {
          node: {
            name: string;
            publisher: string;
            versions: { capabilities: string[]; tools: { name: string; inputSchema: unknown }[] }[];
          };
        }[];
      };
    }>(MARKETPLACE, { search: 'passphrase' });
    expect(found.data?.marketplace.edges.map((e) => e.node.name)).toEqual(['vault']);
    const node = found.data?.marketplace.edges[0]?.node;
    expect(node?.publisher).toBe('author');
    expect(node?.versions[0]?.capabilities).toEqual(['secrets:PASSPHRASE']);
    expect(node?.versions[0]?.tools[0]).toMatchObject({
      name: 'vault.check',
      inputSchema: expect.objectContaining({ required: ['prefix'] }),
    });

    const names: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: {
        data?: {
          marketplace: {
            edges: { node: { name: string } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        };
      } = await anonymous.query(MARKETPLACE, { first: 2, after });
      names.push(...(r.data?.marketplace.edges.map((e) => e.node.name) ?? []));
      if (!r.data?.marketplace.pageInfo.hasNextPage) break;
      after = r.data.marketplace.pageInfo.endCursor;
    }
    expect(names).toEqual(['calendar', 'http', 'llm', 'transform', 'vault']);
  });
});

describe('installing', () => {
  it('refuses an install that withholds a required capability, with the capability named', async () => {
    const r = await admin.client.mutate<{ installPlugin: Payload }>(INSTALL_PLUGIN, {
      input: { workspaceId, pluginVersionId: vaultVersionId, grantedCapabilities: [] },
    });
    expect(r.data?.installPlugin.userErrors).toEqual([
      {
        code: 'MISSING_CAPABILITIES',
        field: ['grantedCapabilities'],
        message: expect.stringContaining('secrets:PASSPHRASE'),
      },
    ]);
    const extra = await admin.client.mutate<{ installPlugin: Payload }>(INSTALL_PLUGIN, {
      input: { workspaceId, pluginVersionId: vaultVersionId, grantedCapabilities: ['secrets:PASSPHRASE', 'kv'] },
    });
    expect(extra.data?.installPlugin.userErrors[0]?.code).toBe('CAPABILITY_NOT_REQUESTED');
    expect((await tools()).installedPlugins).toEqual([]);
  });

  it('members may not install; other workspaces and unknown versions look like nothing', async () => {
    const input = { workspaceId, pluginVersionId: vaultVersionId, grantedCapabilities: ['secrets:PASSPHRASE'] };
    expect(codes(await member.client.mutate(INSTALL_PLUGIN, { input }))).toEqual(['FORBIDDEN']);
    expect(codes(await outsider.client.mutate(INSTALL_PLUGIN, { input }))).toEqual(['NOT_FOUND']);
    const unknown = Buffer.from('PluginVersion:00000000-0000-4000-8000-000000000000').toString('base64url');
    expect(codes(await admin.client.mutate(INSTALL_PLUGIN, { input: { ...input, pluginVersionId: unknown } }))).toEqual(
      ['NOT_FOUND'],
    );
    const audit = await api.db.pools.owner.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'plugin.%'",
    );
    expect(audit.rows[0]?.n).toBe(0);
  });

  it("installs with the grants: the plugin's tools join the workspace's tools with their schemas", async () => {
    const r = await admin.client.mutate<{
      installPlugin: Payload & { installation: { id: string; grantedCapabilities: string[] } };
    }>(INSTALL_PLUGIN, {
      input: { workspaceId, pluginVersionId: vaultVersionId, grantedCapabilities: ['secrets:PASSPHRASE'] },
    });
    expect(r.data?.installPlugin.userErrors).toEqual([]);
    expect(r.data?.installPlugin.installation.grantedCapabilities).toEqual(['secrets:PASSPHRASE']);
    vaultInstallationId = r.data?.installPlugin.installation.id ?? '';

    const { tools: list, installedPlugins } = await tools();
    expect(installedPlugins.map((i) => i.pluginVersion.plugin.name)).toEqual(['vault']);
    const check = list.find((t) => t.name === 'vault.check');
    expect(check).toMatchObject({
      plugin: { version: '1.0.0', plugin: { name: 'vault' } },
      inputSchema: expect.objectContaining({ properties: { prefix: { type: 'string' } } }),
    });
    expect(list.find((t) => t.name === 'core.echo')?.plugin).toBeNull();
  });
});

describe('secrets and running plugin tools', () => {
  it('the secret reaches the granted plugin in a run, and no API path returns its value', async () => {
    const set = await admin.client.mutate<{ setSecret: Payload & { secret: { name: string; updatedAt: string } } }>(
      SET_SECRET,
      { input: { workspaceId, name: 'PASSPHRASE', value: SECRET_VALUE } },
    );
    expect(set.data?.setSecret.userErrors).toEqual([]);
    expect(set.data?.setSecret.secret.name).toBe('PASSPHRASE');
    expect(JSON.stringify(set)).not.toContain(SECRET_VALUE);
    const bad = await admin.client.mutate<{ setSecret: Payload }>(SET_SECRET, {
      input: { workspaceId, name: '1-bad name', value: 'x' },
    });
    expect(bad.data?.setSecret.userErrors[0]).toMatchObject({ code: 'INVALID_SECRET_NAME', field: ['name'] });
    expect(codes(await member.client.mutate(SET_SECRET, { input: { workspaceId, name: 'X', value: 'y' } }))).toEqual([
      'FORBIDDEN',
    ]);

    const plan = await createPlan('vault-check', {
      steps: [{ id: 'check', tool: 'vault.check', input: { prefix: 'open-' } }],
    });
    expect(plan?.userErrors).toEqual([]);
    const run = await runThroughApi(plan?.plan?.id ?? '', 1, 1, 0);
    expect(run.status, JSON.stringify(run.steps)).toBe('SUCCEEDED');
    expect(run.steps?.[0]?.output).toEqual({ matches: true, length: SECRET_VALUE.length });

    // Everything the API exposes about the workspace, its plugins, runs and audit log.
    const everything = await admin.client.query(
      gql`
        query Everything($slug: String!) {
          workspace(slug: $slug) {
            id name
            secrets { name updatedAt }
            installedPlugins { id grantedCapabilities enabled pluginVersion { id version capabilities integrity tools { name } } }
            tools { name plugin { id } }
            plans(first: 10) { edges { node { id name latestVersion { spec } } } }
            executions(first: 10) {
              edges { node { id status input output error steps { stepId output error } events { type data } } }
            }
            auditLog(first: 50) { edges { node { id action targetId data } } }
          }
        }
      `,
      { slug: 'market' },
    );
    expect(everything.errors).toEqual([]);
    const text = JSON.stringify(everything.data);
    expect(text).toContain('PASSPHRASE');
    expect(text).not.toContain(SECRET_VALUE);
    const ids = [...text.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]);
    for (const id of new Set(ids)) {
      const node = await admin.client.query(
        gql`query N($id: ID!) { node(id: $id) { id ... on AuditEvent { data } ... on PluginInstallation { grantedCapabilities } } }`,
        { id },
      );
      expect(JSON.stringify(node)).not.toContain(SECRET_VALUE);
    }
    // At rest, only ciphertext.
    const stored = await api.db.pools.owner.query<{ ciphertext: Buffer }>('SELECT ciphertext FROM secrets');
    expect(stored.rows[0]?.ciphertext.toString('latin1')).not.toContain(SECRET_VALUE);
    // Members see neither the value nor the names.
    const asMember = await member.client.query(gql`query { workspace(slug: "market") { secrets { name } } }`);
    expect(codes(asMember)).toEqual(['FORBIDDEN']);
  });

  it("a first-party plugin's tool (transform.pick) runs to SUCCEEDED in a plan started through the API", async () => {
    const install = await admin.client.mutate<{ installPlugin: Payload }>(INSTALL_PLUGIN, {
      input: { workspaceId, pluginVersionId: await firstPartyVersionId('transform'), grantedCapabilities: [] },
    });
    expect(install.data?.installPlugin.userErrors).toEqual([]);
    const plan = await createPlan('pick', {
      steps: [
        { id: 'user', tool: 'core.echo', input: { name: 'Ada', role: 'admin', password: 'hunter2' } },
        { id: 'public', tool: 'transform.pick', input: { value: '{{ steps.user.output }}', paths: ['name', 'role'] } },
      ],
    });
    expect(plan?.userErrors).toEqual([]);
    const run = await runThroughApi(plan?.plan?.id ?? '', 1, 1, 0);
    expect(run.status, JSON.stringify(run.steps)).toBe('SUCCEEDED');
    expect(run.steps?.find((s) => s.stepId === 'public')?.output).toEqual({ name: 'Ada', role: 'admin' });
  });
});

describe('upgrading and uninstalling', () => {
  it('upgrades to a new version, keeping the grants it still asks for', async () => {
    const v2 = await buildPlugin(join(REPO_ROOT, 'test'), { source: vaultSource('1.1.0'), write: false });
    const published = await publishPlugin(v2, { apiUrl: api.url, token: apiToken });
    expect(published.userErrors).toEqual([]);
    const r = await admin.client.mutate<{
      upgradePlugin: Payload & { installation: { grantedCapabilities: string[]; pluginVersion: { version: string } } };
    }>(UPGRADE_PLUGIN, { input: { id: vaultInstallationId, pluginVersionId: published.pluginVersion?.id } });
    expect(r.data?.upgradePlugin.userErrors).toEqual([]);
    expect(r.data?.upgradePlugin.installation).toEqual({
      id: vaultInstallationId,
      grantedCapabilities: ['secrets:PASSPHRASE'],
      pluginVersion: { id: published.pluginVersion?.id, version: '1.1.0' },
    });
    expect((await tools()).tools.find((t) => t.name === 'vault.check')?.plugin?.version).toBe('1.1.0');
    const wrong = await admin.client.mutate<{ upgradePlugin: Payload }>(UPGRADE_PLUGIN, {
      input: { id: vaultInstallationId, pluginVersionId: await firstPartyVersionId('http') },
    });
    expect(wrong.data?.upgradePlugin.userErrors[0]?.code).toBe('WRONG_PLUGIN');
  });

  it("uninstalling removes the plugin's tools: plans using them no longer validate", async () => {
    expect(codes(await member.client.mutate(UNINSTALL_PLUGIN, { input: { id: vaultInstallationId } }))).toEqual([
      'FORBIDDEN',
    ]);
    const r = await admin.client.mutate<{ uninstallPlugin: Payload & { installation: { id: string } } }>(
      UNINSTALL_PLUGIN,
      { input: { id: vaultInstallationId } },
    );
    expect(r.data?.uninstallPlugin.userErrors).toEqual([]);
    const { tools: list, installedPlugins } = await tools();
    expect(list.map((t) => t.name)).not.toContain('vault.check');
    expect(installedPlugins.map((i) => i.pluginVersion.plugin.name)).toEqual(['transform']);
    const plan = await createPlan('vault-again', {
      steps: [{ id: 'check', tool: 'vault.check', input: { prefix: 'o' } }],
    });
    expect(plan?.userErrors[0]?.field).toEqual(['spec', 'steps', '0', 'tool']);
    expect(codes(await admin.client.mutate(UNINSTALL_PLUGIN, { input: { id: vaultInstallationId } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('every change is in the audit log, by whom, without the secret', async () => {
    const r = await admin.client.query<{
      workspace: { auditLog: { edges: { node: { action: string; actor: { email: string }; data: unknown } }[] } };
    }>(AUDIT_LOG, { slug: 'market' });
    const entries = (r.data?.workspace.auditLog.edges ?? []).map((e) => e.node).reverse();
    const actions = entries.map((e) => e.action).filter((a) => /^(plugin|secret)\./.test(a));
    expect(actions).toEqual([
      'plugin.install',
      'secret.create',
      'plugin.install',
      'plugin.upgrade',
      'plugin.uninstall',
    ]);
    expect(entries.every((e) => e.actor.email === admin.email)).toBe(true);
    const upgrade = entries.find((e) => e.action === 'plugin.upgrade');
    expect(upgrade?.data).toMatchObject({
      before: { plugin: 'vault', version: '1.0.0' },
      after: { plugin: 'vault', version: '1.1.0', grantedCapabilities: ['secrets:PASSPHRASE'] },
    });
    expect(JSON.stringify(entries)).not.toContain(SECRET_VALUE);
  });
});

describe('draftPlan without a model (deterministic planner)', () => {
  it('drafts a plan that createPlan accepts and that runs to SUCCEEDED', async () => {
    const r = await member.client.mutate<{
      draftPlan: Payload & { spec: { steps: { tool: string }[] }; explanation: string; planner: string };
    }>(DRAFT_PLAN, { input: { workspaceId, request: 'echo hello then wait 1 second' } });
    expect(r.errors).toEqual([]);
    const draft = r.data?.draftPlan;
    expect(draft?.userErrors).toEqual([]);
    expect(draft?.planner).toBe('deterministic');
    expect(draft?.spec.steps.map((s) => s.tool)).toEqual(['core.echo', 'core.sleep']);
    expect(draft?.explanation.length).toBeGreaterThan(0);
    const plan = await createPlan('drafted', draft?.spec);
    expect(plan?.userErrors).toEqual([]);
    const run = await runThroughApi(plan?.plan?.id ?? '', 1, 1, 0);
    expect(run.status, JSON.stringify(run.steps)).toBe('SUCCEEDED');
  });

  it("offers the installed plugins' tools", async () => {
    const r = await member.client.mutate<{ draftPlan: Payload & { spec: { steps: { tool: string }[] } } }>(DRAFT_PLAN, {
      input: { workspaceId, request: 'echo hello then pick the fields name and role' },
    });
    expect(r.data?.draftPlan.userErrors).toEqual([]);
    expect(r.data?.draftPlan.spec.steps.map((s) => s.tool)).toEqual(['core.echo', 'transform.pick']);
  });

  it('says what it cannot do without a model, and viewers may not draft', async () => {
    const r = await member.client.mutate<{ draftPlan: Payload }>(DRAFT_PLAN, {
      input: { workspaceId, request: 'book me a flight to Lisbon' },
    });
    expect(r.data?.draftPlan.userErrors).toEqual([
      { code: 'NEEDS_LLM', field: ['request'], message: expect.any(String) },
    ]);
    const empty = await member.client.mutate<{ draftPlan: Payload }>(DRAFT_PLAN, {
      input: { workspaceId, request: '  ' },
    });
    expect(empty.data?.draftPlan.userErrors[0]?.code).toBe('BAD_REQUEST');
  });
});

describe('A/B testing of plan versions', () => {
  it('splits runs between two versions by share, sticky per key, and compares them', async () => {
    const created = await createPlan('ab', { steps: [{ id: 'a', tool: 'core.echo', input: { v: 1 } }] });
    const planId = created?.plan?.id ?? '';
    const updated = await admin.client.mutate<{ updatePlan: Payload }>(UPDATE_PLAN, {
      input: { planId, spec: { steps: [{ id: 'a', tool: 'core.fail', input: { message: 'v2 is broken' } }] } },
    });
    expect(updated.data?.updatePlan.userErrors).toEqual([]);

    const toB = await runThroughApi(planId, 1, 2, 100);
    expect([toB.arm, toB.version, toB.status]).toEqual(['B', 2, 'FAILED']);
    const toA = await runThroughApi(planId, 1, 2, 0);
    expect([toA.arm, toA.version, toA.status]).toEqual(['A', 1, 'SUCCEEDED']);

    const arms = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await member.client.mutate<{ startAbExecution: { arm: string } }>(START_AB_EXECUTION, {
        input: { planId, versionA: 1, versionB: 2, percentB: 50, key: 'customer-42' },
      });
      arms.add(r.data?.startAbExecution.arm ?? '');
    }
    expect(arms.size).toBe(1);

    const bad = await admin.client.mutate<{ startAbExecution: Payload }>(START_AB_EXECUTION, {
      input: { planId, versionA: 1, versionB: 9, percentB: 150 },
    });
    expect(bad.data?.startAbExecution.userErrors.map((e) => e.field)).toEqual([['versionB'], ['percentB']]);

    const cmp = await member.client.query<{
      node: {
        compareVersions: {
          a: { runs: number; succeeded: number; successRate: number; p50Ms: number | null };
          b: { runs: number; failed: number; successRate: number };
          zScore: number | null;
        };
      };
    }>(COMPARE_VERSIONS, { id: planId, a: 1, b: 2 });
    expect(cmp.errors).toEqual([]);
    const c = cmp.data?.node.compareVersions;
    expect(c?.a.runs).toBeGreaterThanOrEqual(1);
    expect(c?.a.successRate).toBe(1);
    expect(c?.a.p50Ms).toBeGreaterThanOrEqual(0);
    expect(c?.b.failed).toBeGreaterThanOrEqual(1);
    expect(c?.b.successRate).toBe(0);
    expect((c?.a.runs ?? 0) + (c?.b.runs ?? 0)).toBe(5);
  });
});
