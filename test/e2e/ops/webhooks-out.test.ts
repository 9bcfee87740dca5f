import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  codes,
  eventually,
  type HttpReceiver,
  type ReceivedRequest,
  signUpUser,
  startHttpReceiver,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hook, startHookedRun } from '../graphql/hooked-run.ts';
import {
  ADD_MEMBER,
  AUDIT_LOG,
  CREATE_PLAN,
  CREATE_WEBHOOK,
  CREATE_WEBHOOK_ENDPOINT,
  CREATE_WORKSPACE,
  DELETE_WEBHOOK_ENDPOINT,
  VALID_SPEC,
  WEBHOOK_ENDPOINTS,
} from '../graphql/operations.ts';

// Outbound webhooks end to end: real runs (started by an inbound webhook) on in-process workers,
// deliveries to real HTTP receivers on 127.0.0.1, verified the way a receiver would.

interface Endpoint {
  id: string;
  secret: string;
}
interface Delivery {
  id: string;
  eventType: string;
  eventSeq: number | null;
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
}
interface Body {
  deliveryId: string;
  type: string;
  executionId: string;
  seq: number;
  stepId: string | null;
  at: string;
  data: unknown;
}

let api: TestApi;
let admin: TestUser;
let workspaceId: string;
let hook: Hook;
let all: HttpReceiver;
let flaky: HttpReceiver;
let steps: HttpReceiver;
const slug = 'outbound';

/** What a receiver does: recompute the signature over "<timestamp>.<raw body>" and compare. */
function verifies(request: ReceivedRequest, secret: string): boolean {
  const ts = String(request.headers['weft-timestamp']);
  const given = Buffer.from(String(request.headers['weft-signature']));
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${ts}.`).update(request.body).digest('hex')}`,
  );
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function bodyOf(request: ReceivedRequest): Body {
  return JSON.parse(request.body.toString('utf8')) as Body;
}

async function createEndpoint(url: string, eventTypes?: string[]): Promise<Endpoint> {
  const r = await admin.client.mutate<{
    createWebhookEndpoint: { webhookEndpoint: Endpoint | null; userErrors: unknown[] };
  }>(CREATE_WEBHOOK_ENDPOINT, { input: { workspaceId, url, ...(eventTypes ? { eventTypes } : {}) } });
  const endpoint = r.data?.createWebhookEndpoint.webhookEndpoint;
  if (!endpoint) throw new Error(JSON.stringify(r));
  return endpoint;
}

function startRun(input: unknown): Promise<string> {
  return startHookedRun(api.url, hook, input);
}

async function deliveriesOf(endpointId: string): Promise<Delivery[]> {
  const r = await admin.client.query<{
    workspace: { webhookEndpoints: Array<{ id: string; deliveries: { edges: Array<{ node: Delivery }> } }> };
  }>(WEBHOOK_ENDPOINTS, { slug });
  const endpoint = r.data?.workspace.webhookEndpoints.find((e) => e.id === endpointId);
  return endpoint?.deliveries.edges.map((e) => e.node) ?? [];
}

let allEndpoint: Endpoint;
let flakyEndpoint: Endpoint;
let stepsEndpoint: Endpoint;
let executionId: string;

beforeAll(async () => {
  all = await startHttpReceiver();
  const failuresByDelivery = new Map<string, number>();
  flaky = await startHttpReceiver((request, res) => {
    const id = String(request.headers['weft-delivery']);
    const seen = failuresByDelivery.get(id) ?? 0;
    failuresByDelivery.set(id, seen + 1);
    res.writeHead(seen < 2 ? 503 : 204);
    res.end();
  });
  steps = await startHttpReceiver();
  // The receivers listen on loopback, which egress refuses unless the operator lists it.
  api = await startTestApi({
    env: { WORKERS: '1', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_MAX_ATTEMPTS: '3', EGRESS_ALLOW: '127.0.0.1' },
  });
  const anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'outbound');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: 'Outbound' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId, name: 'notify', spec: VALID_SPEC },
  });
  const created = await admin.client.mutate<{ createWebhook: { webhook: { id: string; secret: string } } }>(
    CREATE_WEBHOOK,
    { input: { planId: plan.data?.createPlan.plan.id } },
  );
  const inbound = created.data?.createWebhook.webhook;
  if (!inbound) throw new Error(JSON.stringify(created));
  hook = inbound;
  allEndpoint = await createEndpoint(`${all.url}/weft`);
  flakyEndpoint = await createEndpoint(`${flaky.url}/weft`, ['execution.succeeded']);
  stepsEndpoint = await createEndpoint(`${steps.url}/weft`, ['step.*']);
  executionId = await startRun({ order: 42 });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await Promise.all([all?.close(), flaky?.close(), steps?.close()]);
});

describe('outbound webhooks', () => {
  it('shows the secret once', async () => {
    expect(allEndpoint.secret).toMatch(/^whsec_/);
    const endpoints = await admin.client.query<{ workspace: { webhookEndpoints: Array<{ secret: string | null }> } }>(
      WEBHOOK_ENDPOINTS,
      { slug },
    );
    expect(endpoints.data?.workspace.webhookEndpoints.map((e) => e.secret)).toEqual([null, null, null]);
  });

  it('delivers every event of a run, in order, signed and verifiable', async () => {
    // Deliveries go out concurrently: the terminal event's may arrive before an earlier one's.
    const received = await eventually(
      async () => (all.requests.length >= 6 ? all.requests : undefined),
      20_000,
      'the six event deliveries',
    );
    const bodies = received.map(bodyOf).sort((a, b) => a.seq - b.seq);
    expect(bodies.map((b) => b.seq)).toEqual(bodies.map((_, i) => i + 1));
    expect(bodies.map((b) => b.type)).toEqual([
      'execution.started',
      'step.started',
      'step.succeeded',
      'step.started',
      'step.succeeded',
      'execution.succeeded',
    ]);
    for (const request of received) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(verifies(request, allEndpoint.secret)).toBe(true);
      expect(verifies(request, flakyEndpoint.secret)).toBe(false);
      expect(Math.abs(Number(request.headers['weft-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
      expect(request.headers['weft-delivery']).toBe(bodyOf(request).deliveryId);
      expect(bodyOf(request).executionId).toBe(executionId);
    }
    expect(bodies[0]?.data).toMatchObject({ mode: 'LIVE' });
    const deliveries = await eventually(async () => {
      const d = await deliveriesOf(allEndpoint.id);
      return d.length === 6 && d.every((x) => x.status === 'DELIVERED') ? d : undefined;
    });
    expect(deliveries.every((d) => d.attempts === 1 && d.responseStatus === 200 && d.lastError === null)).toBe(true);
  });

  it('retries a failing receiver with backoff and logs each attempt', async () => {
    const delivery = await eventually(
      async () => (await deliveriesOf(flakyEndpoint.id)).find((d) => d.status === 'DELIVERED'),
      20_000,
      'the flaky delivery',
    );
    expect(delivery).toMatchObject({
      eventType: 'execution.succeeded',
      attempts: 3,
      responseStatus: 204,
      lastError: null,
    });
    // Three requests of the same delivery, each signed afresh; the gaps grow (100 ms, then 200 ms).
    expect(flaky.requests.map((r) => r.headers['weft-delivery'])).toEqual([delivery.id, delivery.id, delivery.id]);
    expect(flaky.requests.every((r) => verifies(r, flakyEndpoint.secret))).toBe(true);
    const [a, b, c] = flaky.requests.map((r) => r.at);
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(90);
    expect((c ?? 0) - (b ?? 0)).toBeGreaterThanOrEqual(190);
  });

  it('sends an endpoint only the event types it asked for', async () => {
    await eventually(async () => ((await deliveriesOf(stepsEndpoint.id)).length === 4 ? true : undefined));
    expect(steps.requests.map((r) => bodyOf(r).type).sort()).toEqual([
      'step.started',
      'step.started',
      'step.succeeded',
      'step.succeeded',
    ]);
    expect(flaky.requests.every((r) => bodyOf(r).type === 'execution.succeeded')).toBe(true);
  });

  it('gives up after the configured attempts and says why', async () => {
    const dead = await startHttpReceiver((_r, res) => {
      res.writeHead(500);
      res.end();
    });
    await dead.close(); // nothing listens there now: every attempt is a connection error
    const gone = await createEndpoint(`${dead.url}/gone`, ['execution.started']);
    await startRun({ order: 43 });
    const failed = await eventually(
      async () => (await deliveriesOf(gone.id)).find((d) => d.status === 'FAILED'),
      30_000,
      'the delivery to give up',
    );
    expect(failed.attempts).toBe(3);
    expect(failed.responseStatus).toBeNull();
    // Coarse on purpose: no address, port or socket detail reaches the tenant.
    expect(failed.lastError).toBe('connection refused');
  });

  it('refuses bad input with field paths and writes nothing', async () => {
    const before = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM webhook_endpoints');
    const r = await admin.client.mutate<{
      createWebhookEndpoint: { webhookEndpoint: unknown; userErrors: Array<{ code: string; field: string[] }> };
    }>(CREATE_WEBHOOK_ENDPOINT, {
      input: { workspaceId, url: 'ftp://example.com/x', eventTypes: ['step.*', 'Not A Type'] },
    });
    expect(r.data?.createWebhookEndpoint.webhookEndpoint).toBeNull();
    expect(r.data?.createWebhookEndpoint.userErrors.map((e) => [e.code, e.field])).toEqual([
      ['INVALID_URL', ['url']],
      ['INVALID_EVENT_TYPE', ['eventTypes', '1']],
    ]);
    const after = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM webhook_endpoints');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('is for admins only: members cannot list endpoints', async () => {
    const member = await signUpUser(new TestClient(api.url), 'member');
    await admin.client.mutate(ADD_MEMBER, { input: { workspaceId, email: member.email, role: 'MEMBER' } });
    const r = await member.client.query(WEBHOOK_ENDPOINTS, { slug });
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('stops delivering to a deleted endpoint and audits both changes', async () => {
    const r = await admin.client.mutate<{ deleteWebhookEndpoint: { webhookEndpoint: { id: string } } }>(
      DELETE_WEBHOOK_ENDPOINT,
      { input: { id: stepsEndpoint.id } },
    );
    expect(r.data?.deleteWebhookEndpoint.webhookEndpoint.id).toBe(stepsEndpoint.id);
    const count = steps.requests.length;
    await startRun({ order: 44 });
    await eventually(async () => (all.requests.length >= 18 ? true : undefined), 20_000, 'the third run');
    expect(steps.requests.length).toBe(count);
    const audit = await admin.client.query<{
      workspace: { auditLog: { edges: Array<{ node: { action: string; targetId: string } }> } };
    }>(AUDIT_LOG, { slug });
    const actions = audit.data?.workspace.auditLog.edges.map((e) => `${e.node.action} ${e.node.targetId}`) ?? [];
    expect(actions).toContain(`webhook_endpoint.create ${stepsEndpoint.id}`);
    expect(actions).toContain(`webhook_endpoint.delete ${stepsEndpoint.id}`);
  });
});
