import { gql } from '@apollo/client';
import { signWebhook } from '@weft/api';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_MEMBER,
  CREATE_EVENT_TRIGGER,
  CREATE_PLAN,
  CREATE_WEBHOOK,
  CREATE_WORKSPACE,
  DELETE_EVENT_TRIGGER,
  SEND_EVENT,
  START_EXECUTION,
} from '../graphql/operations.ts';

// Events over the API: triggers start runs with the event's data as input (trigger EVENT), events
// that do not match start nothing, each workspace sees only its own, viewers may not send, and an
// inbound webhook can send one too.

const ECHO = { name: 'on-event', steps: [{ id: 'echo', tool: 'core.echo', input: { order: '{{ input.orderId }}' } }] };

interface Started {
  id: string;
  trigger: string;
  input: unknown;
  status: string;
}
interface SendResult {
  sendEvent: { resumed: number; started: Started[]; userErrors: { code: string; field: string[] | null }[] };
}

let api: TestApi;
let anonymous: TestClient;
let admin: TestUser;
let workspaceId: string;
let planId: string;

async function workspace(user: TestUser, slug: string): Promise<string> {
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  return ws.data?.createWorkspace.workspace.id ?? '';
}

async function plan(user: TestUser, ws: string, name: string): Promise<string> {
  const r = await user.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId: ws, name, spec: ECHO },
  });
  return r.data?.createPlan.plan.id ?? '';
}

async function trigger(user: TestUser, input: Record<string, unknown>): Promise<string> {
  const r = await user.client.mutate<{ createEventTrigger: { eventTrigger: { id: string }; userErrors: unknown[] } }>(
    CREATE_EVENT_TRIGGER,
    { input },
  );
  expect(r.data?.createEventTrigger.userErrors).toEqual([]);
  return r.data?.createEventTrigger.eventTrigger.id ?? '';
}

async function send(user: TestUser, ws: string, name: string, data?: unknown) {
  return user.client.mutate<SendResult>(SEND_EVENT, { input: { workspaceId: ws, name, data } });
}

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'events');
  workspaceId = await workspace(admin, 'events');
  planId = await plan(admin, workspaceId, 'orders');
}, 60_000);
afterAll(() => api?.close());

describe('events and triggers', () => {
  it('starts every matching trigger with the data as input, and nothing for other events', async () => {
    await trigger(admin, { planId, event: 'order.paid', match: { currency: 'EUR' } });
    const data = { orderId: 'o-17', currency: 'EUR', total: 12.5 };
    const sent = await send(admin, workspaceId, 'order.paid', data);
    expect(sent.errors).toEqual([]);
    expect(sent.data?.sendEvent.userErrors).toEqual([]);
    expect(sent.data?.sendEvent.resumed).toBe(0);
    const started = sent.data?.sendEvent.started ?? [];
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ trigger: 'EVENT', input: data });

    // The run goes on like any other: its step read the event's data.
    const deadline = Date.now() + 10_000;
    let output: unknown = null;
    while (Date.now() < deadline) {
      const r = await admin.client.query<{ node: { status: string; output: unknown } }>(
        gql`query Run($id: ID!) { node(id: $id) { ... on Execution { status output } } }`,
        { id: started[0]?.id },
      );
      if (r.data?.node.status === 'SUCCEEDED') {
        output = r.data.node.output;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toEqual({ echo: { order: 'o-17' } });

    // A field of match differs, another name, no data at all: nothing starts.
    for (const [name, other] of [
      ['order.paid', { orderId: 'o-18', currency: 'USD' }],
      ['order.refunded', data],
      ['order.paid', undefined],
    ] as const) {
      const none = await send(admin, workspaceId, name, other);
      expect(none.data?.sendEvent).toMatchObject({ started: [], resumed: 0, userErrors: [] });
    }

    // Every event is recorded, newest first, with who sent it and what it started.
    const listed = await admin.client.query<{
      workspace: {
        events: {
          edges: {
            node: { name: string; data: unknown; source: string; sentBy: { id: string }; started: { id: string }[] };
          }[];
        };
      };
    }>(
      gql`query Events { workspace(slug: "events") { events(first: 10) {
        edges { node { name data source sentBy { id } started { id } sentAt resumed } } } } }`,
    );
    const events = listed.data?.workspace.events.edges.map((e) => e.node) ?? [];
    expect(events.map((e) => e.name)).toEqual(['order.paid', 'order.refunded', 'order.paid', 'order.paid']);
    expect(events[3]).toMatchObject({
      data,
      source: 'API',
      sentBy: { id: admin.id },
      started: [{ id: started[0]?.id }],
    });
    expect(events[0]?.started).toEqual([]);
  });

  it('starts only triggers of the sending workspace, and a deleted trigger starts nothing', async () => {
    const other = await signUpUser(anonymous, 'other');
    const otherWs = await workspace(other, 'events-other');
    const otherPlan = await plan(other, otherWs, 'theirs');
    await trigger(other, { planId: otherPlan, event: 'shared.name' });
    const mine = await trigger(admin, { planId, event: 'shared.name' });

    const sent = await send(admin, workspaceId, 'shared.name', { orderId: 'x' });
    expect(sent.data?.sendEvent.started).toHaveLength(1);
    const { rows } = await api.db.pools.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM executions e JOIN plans p ON p.id = e.plan_id WHERE p.name = 'theirs'`,
    );
    expect(rows[0]?.n).toBe(0);

    // Another workspace's id is NOT_FOUND, for sending and for deleting its triggers.
    expect(codes(await send(admin, otherWs, 'shared.name', {}))).toEqual(['NOT_FOUND']);

    const deleted = await admin.client.mutate<{ deleteEventTrigger: { eventTrigger: { id: string } } }>(
      DELETE_EVENT_TRIGGER,
      { input: { id: mine } },
    );
    expect(deleted.data?.deleteEventTrigger.eventTrigger.id).toBe(mine);
    const after = await send(admin, workspaceId, 'shared.name', { orderId: 'y' });
    expect(after.data?.sendEvent.started).toEqual([]);
  });

  it('lets members send but not viewers, and refuses bad names and oversized data', async () => {
    const viewer = await signUpUser(anonymous, 'viewer');
    const member = await signUpUser(anonymous, 'member');
    for (const [user, role] of [
      [viewer, 'VIEWER'],
      [member, 'MEMBER'],
    ] as const) {
      await admin.client.mutate(ADD_MEMBER, { input: { workspaceId, email: user.email, role } });
    }
    const before = await api.db.pools.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(codes(await send(viewer, workspaceId, 'order.paid', { currency: 'EUR' }))).toEqual(['FORBIDDEN']);
    const after = await api.db.pools.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    // Viewers read what was sent and what triggers exist.
    const seen = await viewer.client.query<{ workspace: { eventTriggers: unknown[]; events: { edges: unknown[] } } }>(
      gql`query Seen { workspace(slug: "events") { eventTriggers { id event } events(first: 1) { edges { node { id } } } } }`,
    );
    expect(seen.errors).toEqual([]);
    expect(seen.data?.workspace.events.edges).toHaveLength(1);

    const byMember = await send(member, workspaceId, 'order.paid', { orderId: 'm-1', currency: 'EUR' });
    expect(byMember.data?.sendEvent.started).toHaveLength(1);

    const badName = await send(admin, workspaceId, 'no spaces allowed', {});
    expect(badName.data?.sendEvent.userErrors.map((e) => e.field)).toEqual([['name']]);
    // Deeper than an execution input may be (the data becomes the runs' input): refused before
    // anything is read (the variables' own bound), nothing recorded.
    const count = async () =>
      (await api.db.pools.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]?.n;
    const recorded = await count();
    let deep: unknown = 'bottom';
    for (let i = 0; i < 70; i++) deep = { d: deep };
    const tooDeep = await send(admin, workspaceId, 'order.paid', deep);
    expect(codes(tooDeep)).toEqual(['VARIABLES_TOO_LARGE']);
    expect(await count()).toBe(recorded);
    const badMatch = await admin.client.mutate<{ createEventTrigger: { userErrors: { field: string[] }[] } }>(
      CREATE_EVENT_TRIGGER,
      { input: { planId, event: 'x', match: [1, 2] } },
    );
    expect(badMatch.data?.createEventTrigger.userErrors.map((e) => e.field)).toEqual([['match']]);
  });

  it('an inbound webhook with ?event=NAME sends an event instead of starting its own plan', async () => {
    const hook = await admin.client.mutate<{ createWebhook: { webhook: { id: string; secret: string } } }>(
      CREATE_WEBHOOK,
      { input: { planId } },
    );
    const { id, secret } = hook.data?.createWebhook.webhook ?? { id: '', secret: '' };
    await trigger(admin, { planId, event: 'hooked', match: { kind: 'a' } });
    const post = async (body: string, delivery: string, event: string | null = 'hooked') => {
      const ts = String(Math.floor(Date.now() / 1000));
      const query = event === null ? '' : `?event=${event}`;
      return fetch(`${api.url}/hooks/${encodeURIComponent(id)}${query}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'weft-timestamp': ts,
          'weft-signature': signWebhook(secret, ts, body),
          'weft-delivery': delivery,
        },
        body,
      });
    };
    const res = await post(JSON.stringify({ kind: 'a', orderId: 'h-1' }), 'd-1');
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { eventId: string; resumed: number; started: string[] };
    expect(answer.started).toHaveLength(1);
    const run = await admin.client.query<{ node: { trigger: string; input: unknown } }>(
      gql`query HookRun($id: ID!) { node(id: $id) { ... on Execution { trigger input } } }`,
      { id: answer.started[0] },
    );
    expect(run.data?.node).toEqual({ trigger: 'EVENT', input: { kind: 'a', orderId: 'h-1' } });
    const { rows } = await api.db.pools.owner.query<{ source: string; n: number }>(
      `SELECT source, count(*)::int AS n FROM events WHERE name = 'hooked' GROUP BY source`,
    );
    expect(rows).toEqual([{ source: 'WEBHOOK', n: 1 }]);

    // The same delivery id again answers with the first event and sends nothing new.
    await new Promise((r) => setTimeout(r, 1100)); // a new timestamp, so a new signature
    const again = await post(JSON.stringify({ kind: 'a', orderId: 'h-1' }), 'd-1');
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(answer);
    const count = await api.db.pools.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE name = 'hooked'`,
    );
    expect(count.rows[0]?.n).toBe(1);

    // Without ?event the webhook starts its own plan, as a WEBHOOK run; startExecution's are MANUAL.
    const plain = await post(JSON.stringify({ orderId: 'w-1' }), 'd-2', null);
    expect(plain.status).toBe(202);
    const { executionId } = (await plain.json()) as { executionId: string };
    const manual = await admin.client.mutate<{ startExecution: { execution: { id: string } } }>(START_EXECUTION, {
      input: { planId, input: { orderId: 'm-1' } },
    });
    const triggers = await admin.client.query<{ a: { trigger: string }; b: { trigger: string } }>(
      gql`query Triggers($a: ID!, $b: ID!) { a: node(id: $a) { ... on Execution { trigger } }
        b: node(id: $b) { ... on Execution { trigger } } }`,
      { a: executionId, b: manual.data?.startExecution.execution.id },
    );
    expect(triggers.data).toEqual({ a: { trigger: 'WEBHOOK' }, b: { trigger: 'MANUAL' } });
  });
});
