// "Any workspace admin is a possible attacker", part 1: the generated admin API and the database
// privileges behind it. Every attack runs as the admin of one workspace against a running server
// over real HTTP; each must be refused with a clear error, change no row (checked with the owner
// pool) and write no audit row, while /healthz keeps answering.
import { join } from 'node:path';
import { adminReadDatabaseUrl } from '@weft/db';
import { buildPlugin } from '@weft/plugin-sdk/build';
import { REPO_ROOT, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_PLUGIN } from '../graphql/marketplace-operations.ts';
import { CREATE_WORKSPACE } from '../graphql/operations.ts';

// Low enough that one user can exhaust it quickly, high enough for everything else this file does.
const PER_USER = 60;

let api: TestApi;
let alice: TestUser;
let workspace = '';
let approvalId = '';
let aliceId = '';

interface AdminAnswer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function adminRequest(token: string, body: string, headers: Record<string, string> = {}): Promise<AdminAnswer> {
  const res = await fetch(`${api.url}/admin/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-weft-workspace': workspace,
      ...headers,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as AdminAnswer['body']) };
}

const admin = (query: string, variables?: Record<string, unknown>) =>
  adminRequest(alice.token, JSON.stringify({ query, variables }));

/** Everything an attack could have changed, read as the owner (no RLS in the way). */
async function snapshot() {
  const q = async (sql: string) => (await api.db.pools.owner.query(sql)).rows;
  return {
    plugins: await q(
      'SELECT id, name, publisher, publisher_user_id, description, first_party FROM plugins ORDER BY name',
    ),
    versions: await q('SELECT id, plugin_id, version, integrity, bundle FROM plugin_versions ORDER BY id'),
    audit: await q('SELECT id, action FROM audit_log ORDER BY id'),
    marketplaceAudit: await q('SELECT id FROM marketplace_audit_log ORDER BY id'),
    approvals: await q('SELECT id, status, decided_by FROM approvals ORDER BY id'),
    buckets: await q('SELECT workspace_id, key, tokens FROM rate_buckets ORDER BY key'),
    jobs: await q('SELECT id FROM graphile_worker.jobs ORDER BY id'),
    memberships: await q('SELECT workspace_id, user_id, role FROM memberships ORDER BY user_id'),
  };
}

async function healthzFast(): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${api.url}/healthz`);
  expect(res.status).toBe(200);
  expect(performance.now() - started).toBeLessThan(1000);
}

beforeAll(async () => {
  api = await startTestApi({ env: { RATE_LIMIT_PER_MINUTE: String(PER_USER) } });
  alice = await signUpUser(new TestClient(api.url), 'alice');
  const ws = await alice.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'alpha', name: 'Alpha' },
  });
  expect(ws.data?.createWorkspace.workspace.id).toBeTruthy();
  const { rows } = await api.db.pools.owner.query<{ id: string }>("SELECT id FROM workspaces WHERE slug = 'alpha'");
  workspace = rows[0]?.id ?? '';
  const user = await api.db.pools.owner.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [alice.email]);
  aliceId = user.rows[0]?.id ?? '';
  // A run waiting on an approval gate, and a rate bucket the engine keeps, in alice's workspace.
  const plan = await api.db.pools.owner.query<{ id: string }>(
    "INSERT INTO plans (workspace_id, name, latest_version) VALUES ($1, 'gated', 1) RETURNING id",
    [workspace],
  );
  const planId = plan.rows[0]?.id;
  const version = await api.db.pools.owner.query<{ id: string }>(
    `INSERT INTO plan_versions (workspace_id, plan_id, number, spec, content_hash)
     VALUES ($1, $2, 1, '{"name":"gated","steps":[]}', 'x') RETURNING id`,
    [workspace, planId],
  );
  const execution = await api.db.pools.owner.query<{ id: string }>(
    `INSERT INTO executions (workspace_id, plan_id, plan_version_id, status)
     VALUES ($1, $2, $3, 'WAITING_APPROVAL') RETURNING id`,
    [workspace, planId, version.rows[0]?.id],
  );
  const approval = await api.db.pools.owner.query<{ id: string }>(
    "INSERT INTO approvals (workspace_id, execution_id, step_id) VALUES ($1, $2, 'gate') RETURNING id",
    [workspace, execution.rows[0]?.id],
  );
  approvalId = approval.rows[0]?.id ?? '';
  await api.db.pools.owner.query(
    "INSERT INTO rate_buckets (workspace_id, key, tokens) VALUES ($1, 'tool:http.request', 0)",
    [workspace],
  );
  const http = await api.db.pools.owner.query("SELECT 1 FROM plugins WHERE name = 'http' AND first_party");
  expect(http.rowCount).toBe(1);
}, 60_000);
afterAll(() => api?.close());

describe('/admin/graphql is read-only and shows only tenant tables', () => {
  it('has no Mutation type and no marketplace, lease, account, queue or secret fields', async () => {
    const { status, body } = await admin('{ __schema { mutationType { name } queryType { fields { name } } } }');
    expect(status).toBe(200);
    const schema = body.data?.__schema as { mutationType: unknown; queryType: { fields: { name: string }[] } };
    expect(schema.mutationType).toBeNull();
    const fields = schema.queryType.fields.map((f) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['allPlans', 'allAuditLogs', 'allApprovals', 'allExecutions']));
    const forbidden = fields.filter((f) =>
      /^(all(Plugins|PluginVersions|StepLeases|Users|AuthTokens|LoginAttempts|Secrets|Pgmigrations|ReservedPluginNames|MarketplaceAuditLogs|PluginKvs|StepCaches|StepMessages)|pluginBy|pluginVersionBy|userBy|authTokenBy|secretBy|stepLeaseBy|weft)/.test(
        f,
      ),
    );
    expect(forbidden).toEqual([]);
    const reads = await admin('{ allPlans { nodes { name } } allAuditLogs { totalCount } }');
    expect(reads.body.errors).toBeUndefined();
    expect(reads.body.data?.allPlans).toEqual({ nodes: [{ name: 'gated' }] });
  });

  it('refuses every write an admin tries, changing nothing and auditing nothing', async () => {
    const before = await snapshot();
    const attacks = [
      // Take over the first-party http plugin and its name.
      'mutation { updatePluginByName(input: { name: "http", pluginPatch: { publisher: "evil", publisherUserId: null } }) { plugin { id } } }',
      // Publish a malicious version straight into the marketplace.
      `mutation { createPluginVersion(input: { pluginVersion: { pluginId: "${before.plugins[0]?.id}", version: "99.0.0", manifest: "{}", bundle: "evil", integrity: "x" } }) { pluginVersion { id } } }`,
      'mutation { createPlugin(input: { plugin: { name: "squat", publisher: "weft", firstParty: true } }) { plugin { id } } }',
      // Erase the audit trail.
      `mutation { deleteAuditLogByWorkspaceIdAndId(input: { workspaceId: "${workspace}", id: "${before.audit[0]?.id}" }) { deletedAuditLogId } }`,
      // Skip an approval gate.
      `mutation { updateApprovalByWorkspaceIdAndId(input: { workspaceId: "${workspace}", id: "${approvalId}", approvalPatch: { status: "APPROVED" } }) { approval { status } } }`,
      // Refill a rate bucket, drop leases, enqueue engine jobs.
      `mutation { updateRateBucketByWorkspaceIdAndKey(input: { workspaceId: "${workspace}", key: "tool:http.request", rateBucketPatch: { tokens: 1000000 } }) { rateBucket { tokens } } }`,
      `mutation { weftEnqueue(input: { pTask: "weft.step", pPayload: "{\\"w\\":\\"${workspace}\\"}" }) { clientMutationId } }`,
      `mutation { weftLeaseDrop(input: { pExecution: "${workspace}" }) { clientMutationId } }`,
      // Make oneself admin elsewhere.
      `mutation { createMembership(input: { membership: { workspaceId: "${workspace}", userId: "${aliceId}", role: "ADMIN" } }) { membership { role } } }`,
      // The SECURITY DEFINER lease count as a query.
      '{ weftLeaseCount }',
    ];
    for (const attack of attacks) {
      const { body } = await admin(attack);
      expect(body.data ?? null, attack).toBeNull();
      expect(body.errors?.[0]?.message, attack).toMatch(/read-only: mutations are not accepted|Cannot query field/);
    }
    expect(await snapshot()).toEqual(before);
    await healthzFast();
  });

  it('refuses deep, alias-heavy and oversized requests, and stays available', async () => {
    const before = await snapshot();
    let deep = 'id';
    for (let i = 0; i < 8; i++) deep = `workspaceByWorkspaceId { plansByWorkspaceId { nodes { ${deep} } } }`;
    const tooDeep = await admin(`{ allPlans { nodes { ${deep} } } }`);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.data ?? null).toBeNull();
    // Depth and cost both bound it (cost is checked first): /graphql's limits, whichever trips.
    expect(tooDeep.body.errors?.[0]?.message).toMatch(/depth|cost/i);

    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: allAuditLogs { totalCount }`).join(' ');
    const tooMany = await admin(`{ ${aliases} }`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.data ?? null).toBeNull();
    expect(tooMany.body.errors?.[0]?.message).toMatch(/alias/i);

    // Variables bigger than an admin request may be: refused while reading the body.
    const bigVariables = await adminRequest(
      alice.token,
      JSON.stringify({ query: '{ allPlans { totalCount } }', variables: { pad: 'x'.repeat(200_000) } }),
    );
    expect(bigVariables.status).toBe(413);
    await healthzFast();

    // A declared length over /graphql's limit is refused before a byte of the body is read.
    const huge = await adminRequest(
      alice.token,
      `{"query":"{ allPlans { totalCount } }","pad":"${'y'.repeat(11_000_000)}"}`,
    );
    expect(huge.status).toBe(413);
    expect(huge.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(await snapshot()).toEqual(before);
    await healthzFast();
  });
});

describe('the database refuses what the API must never do', () => {
  async function as(url: string, work: (client: pg.Client) => Promise<void>) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('weft.workspace_id', $1, true)", [workspace]);
      await work(client);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  }
  const refused = async (client: pg.Client, sql: string, pattern: RegExp) => {
    await client.query('SAVEPOINT attempt');
    await expect(client.query(sql), sql).rejects.toThrow(pattern);
    await client.query('ROLLBACK TO SAVEPOINT attempt');
  };

  it('weft_admin_read can read tenant rows and write nothing, nor reach the marketplace or the queue', async () => {
    await as(adminReadDatabaseUrl(api.db.ownerUrl), async (c) => {
      expect((await c.query('SELECT id FROM approvals')).rowCount).toBe(1);
      await refused(c, "UPDATE approvals SET status = 'APPROVED'", /permission denied/);
      await refused(c, 'DELETE FROM audit_log', /permission denied/);
      await refused(c, 'UPDATE rate_buckets SET tokens = 1e6', /permission denied/);
      await refused(
        c,
        "INSERT INTO plans (workspace_id, name) VALUES (weft_current_workspace(), 'x')",
        /permission denied/,
      );
      await refused(c, 'SELECT * FROM plugins', /permission denied/);
      await refused(c, 'SELECT * FROM secrets', /permission denied/);
      await refused(c, 'SELECT secret_ciphertext FROM webhook_endpoints', /permission denied/);
      await refused(c, 'SELECT weft_lease_count()', /permission denied/);
      await refused(c, `SELECT weft_enqueue('weft.step', '{}', now())`, /permission denied/);
    });
  });

  it('weft_app cannot rewrite or erase audit rows, nor write plugins or plugin versions', async () => {
    const before = await snapshot();
    await as(api.db.appUrl, async (c) => {
      expect((await c.query('SELECT id FROM audit_log')).rowCount).toBeGreaterThan(0);
      await refused(c, "UPDATE audit_log SET action = 'nothing'", /permission denied/);
      await refused(c, 'DELETE FROM audit_log', /permission denied/);
      await refused(c, "UPDATE plugins SET publisher = 'evil' WHERE name = 'http'", /permission denied/);
      await refused(c, "INSERT INTO plugins (name, publisher) VALUES ('squat', 'x')", /permission denied/);
      await refused(c, 'DELETE FROM plugin_versions', /permission denied/);
      await refused(c, "UPDATE plugin_versions SET bundle = 'evil'", /permission denied/);
      await refused(c, 'DELETE FROM marketplace_audit_log', /permission denied/);
      // Only the owner's start-up seeding may publish first-party versions.
      await refused(
        c,
        `SELECT * FROM weft_publish_plugin_version('http', '99.0.0', '{}', 'evil', 'x', '{}', '{}', null, null, true, 'weft')`,
        /first-party/,
      );
    });
    expect(await snapshot()).toEqual(before);
  });
});

describe('publishing still works, through the one audited door', () => {
  it('publishes a new plugin, audits it, and refuses a reserved first-party name with nothing written', async () => {
    const source = (name: string) => `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: '${name}', version: '1.0.0', description: 'says hi', capabilities: [],
  tools: [defineTool({ name: 'hi', description: 'hi', input: Type.Object({}), run: async () => ({ hi: true }) })],
});`;
    const greeter = await buildPlugin(join(REPO_ROOT, 'test'), { source: source('greeter'), write: false });
    const published = await alice.client.mutate<{
      publishPlugin: { pluginVersion: { version: string } | null; userErrors: { code: string }[] };
    }>(PUBLISH_PLUGIN, { input: { manifest: greeter.manifest, bundle: greeter.bundle } });
    expect(published.data?.publishPlugin.userErrors).toEqual([]);
    expect(published.data?.publishPlugin.pluginVersion?.version).toBe('1.0.0');
    const { rows } = await api.db.pools.owner.query(
      'SELECT action, actor_id, db_role, plugin_name, version, first_party FROM marketplace_audit_log WHERE plugin_name = $1',
      ['greeter'],
    );
    expect(rows).toEqual([
      {
        action: 'plugin.publish',
        actor_id: aliceId,
        db_role: 'weft_app',
        plugin_name: 'greeter',
        version: '1.0.0',
        first_party: false,
      },
    ]);

    const before = await snapshot();
    const squat = await buildPlugin(join(REPO_ROOT, 'test'), { source: source('http'), write: false });
    const refusedPublish = await alice.client.mutate<{
      publishPlugin: { pluginVersion: unknown; userErrors: { code: string; field: string[] }[] };
    }>(PUBLISH_PLUGIN, { input: { manifest: squat.manifest, bundle: squat.bundle } });
    expect(refusedPublish.data?.publishPlugin.pluginVersion).toBeNull();
    expect(refusedPublish.data?.publishPlugin.userErrors).toEqual([
      expect.objectContaining({ code: 'NOT_PUBLISHER', field: ['manifest', 'name'] }),
    ]);
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});

describe('/admin/graphql shares the per-user rate limit', () => {
  it('answers 429 RATE_LIMITED once the budget is spent, and /healthz stays fast', async () => {
    const rapid = await signUpUser(new TestClient(api.url), 'rapid');
    await rapid.client.mutate(CREATE_WORKSPACE, { input: { slug: 'rapid', name: 'Rapid' } });
    const { rows } = await api.db.pools.owner.query<{ id: string }>("SELECT id FROM workspaces WHERE slug = 'rapid'");
    const headers = { 'x-weft-workspace': rows[0]?.id ?? '' };
    let limited: AdminAnswer | undefined;
    // Twice the budget: even if a window boundary falls inside the burst, one window overflows.
    for (let i = 0; i < PER_USER * 2 && limited === undefined; i++) {
      const answer = await adminRequest(rapid.token, JSON.stringify({ query: '{ allPlans { totalCount } }' }), headers);
      if (answer.status === 429) limited = answer;
    }
    expect(limited?.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await healthzFast();
  });
});
