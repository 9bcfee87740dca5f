import { randomUUID } from 'node:crypto';
import { signWebhook } from '@weft/api';
import { recordOnlyWebhookStart, signUpUser, startTestApi, type TestApi, TestClient } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PLAN, CREATE_WEBHOOK, CREATE_WORKSPACE, VALID_SPEC } from '../graphql/operations.ts';

// Whoever saw one signed inbound request (a log, a proxy, a shared terminal) may send it again
// while its timestamp is within the window. It must start one run, however often and however
// concurrently it is sent, whatever Weft-Delivery says; a newly signed request still works.

// The route alone is under test: the stand-in records the execution and no run proceeds.
const startExecution = recordOnlyWebhookStart;

let api: TestApi;
let hook: { id: string; secret: string };

interface Signed {
  timestamp: string;
  signature: string;
  body: string;
}

function sign(body: string, timestamp = Math.floor(Date.now() / 1000)): Signed {
  const ts = String(timestamp);
  return { timestamp: ts, signature: signWebhook(hook.secret, ts, body), body };
}

function send(signed: Signed, delivery?: string): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'weft-timestamp': signed.timestamp,
    'weft-signature': signed.signature,
  };
  if (delivery !== undefined) headers['weft-delivery'] = delivery;
  return fetch(`${api.url}/hooks/${encodeURIComponent(hook.id)}`, { method: 'POST', headers, body: signed.body });
}

async function counts(): Promise<{ executions: number; audit: number; deliveries: number }> {
  const { rows } = await api.db.pools.owner.query<{ executions: number; audit: number; deliveries: number }>(
    `SELECT (SELECT count(*)::int FROM executions) AS executions, (SELECT count(*)::int FROM audit_log) AS audit,
            (SELECT count(*)::int FROM webhook_deliveries) AS deliveries`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('no counts');
  return row;
}

beforeAll(async () => {
  api = await startTestApi({ deps: { startExecution } });
  const admin = await signUpUser(new TestClient(api.url), 'replay');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'replay', name: 'Replay' },
  });
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: 'hooked', spec: VALID_SPEC },
  });
  const created = await admin.client.mutate<{ createWebhook: { webhook: { id: string; secret: string } } }>(
    CREATE_WEBHOOK,
    { input: { planId: plan.data?.createPlan.plan.id } },
  );
  const webhook = created.data?.createWebhook.webhook;
  if (!webhook) throw new Error(JSON.stringify(created));
  hook = webhook;
});
afterAll(() => api?.close());

describe('inbound webhook replay', () => {
  it('refuses the same signed request sent again without Weft-Delivery (409), starting nothing', async () => {
    const signed = sign('{"order":1}');
    expect((await send(signed)).status).toBe(202);
    const before = await counts();
    const again = await send(signed);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/already accepted/);
    expect(await counts()).toEqual(before);
  });

  it('refuses it with a fresh Weft-Delivery each time, writing no delivery row', async () => {
    const signed = sign('{"order":2}');
    expect((await send(signed, randomUUID())).status).toBe(202);
    const before = await counts();
    for (let i = 0; i < 3; i++) expect((await send(signed, randomUUID())).status).toBe(409);
    expect(await counts()).toEqual(before);
  });

  it('still answers a repeated Weft-Delivery with the first execution (docs/contract.md)', async () => {
    const signed = sign('{"order":3}');
    const delivery = randomUUID();
    const first = await send(signed, delivery);
    expect(first.status).toBe(202);
    const before = await counts();
    const retry = await send(signed, delivery);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual(await first.json());
    expect(await counts()).toEqual(before);
  });

  it('starts one run when the same signed request arrives many times at once', async () => {
    const signed = sign('{"order":4}');
    const before = await counts();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(signed, i % 2 === 0 ? undefined : randomUUID())),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    const after = await counts();
    expect(after.executions).toBe(before.executions + 1);
    expect(after.audit).toBe(before.audit + 1);
  });

  it('accepts the same body signed again with a new timestamp', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await send(sign('{"order":5}', now - 10))).status).toBe(202);
    expect((await send(sign('{"order":5}', now - 9))).status).toBe(202);
  });

  it('forgets accepted signatures once they are outside the window', async () => {
    const old = sign('{"order":6}', Math.floor(Date.now() / 1000) - 290);
    expect((await send(old)).status).toBe(202);
    // Age the remembered signature past its expiry, as time would; the next delivery prunes it.
    await api.db.pools.owner.query(
      "UPDATE webhook_signatures_seen SET expires_at = now() - interval '1 second' WHERE signed_at = $1",
      [Number(old.timestamp)],
    );
    expect((await send(sign('{"order":7}'))).status).toBe(202);
    const { rows } = await api.db.pools.owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_signatures_seen WHERE signed_at = $1',
      [Number(old.timestamp)],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses a body nested deeper than an execution input may be (400), starting nothing', async () => {
    const before = await counts();
    const answer = await send(sign(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toMatch(/nested more than/);
    expect(await counts()).toEqual(before);
  });
});
