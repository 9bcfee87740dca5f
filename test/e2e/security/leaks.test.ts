// Smaller leaks, attacked over real HTTP against a running API with real PostgreSQL: what
// /metrics shows and to whom, what a bad configuration prints, what users learn of the LLM
// provider's errors, the per-workspace LLM token quota, the browser security headers, and a plan
// that forbids the member who started a run from approving it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@weft/api';
import { buildPlugin, publishPlugin } from '@weft/plugin-sdk/build';
import {
  chatCompletion,
  codes,
  errorReply,
  eventually,
  type FakeOpenAI,
  type FakeOpenAIRequest,
  REPO_ROOT,
  runToExit,
  signUpUser,
  startFakeOpenAI,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAFT_PLAN, INSTALL_PLUGIN, MARKETPLACE } from '../graphql/marketplace-operations.ts';
import {
  ADD_MEMBER,
  AUDIT_LOG,
  CREATE_API_TOKEN,
  CREATE_PLAN,
  CREATE_WORKSPACE,
  DECIDE_APPROVAL,
  EXECUTION,
  START_EXECUTION,
} from '../graphql/operations.ts';

const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const TOKENS_PER_DAY = 1500;
/** What a provider may say that no user should read: account, key prefix, internal host. */
const PROVIDER_SECRET = 'org-acme-7731 key sk-live-4f9a over hard limit (billing.internal.example)';
/** A third-party plugin whose name is the publishing tenant's business. */
const TENANT_PLUGIN = `acme-secret-${randomBytes(3).toString('hex')}`;

let fake: FakeOpenAI;
let api: TestApi;
let admin: TestUser;
let member: TestUser;
let workspaceId: string;
let workspaceSlug: string;
/** A second workspace of the same admin, whose quota is used up here. */
let quotaWorkspaceId: string;
const quotaSlug = `quota-${randomBytes(3).toString('hex')}`;

function userText(request: FakeOpenAIRequest): string {
  const messages = (request.body.messages ?? []) as Array<{ role: string; content: string }>;
  return messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
}

const modelStep = (id: string, tool: string, input: object) => ({
  id,
  type: 'tool',
  tool,
  inputJson: JSON.stringify(input),
  after: [],
  message: null,
  retryMaxAttempts: null,
  timeoutMs: null,
});

async function createWorkspace(client: TestClient, slug: string): Promise<string> {
  const ws = await client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  return ws.data?.createWorkspace.workspace.id ?? '';
}

async function install(ws: string, name: string, grantedCapabilities: string[]): Promise<void> {
  const market = await admin.client.query<{
    marketplace: { edges: { node: { name: string; versions: { id: string }[] } }[] };
  }>(MARKETPLACE, { search: name });
  const versionId = market.data?.marketplace.edges.find((e) => e.node.name === name)?.node.versions[0]?.id;
  const installed = await admin.client.mutate<{ installPlugin: { userErrors: unknown[] } }>(INSTALL_PLUGIN, {
    input: { workspaceId: ws, pluginVersionId: versionId, grantedCapabilities },
  });
  expect(installed.data?.installPlugin.userErrors).toEqual([]);
}

async function createPlan(ws: string, spec: object, client = admin.client): Promise<string> {
  const r = await client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(CREATE_PLAN, {
    input: { workspaceId: ws, name: `plan-${randomBytes(4).toString('hex')}`, spec },
  });
  expect(r.data?.createPlan.userErrors).toEqual([]);
  return r.data?.createPlan.plan?.id ?? '';
}

interface Run {
  id: string;
  status: string;
  error: string | null;
  steps: { stepId: string; status: string; error: string | null }[];
  events: { type: string; data: unknown }[];
  approvals: { id: string; status: string }[];
}

async function start(planId: string, client = admin.client): Promise<string> {
  const r = await client.mutate<{ startExecution: { execution: { id: string } | null; userErrors: unknown[] } }>(
    START_EXECUTION,
    { input: { planId } },
  );
  expect(r.data?.startExecution.userErrors).toEqual([]);
  return r.data?.startExecution.execution?.id ?? '';
}

async function read(id: string): Promise<Run> {
  const r = await admin.client.query<{ node: Run }>(EXECUTION, { id });
  if (!r.data?.node) throw new Error(`no execution ${id}`);
  return r.data.node;
}

const until = (id: string, done: (run: Run) => boolean) =>
  eventually(async () => {
    const run = await read(id);
    return done(run) ? run : undefined;
  }, 30_000);

const finished = (id: string) => until(id, (r) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status));

type Draft = {
  draftPlan: { spec: unknown; userErrors: { code: string; field: string[] | null; message: string }[] };
};
const draft = (ws: string, request: string) =>
  admin.client.mutate<Draft>(DRAFT_PLAN, { input: { workspaceId: ws, request } });

/** `/healthz` answers within a second (the server stays available). */
async function healthyWithinASecond(): Promise<void> {
  const res = await fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(1000) });
  expect(res.status).toBe(200);
}

const scrape = async () =>
  (await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();

async function usedTokensToday(slug: string): Promise<number> {
  const { rows } = await api.db.pools.owner.query<{ tokens: string }>(
    `SELECT u.tokens FROM llm_usage_daily u JOIN workspaces w ON w.id = u.workspace_id
      WHERE w.slug = $1 AND u.day = (now() AT TIME ZONE 'UTC')::date`,
    [slug],
  );
  return Number(rows[0]?.tokens ?? 0);
}

beforeAll(async () => {
  fake = await startFakeOpenAI((request) => {
    const text = userText(request);
    if (text.includes('outage')) return errorReply(500, `upstream failure: ${PROVIDER_SECRET}`);
    if (text.includes('busy')) return errorReply(429, `rate limited: ${PROVIDER_SECRET}`, { 'retry-after': '120' });
    if (text.includes('write a haiku'))
      return chatCompletion('leaves fall', { prompt_tokens: 600, completion_tokens: 400 });
    return chatCompletion(
      { name: 'hello', explanation: 'Echo.', steps: [modelStep('hello', 'core.echo', { text: 'hi' })] },
      { prompt_tokens: 600, completion_tokens: 400 },
    );
  });
  api = await startTestApi({
    env: {
      WORKERS: '1',
      RATE_LIMIT_PER_MINUTE: '100000',
      WORKSPACE_RATE_LIMIT_PER_MINUTE: '100000',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_MODEL: 'fake-model',
      METRICS_TOKEN,
      LLM_TOKENS_PER_DAY: String(TOKENS_PER_DAY),
    },
  });
  admin = await signUpUser(new TestClient(api.url), 'leaks-admin');
  member = await signUpUser(new TestClient(api.url), 'leaks-member');
  workspaceSlug = `leaks-${randomBytes(3).toString('hex')}`;
  workspaceId = await createWorkspace(admin.client, workspaceSlug);
  quotaWorkspaceId = await createWorkspace(admin.client, quotaSlug);
  const added = await admin.client.mutate(ADD_MEMBER, { input: { workspaceId, email: member.email, role: 'MEMBER' } });
  expect(added.errors).toEqual([]);
  await install(workspaceId, 'llm', ['llm']);
  await install(quotaWorkspaceId, 'llm', ['llm']);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await fake?.close();
});

describe('/metrics', () => {
  it('is refused without the operator token, and with a wrong one', async () => {
    const none = await fetch(`${api.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('weft_');
    const wrong = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('weft_executions');
  });

  it('keeps operation-name labels bounded after 500 random operation names, and stays available', async () => {
    const names = Array.from({ length: 500 }, () => `Probe_${randomBytes(6).toString('hex')}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(
        names.slice(i, i + 25).map((name) =>
          fetch(`${api.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `query ${name} { __typename }` }),
          }).then((r) => r.text()),
        ),
      );
      if (i % 100 === 0) await healthyWithinASecond();
    }
    await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    await healthyWithinASecond();
    const labels = new Set(
      [...(await scrape()).matchAll(/^weft_graphql_operation_duration_seconds_count\{[^}]*name="([^"]*)"/gm)].map(
        (m) => m[1],
      ),
    );
    expect(labels.size).toBeLessThanOrEqual(102);
    expect(labels).toContain('other');
    expect(labels).toContain('anonymous');
  });

  it("counts a tenant's own plugin tools as `plugin`, never by name", async () => {
    const token = await admin.client.mutate<{ createApiToken: { token: string } }>(CREATE_API_TOKEN, {
      input: { workspaceId, name: 'publisher' },
    });
    const source = `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: '${TENANT_PLUGIN}',
  version: '1.0.0',
  description: 'A tenant-private forecast',
  capabilities: [],
  tools: [
    defineTool({
      name: 'forecast_q3_layoffs',
      description: 'Private',
      input: Type.Object({}),
      output: Type.Object({ ok: Type.Boolean() }),
      run: async () => ({ ok: true }),
    }),
  ],
});
`;
    const built = await buildPlugin(join(REPO_ROOT, 'test'), { source, write: false });
    const published = await publishPlugin(built, { apiUrl: api.url, token: token.data?.createApiToken.token ?? '' });
    expect(published.userErrors).toEqual([]);
    await install(workspaceId, TENANT_PLUGIN, []);
    const planId = await createPlan(workspaceId, {
      steps: [{ id: 'f', tool: `${TENANT_PLUGIN}.forecast_q3_layoffs`, input: {} }],
    });
    expect((await finished(await start(planId))).status).toBe('SUCCEEDED');

    const text = await scrape();
    expect(text).toMatch(/^weft_sandbox_calls_total\{tool="plugin",outcome="ok"\} [1-9]/m);
    expect(text).not.toContain(TENANT_PLUGIN);
    expect(text).not.toContain('forecast_q3_layoffs');
  });
});

describe('configuration errors', () => {
  it('a bad SECRET_KEY, DATABASE_URL or METRICS_TOKEN names the variable and never prints its value', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['SECRET_KEY', 'hunter2-too-short-secret', /SECRET_KEY must be at least 32 characters \(value not shown\)/],
      ['DATABASE_URL', 'mysql://weft:Pa55w0rd-hunter2@db.internal/weft', /DATABASE_URL must be a postgres:\/\/ URL/],
      ['METRICS_TOKEN', 'hunter2-short', /METRICS_TOKEN must be at least 16 characters/],
    ];
    // The real entry point, as an operator starts it; each process ends at configuration.
    for (const [variable, value, message] of cases) {
      const { code, output } = await runToExit(
        ['node', '--no-node-snapshot', '--import', 'tsx', 'apps/api/src/main.ts'],
        { [variable]: value, DATA_DIR: mkdtempSync(join(tmpdir(), 'weft-leaks-')), PORT: '0', LOG_LEVEL: 'warn' },
        60_000,
      );
      expect(code).toBe(1);
      expect(output).toMatch(message);
      expect(output).not.toContain(value);
      expect(output).not.toContain('hunter2');
    }
  }, 180_000);
});

describe('LLM provider errors', () => {
  it('reach the drafting user only as a coarse code and message', async () => {
    const outage = await draft(workspaceId, 'during the outage: echo hi');
    expect(outage.data?.draftPlan.spec).toBeNull();
    expect(outage.data?.draftPlan.userErrors).toEqual([
      { code: 'LLM_ERROR', field: null, message: 'the model provider is unavailable; try again later' },
    ]);
    const busy = await draft(workspaceId, 'we are busy: echo hi');
    expect(busy.data?.draftPlan.userErrors).toEqual([
      { code: 'LLM_RATE_LIMITED', field: null, message: expect.stringMatching(/^the model provider is rate limiting/) },
    ]);
    expect(JSON.stringify([outage, busy])).not.toMatch(/sk-live|org-acme|billing\.internal/);
  });

  it("reach the llm plugin's run only as a coarse code and message", async () => {
    const planId = await createPlan(workspaceId, {
      steps: [{ id: 'ask', tool: 'llm.complete', input: { prompt: 'during the outage' }, retry: { maxAttempts: 1 } }],
    });
    const run = await finished(await start(planId));
    expect(run.status).toBe('FAILED');
    expect(run.steps[0]?.error).toMatch(/LLM_UNAVAILABLE: the model provider is unavailable/);
    expect(JSON.stringify(run)).not.toMatch(/sk-live|org-acme|billing\.internal/);
  });
});

describe('LLM_TOKENS_PER_DAY', () => {
  it('refuses a workspace over its daily tokens without calling the provider, for drafts and the llm plugin', async () => {
    // Each answer reports 1000 tokens: the first two calls fit under 1500, the second crosses it.
    expect((await draft(quotaWorkspaceId, 'echo hi')).data?.draftPlan.userErrors).toEqual([]);
    const planId = await createPlan(quotaWorkspaceId, {
      steps: [{ id: 'ask', tool: 'llm.complete', input: { prompt: 'write a haiku' }, retry: { maxAttempts: 1 } }],
    });
    expect((await finished(await start(planId))).status).toBe('SUCCEEDED');
    expect(await usedTokensToday(quotaSlug)).toBe(2000);

    const calls = fake.requests.length;
    const { rows: before } = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM planner_usage');
    const refused = await draft(quotaWorkspaceId, 'echo hi');
    const nextMidnight = new Date();
    nextMidnight.setUTCHours(24, 0, 0, 0);
    expect(refused.data?.draftPlan.spec).toBeNull();
    expect(refused.data?.draftPlan.userErrors).toEqual([
      {
        code: 'LLM_QUOTA_EXCEEDED',
        field: null,
        message: `this workspace has used its ${TOKENS_PER_DAY} LLM tokens for today; the quota resets at ${nextMidnight.toISOString()}`,
      },
    ]);
    const run = await finished(await start(planId));
    expect(run.status).toBe('FAILED');
    expect(run.steps[0]?.error).toContain('LLM_QUOTA_EXCEEDED');
    expect(fake.requests.length).toBe(calls);
    const { rows: after } = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM planner_usage');
    expect(after).toEqual(before);
    expect(await usedTokensToday(quotaSlug)).toBe(2000);

    // Another workspace of the same deployment still drafts.
    expect((await draft(workspaceId, 'echo hi')).data?.draftPlan.userErrors).toEqual([]);
  });
});

describe('security headers', () => {
  it('the console may run only its own scripts and may not be framed', async () => {
    const res = await fetch(`${api.url}/admin/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('API answers are never rendered, sniffed or framed', async () => {
    for (const path of ['/healthz', '/graphql', '/nowhere']) {
      const res = await fetch(`${api.url}${path}`, {
        method: path === '/graphql' ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json' },
        ...(path === '/graphql' ? { body: JSON.stringify({ query: '{ __typename }' }) } : {}),
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    const health = await fetch(`${api.url}/healthz`);
    expect(health.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('GraphiQL (outside production) gets its own policy that still lets it load, and no framing', async () => {
    const res = await fetch(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await res.text();
    expect(html).toContain('YogaGraphiQL');
    expect(html).not.toContain('unpkg.com');
    const csp = res.headers.get('content-security-policy') ?? '';
    // Served from our own assets: nothing is fetched from another origin (works offline).
    expect(csp).not.toMatch(/https?:/);
    expect(csp).toContain('worker-src blob:');
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe('approval.selfApproval: false', () => {
  it('refuses the member who started the run (FORBIDDEN, nothing written, no audit row); another member approves', async () => {
    const planId = await createPlan(workspaceId, {
      approval: { selfApproval: false },
      steps: [
        { id: 'ok', type: 'approval', message: 'Pay the invoice?' },
        { id: 'pay', tool: 'core.echo', input: { paid: true }, after: ['ok'] },
      ],
    });
    const runId = await start(planId, member.client);
    const gated = await until(runId, (r) => r.status === 'WAITING_APPROVAL');
    const approvalId = gated.approvals[0]?.id;
    const audit = async () =>
      (
        await admin.client.query<{ workspace: { auditLog: { edges: { node: { action: string } }[] } } }>(AUDIT_LOG, {
          slug: workspaceSlug,
        })
      ).data?.workspace.auditLog.edges.filter((e) => e.node.action === 'approval.decide').length;
    const auditBefore = await audit();

    const self = await member.client.mutate(DECIDE_APPROVAL, { input: { approvalId, approve: true } });
    expect(codes(self)).toEqual(['FORBIDDEN']);
    expect(self.errors[0]?.message).toMatch(/started this run/);
    const still = await read(runId);
    expect(still.status).toBe('WAITING_APPROVAL');
    expect(still.approvals[0]?.status).toBe('PENDING');
    expect(await audit()).toBe(auditBefore);

    const other = await admin.client.mutate<{ decideApproval: { userErrors: unknown[] } }>(DECIDE_APPROVAL, {
      input: { approvalId, approve: true },
    });
    expect(other.errors).toEqual([]);
    expect(other.data?.decideApproval.userErrors).toEqual([]);
    expect((await finished(runId)).status).toBe('SUCCEEDED');
  });

  it('refuses a plan whose approval option is not a boolean', async () => {
    const r = await admin.client.mutate<{ createPlan: { plan: unknown; userErrors: { field: string[] }[] } }>(
      CREATE_PLAN,
      {
        input: {
          workspaceId,
          name: 'bad-approval',
          spec: { approval: { selfApproval: 'no' }, steps: [{ id: 'a', tool: 'core.echo', input: {} }] },
        },
      },
    );
    expect(r.data?.createPlan.plan).toBeNull();
    expect(r.data?.createPlan.userErrors.length).toBeGreaterThan(0);
  });
});

describe('request log', () => {
  it('writes the path only: a password sent in a GET query string never reaches the log', async () => {
    const lines: string[] = [];
    const log = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startTestApi({ logger: createLogger('info', 'weft-api', log) });
    try {
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const query = `mutation { logIn(input: { email: "someone@example.com", password: "${password}" }) { token } }`;
      const res = await fetch(`${logged.url}/graphql?query=${encodeURIComponent(query)}`);
      expect(res.status).toBe(405); // mutations are POST only
      const requestLine = await eventually(async () =>
        lines.map((l) => JSON.parse(l) as { msg: string; path?: string }).find((l) => l.msg === 'request'),
      );
      expect(requestLine?.path).toBe('/graphql');
      expect(lines.join('\n')).not.toContain(password);
    } finally {
      await logged.close();
    }
  });
});
