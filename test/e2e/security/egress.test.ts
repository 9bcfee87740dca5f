// SSRF and egress, attacked through the running server: a workspace admin with the first-party
// `http` plugin granted `http:*` aims `http.request` at loopback in every spelling, through a
// redirect and through DNS; outbound webhooks aimed at loopback; a secret mailed to a host it is
// not meant for. The server runs with EGRESS_ALLOW=127.0.0.2 (a second loopback address), so it
// also shows the list admits exactly what it names: 127.0.0.2 is reachable, 127.0.0.1 is not.
import { gql } from '@apollo/client';
import {
  eventually,
  type HttpReceiver,
  signUpUser,
  startHttpReceiver,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION, INSTALL_PLUGIN, MARKETPLACE } from '../graphql/marketplace-operations.ts';
import {
  AUDIT_LOG,
  CREATE_PLAN,
  CREATE_WEBHOOK_ENDPOINT,
  CREATE_WORKSPACE,
  START_EXECUTION,
  WEBHOOK_ENDPOINTS,
} from '../graphql/operations.ts';

const SET_SECRET = gql`
  mutation SetSecret($input: SetSecretInput!) {
    setSecret(input: $input) {
      secret { name allowedHosts }
      userErrors { code field message }
    }
  }
`;

const slug = 'egress';
let api: TestApi;
let admin: TestUser;
let workspaceId: string;
let planId: string;
/** The internal service an attacker is after (127.0.0.1, not in EGRESS_ALLOW). */
let internal: HttpReceiver;
/** A host the operator allowed (127.0.0.2): it redirects wherever it is told. */
let allowed: HttpReceiver;
let internalPort: string;

type Payload = { userErrors: { code: string; field: string[] | null; message: string }[] };
type StepView = { stepId: string; status: string; output: unknown; error: string | null };

beforeAll(async () => {
  internal = await startHttpReceiver();
  internalPort = new URL(internal.url).port;
  allowed = await startHttpReceiver(
    (request, res) => {
      const to = new URL(request.path, 'http://x').searchParams.get('to');
      if (to !== null) res.writeHead(302, { location: to }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('allowed host');
    },
    { host: '127.0.0.2' },
  );
  api = await startTestApi({
    env: {
      WORKERS: '1',
      EGRESS_ALLOW: '127.0.0.2',
      // Each run below is polled until it ends; the default per-workspace limit would throttle that.
      RATE_LIMIT_PER_MINUTE: '1000000',
      WORKSPACE_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  });
  admin = await signUpUser(new TestClient(api.url), 'egress');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: 'Egress' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const market = await admin.client.query<{
    marketplace: { edges: { node: { name: string; versions: { id: string }[] } }[] };
  }>(MARKETPLACE, { search: 'http' });
  const pluginVersionId = market.data?.marketplace.edges.find((e) => e.node.name === 'http')?.node.versions[0]?.id;
  const install = await admin.client.mutate<{ installPlugin: Payload }>(INSTALL_PLUGIN, {
    input: { workspaceId, pluginVersionId, grantedCapabilities: ['http:*', 'secrets:*'] },
  });
  expect(install.data?.installPlugin.userErrors).toEqual([]);
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } & Payload }>(CREATE_PLAN, {
    input: {
      workspaceId,
      name: 'fetch',
      spec: {
        steps: [
          {
            id: 'get',
            tool: 'http.request',
            input: { url: '{{ input.url }}', bearerSecret: '{{ input.secret }}' },
            retry: { maxAttempts: 1 },
          },
        ],
      },
    },
  });
  expect(plan.data?.createPlan.userErrors).toEqual([]);
  planId = plan.data?.createPlan.plan.id ?? '';
}, 120_000);

afterAll(async () => {
  await api?.close();
  await internal?.close();
  await allowed?.close();
});

/** Runs the plan against `url` (optionally with a bearer secret) and returns its finished step. */
async function fetchThroughPlan(url: string, secret?: string): Promise<StepView> {
  const started = await admin.client.mutate<{ startExecution: { execution: { id: string } } & Payload }>(
    START_EXECUTION,
    { input: { planId, input: { url, ...(secret === undefined ? {} : { secret }) } } },
  );
  expect(started.data?.startExecution.userErrors).toEqual([]);
  const id = started.data?.startExecution.execution.id ?? '';
  return eventually(
    async () => {
      const r = await admin.client.query<{ node: { status: string; steps: StepView[] } }>(EXECUTION, { id });
      const node = r.data?.node;
      return node && ['SUCCEEDED', 'FAILED'].includes(node.status) ? node.steps[0] : undefined;
    },
    30_000,
    `the run against ${url}`,
  );
}

async function auditActions(): Promise<string[]> {
  const r = await admin.client.query<{ workspace: { auditLog: { edges: { node: { action: string } }[] } } }>(
    AUDIT_LOG,
    { slug },
  );
  return r.data?.workspace.auditLog.edges.map((e) => e.node.action) ?? [];
}

describe('http.request with http:* granted', () => {
  it('refuses loopback, private and link-local targets in every spelling, before connecting', async () => {
    const p = internalPort;
    const targets = [
      `http://127.0.0.1:${p}/`,
      `http://localhost:${p}/`, // a DNS name resolving to loopback
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://2130706433:${p}/`,
      `http://0x7f.1:${p}/`,
      `http://017700000001:${p}/`,
      `http://127.1:${p}/`,
      `http://[::1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://0.0.0.0:${p}/`,
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
      'http://[64:ff9b::7f00:1]/',
    ];
    for (const url of targets) {
      const step = await fetchThroughPlan(url);
      expect(step.status, url).toBe('FAILED');
      expect(step.error, url).toMatch(/egress to .+ denied: it is not a public address/);
    }
    expect(internal.requests).toEqual([]);
  }, 120_000);

  it('admits exactly what EGRESS_ALLOW lists', async () => {
    const ok = await fetchThroughPlan(`${allowed.url}/`);
    expect(ok).toMatchObject({ status: 'SUCCEEDED', output: { status: 200, body: 'allowed host' } });
    // 127.0.0.3 is as loopback as 127.0.0.2, but not listed.
    const neighbour = await fetchThroughPlan(allowed.url.replace('127.0.0.2', '127.0.0.3'));
    expect(neighbour.error).toMatch(/egress to 127\.0\.0\.3 denied/);
  });

  it('refuses a redirect from an allowed host to loopback, at the hop', async () => {
    const before = allowed.requests.length;
    const to = encodeURIComponent(`http://127.0.0.1:${internalPort}/admin`);
    const step = await fetchThroughPlan(`${allowed.url}/bounce?to=${to}`);
    expect(step.status).toBe('FAILED');
    expect(step.error).toMatch(/egress to 127\.0\.0\.1 denied/);
    expect(allowed.requests.length).toBe(before + 1);
    expect(internal.requests).toEqual([]);
  });
});

describe('secrets tied to hosts', () => {
  it('refuses a secret towards a host not allowed for it, and sends it where it is allowed', async () => {
    const set = (name: string, allowedHosts?: string[] | null) =>
      admin.client.mutate<{ setSecret: { secret: { allowedHosts: string[] | null } | null } & Payload }>(SET_SECRET, {
        input: {
          workspaceId,
          name,
          value: `${name}-value-9d41`,
          ...(allowedHosts === undefined ? {} : { allowedHosts }),
        },
      });
    expect((await set('ELSEWHERE', ['api.example.com'])).data?.setSecret).toEqual({
      secret: { name: 'ELSEWHERE', allowedHosts: ['api.example.com'] },
      userErrors: [],
    });
    await set('UNBOUND');
    await set('HERE', [new URL(allowed.url).host]);
    const before = allowed.requests.length;

    const elsewhere = await fetchThroughPlan(`${allowed.url}/`, 'ELSEWHERE');
    expect(elsewhere.status).toBe('FAILED');
    expect(elsewhere.error).toContain('secret "ELSEWHERE" may not be sent to 127.0.0.2');
    // No allowedHosts and only the catch-all http:* granted: it goes nowhere.
    const unbound = await fetchThroughPlan(`${allowed.url}/`, 'UNBOUND');
    expect(unbound.error).toContain('secret "UNBOUND" may not be sent');
    expect(allowed.requests.length).toBe(before);

    const here = await fetchThroughPlan(`${allowed.url}/`, 'HERE');
    expect(here.status).toBe('SUCCEEDED');
    expect(allowed.requests.at(-1)?.headers.authorization).toBe('Bearer HERE-value-9d41');
  });

  it('refuses a malformed allowed host with a typed userError and writes nothing', async () => {
    const audit = await auditActions();
    const r = await admin.client.mutate<{ setSecret: Payload & { secret: unknown } }>(SET_SECRET, {
      input: { workspaceId, name: 'BAD_HOSTS', value: 'x', allowedHosts: ['ok.example.com', 'http://evil/'] },
    });
    expect(r.data?.setSecret.secret).toBeNull();
    expect(r.data?.setSecret.userErrors).toEqual([
      { code: 'INVALID_ALLOWED_HOST', field: ['allowedHosts', '1'], message: expect.stringContaining('http://evil/') },
    ]);
    const rows = await api.db.pools.owner.query("SELECT 1 FROM secrets WHERE name = 'BAD_HOSTS'");
    expect(rows.rowCount).toBe(0);
    expect(await auditActions()).toEqual(audit);
  });
});

describe('outbound webhooks', () => {
  const createEndpoint = (url: string) =>
    admin.client.mutate<{ createWebhookEndpoint: Payload & { webhookEndpoint: { id: string } | null } }>(
      CREATE_WEBHOOK_ENDPOINT,
      { input: { workspaceId, url, eventTypes: ['execution.started'] } },
    );

  it('refuses an endpoint on a loopback or private literal address and writes nothing', async () => {
    const audit = await auditActions();
    for (const url of [
      `http://127.0.0.1:${internalPort}/`,
      `http://2130706433:${internalPort}/`,
      `http://[::ffff:127.0.0.1]:${internalPort}/`,
      'http://169.254.169.254/',
      'http://10.0.0.1/',
    ]) {
      const r = await createEndpoint(url);
      expect(r.data?.createWebhookEndpoint.webhookEndpoint, url).toBeNull();
      expect(r.data?.createWebhookEndpoint.userErrors, url).toEqual([
        { code: 'EGRESS_DENIED', field: ['url'], message: expect.stringContaining('public address') },
      ]);
    }
    const rows = await api.db.pools.owner.query('SELECT 1 FROM webhook_endpoints');
    expect(rows.rowCount).toBe(0);
    expect(await auditActions()).toEqual(audit);
  });

  it('refuses at delivery a name that resolves to loopback, and says only "egress denied"', async () => {
    const created = await createEndpoint(`http://localhost:${internalPort}/hook`);
    const endpointId = created.data?.createWebhookEndpoint.webhookEndpoint?.id;
    expect(endpointId).toBeDefined();
    await fetchThroughPlan(`${allowed.url}/`);
    const delivery = await eventually(
      async () => {
        const r = await admin.client.query<{
          workspace: {
            webhookEndpoints: {
              id: string;
              deliveries: { edges: { node: { status: string; lastError: string | null } }[] };
            }[];
          };
        }>(WEBHOOK_ENDPOINTS, { slug });
        const endpoint = r.data?.workspace.webhookEndpoints.find((e) => e.id === endpointId);
        return endpoint?.deliveries.edges.map((e) => e.node).find((d) => d.lastError !== null);
      },
      30_000,
      'a failed delivery attempt',
    );
    expect(delivery.lastError).toBe('egress denied');
    expect(internal.requests).toEqual([]);
  });
});
