import { randomBytes, randomUUID } from 'node:crypto';
import { gql } from '@apollo/client';
import { signWebhook } from '@weft/api';
import {
  recordOnlyWebhookStart,
  signUpUser,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PLAN, CREATE_WEBHOOK, CREATE_WORKSPACE, VALID_SPEC } from './operations.ts';

// These cases check the route alone (a stand-in records the execution and no run proceeds); the
// last describe goes through the real engine.
const startExecution = recordOnlyWebhookStart;

interface Hook {
  id: string;
  secret: string;
}

async function setUp(admin: TestUser, slug: string): Promise<Hook> {
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: 'hooked', spec: VALID_SPEC },
  });
  const hook = await admin.client.mutate<{ createWebhook: { webhook: { id: string; secret: string } } }>(
    CREATE_WEBHOOK,
    { input: { planId: plan.data?.createPlan.plan.id } },
  );
  const webhook = hook.data?.createWebhook.webhook;
  if (!webhook) throw new Error(JSON.stringify(hook));
  return webhook;
}

function deliver(
  api: TestApi,
  hook: Hook,
  body: string,
  options: { ts?: number; secret?: string; delivery?: string } = {},
) {
  const ts = String(options.ts ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'weft-timestamp': ts,
    'weft-signature': signWebhook(options.secret ?? hook.secret, ts, body),
  };
  if (options.delivery) headers['weft-delivery'] = options.delivery;
  return fetch(`${api.url}/hooks/${encodeURIComponent(hook.id)}`, { method: 'POST', headers, body });
}

describe('inbound webhooks with an engine', () => {
  let api: TestApi;
  let admin: TestUser;
  let hook: Hook;

  beforeAll(async () => {
    api = await startTestApi({ deps: { startExecution } });
    admin = await signUpUser(new TestClient(api.url), 'hooks');
    hook = await setUp(admin, 'hooks');
  });
  afterAll(() => api?.close());

  it('shows the secret once and stores it encrypted', async () => {
    expect(hook.secret).toMatch(/^whsec_/);
    const again = await admin.client.query<{ node: { secret: string | null } }>(
      gql`query Hook($id: ID!) { node(id: $id) { ... on Webhook { secret createdAt } } }`,
      { id: hook.id },
    );
    expect(again.data?.node.secret).toBeNull();
    const { rows } = await api.db.pools.owner.query<{ secret_ciphertext: Buffer }>(
      'SELECT secret_ciphertext FROM webhooks',
    );
    expect(rows[0]?.secret_ciphertext.includes(Buffer.from(hook.secret))).toBe(false);
  });

  it('starts an execution with the JSON body as input and answers its node id', async () => {
    const res = await deliver(api, hook, JSON.stringify({ order: 42 }));
    expect(res.status).toBe(202);
    const { executionId } = (await res.json()) as { executionId: string };
    const node = await admin.client.query<{ node: { status: string; input: unknown } }>(
      gql`query Exec($id: ID!) { node(id: $id) { ... on Execution { status input } } }`,
      { id: executionId },
    );
    expect(node.data?.node).toEqual({ status: 'QUEUED', input: { order: 42 } });
  });

  it('answers a repeated Weft-Delivery with the first execution and starts nothing', async () => {
    const delivery = randomBytes(8).toString('hex');
    const first = await deliver(api, hook, '{"n":1}', { delivery });
    const count = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM executions');
    const second = await deliver(api, hook, '{"n":2}', { delivery });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual(await first.json());
    const after = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM executions');
    expect(after.rows[0].n).toBe(count.rows[0].n);
  });

  it('refuses a bad signature with 401 and a stale or future timestamp with 400', async () => {
    const body = '{"x":1}';
    expect((await deliver(api, hook, body, { secret: 'whsec_wrong' })).status).toBe(401);
    expect((await deliver(api, hook, body, { ts: Math.floor(Date.now() / 1000) - 301 })).status).toBe(400);
    expect((await deliver(api, hook, body, { ts: Math.floor(Date.now() / 1000) + 301 })).status).toBe(400);
    expect((await deliver(api, hook, body, { ts: Math.floor(Date.now() / 1000) - 290 })).status).toBe(202);
    // A signature over another body does not carry over.
    const ts = String(Math.floor(Date.now() / 1000));
    const forged = await fetch(`${api.url}/hooks/${encodeURIComponent(hook.id)}`, {
      method: 'POST',
      headers: { 'weft-timestamp': ts, 'weft-signature': signWebhook(hook.secret, ts, '{"x":1}') },
      body: '{"x":2}',
    });
    expect(forged.status).toBe(401);
  });

  it('answers 404 for unknown and malformed webhook ids', async () => {
    const unknown = { ...hook, id: Buffer.from(`Webhook:${randomUUID()}:${randomUUID()}`).toString('base64url') };
    expect((await deliver(api, unknown, '{}')).status).toBe(404);
    expect((await deliver(api, { ...hook, id: 'nonsense' }, '{}')).status).toBe(404);
  });
});

describe("inbound webhooks follow their creator's role", () => {
  it('stop starting executions (403) once the creator can no longer run them', async () => {
    const api = await startTestApi({ deps: { startExecution } });
    try {
      const admin = await signUpUser(new TestClient(api.url), 'creator');
      const hook = await setUp(admin, 'demoted');
      expect((await deliver(api, hook, '{}')).status).toBe(202);
      await api.db.pools.owner.query("UPDATE memberships SET role = 'VIEWER'");
      const refused = await deliver(api, hook, '{}');
      expect(refused.status).toBe(403);
      const { rows } = await api.db.pools.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM executions');
      expect(rows[0]?.n).toBe(1);
    } finally {
      await api.close();
    }
  });
});

describe("inbound webhooks with the process's own engine", () => {
  it('a signed delivery starts a real run with the body as input, which the workers finish', async () => {
    const api = await startTestApi({ env: { WORKERS: '1' } });
    try {
      const admin = await signUpUser(new TestClient(api.url), 'realengine');
      const hook = await setUp(admin, 'real-engine');
      expect((await deliver(api, hook, '{}', { secret: 'whsec_bad' })).status).toBe(401);
      const res = await deliver(api, hook, JSON.stringify({ order: 7 }));
      expect(res.status).toBe(202);
      const { executionId } = (await res.json()) as { executionId: string };
      const EXEC = gql`query Exec($id: ID!) { node(id: $id) { ... on Execution { status input steps { stepId status } } } }`;
      let node: { status: string; input: unknown; steps: { stepId: string; status: string }[] } | undefined;
      for (let i = 0; i < 200 && node?.status !== 'SUCCEEDED'; i++) {
        const result = await admin.client.query<{ node: typeof node }>(EXEC, { id: executionId });
        node = result.data?.node ?? undefined;
        if (node?.status !== 'SUCCEEDED') await new Promise((r) => setTimeout(r, 50));
      }
      expect(node?.status).toBe('SUCCEEDED');
      expect(node?.input).toEqual({ order: 7 });
      expect(node?.steps.map((s) => [s.stepId, s.status])).toEqual([
        ['hello', 'SUCCEEDED'],
        ['wait', 'SUCCEEDED'],
      ]);
    } finally {
      await api.close();
    }
  });
});
