import { randomUUID } from 'node:crypto';
import type { ExecutionEvent } from '@weft/engine';
import { encodeTenantId } from '@weft/schema';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CREATE_PLAN, CREATE_WORKSPACE, VALID_SPEC } from './operations.ts';
import { scriptedFeed } from './scripted-feed.ts';

/** What every `executionEvents` subscription gets, then its stream ends. */
let scriptedEvents: ExecutionEvent[] = [];
const { feed, publish } = scriptedFeed(() => scriptedEvents);

let api: TestApi;
let user: TestUser;
let workspaceId: string;
let workspaceUuid: string;
let executionId: string;

const SUBSCRIPTION = 'subscription($id: ID!) { workspaceExecutions(workspaceId: $id) { id status } }';

function wsUrl(): string {
  return `${api.url.replace('http', 'ws')}/graphql`;
}

function client(authorization: string | undefined, onClosed?: (code: number) => void): Client {
  return createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: authorization === undefined ? {} : { authorization },
    on: { closed: (event) => onClosed?.((event as { code: number }).code) },
  });
}

beforeAll(async () => {
  api = await startTestApi({ deps: { feed } });
  user = await signUpUser(new TestClient(api.url), 'subscriber');
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'live', name: 'Live' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  await user.client.mutate(CREATE_PLAN, { input: { workspaceId, name: 'live', spec: VALID_SPEC } });
  const { rows } = await api.db.pools.owner.query<{ workspace_id: string; plan_id: string; id: string }>(
    'SELECT workspace_id, plan_id, id FROM plan_versions LIMIT 1',
  );
  const version = rows[0];
  if (!version) throw new Error('no version');
  workspaceUuid = version.workspace_id;
  executionId = randomUUID();
  await api.db.pools.owner.query(
    "INSERT INTO executions (workspace_id, id, plan_id, plan_version_id, status) VALUES ($1, $2, $3, $4, 'RUNNING')",
    [version.workspace_id, executionId, version.plan_id, version.id],
  );
});
afterAll(() => api?.close());

describe('graphql-ws', () => {
  it('closes a socket that sends no connection_init within 3 s with 4408', async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('closes a socket with a bad or missing token with 4403', async () => {
    for (const authorization of ['Bearer wfs_not-a-real-token-at-all', undefined]) {
      const closed = new Promise<number>((resolve) => {
        const c = client(authorization, resolve);
        c.subscribe({ query: SUBSCRIPTION, variables: { id: workspaceId } }, { next() {}, error() {}, complete() {} });
      });
      expect(await closed).toBe(4403);
    }
  });

  it('streams status changes to a member, counted as an open subscription', async () => {
    const c = client(`Bearer ${user.token}`);
    const received: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const stop = c.subscribe(
        { query: SUBSCRIPTION, variables: { id: workspaceId } },
        {
          next: (value) => {
            received.push(value);
            stop();
            resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    const metricsWhileOpen = await waitForMetric('weft_graphql_subscriptions_open 1');
    // Publish until the feed's listener is attached (just after the subscription opens).
    const timer = setInterval(() => publish({ workspaceId: workspaceUuid, executionId, status: 'RUNNING' }), 50);
    await done;
    clearInterval(timer);
    await c.dispose();
    expect(metricsWhileOpen).toBe(true);
    expect(received[0]).toMatchObject({ data: { workspaceExecutions: { status: 'RUNNING' } } });
  });

  it('answers NOT_FOUND to a subscription on a workspace the user is not in', async () => {
    const outsider = await signUpUser(new TestClient(api.url), 'peeker');
    const c = client(`Bearer ${outsider.token}`);
    const errors = await new Promise<unknown>((resolve) => {
      c.subscribe(
        { query: SUBSCRIPTION, variables: { id: workspaceId } },
        { next: (value) => resolve(value), error: resolve, complete() {} },
      );
    });
    await c.dispose();
    expect(JSON.stringify(errors)).toContain('NOT_FOUND');
  });

  it('many subscriptions of one token share their access re-checks instead of querying per stream', async () => {
    // Reads of the two tables the re-check asks (token still valid; role in the workspace).
    const reads = async () => {
      const { rows } = await api.db.pools.owner.query<{ n: string }>(
        `SELECT sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text AS n
           FROM pg_stat_user_tables WHERE relname IN ('memberships', 'auth_tokens')`,
      );
      return Number(rows[0]?.n ?? 0);
    };
    const STREAMS = 30;
    const clients = Array.from({ length: STREAMS }, () => client(`Bearer ${user.token}`));
    for (const c of clients) {
      c.subscribe({ query: SUBSCRIPTION, variables: { id: workspaceId } }, { next() {}, error() {}, complete() {} });
    }
    try {
      expect(await waitForMetric(`weft_graphql_subscriptions_open ${STREAMS}`)).toBe(true);
      // Statistics reach other sessions up to a second late; the window is long enough to see the
      // rate. A check reads both tables (a few scans with their policies), about twice a second
      // when shared (an answer lives half an interval): ~40 reads here, more when the machine is
      // loaded and timers bunch. Per stream it would be each stream every second: ~280.
      const before = await reads();
      await new Promise((r) => setTimeout(r, 4000));
      const during = (await reads()) - before;
      expect(during).toBeLessThan(STREAMS * 4);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });
  it('sends every subscriber each shared result in order, an unexpected error masked, then completes', async () => {
    const event = (seq: number): ExecutionEvent => ({
      workspaceId: workspaceUuid,
      executionId,
      seq,
      type: 'step.succeeded',
      stepId: 'a',
      at: new Date(),
      data: null,
    });
    const broken = event(2);
    Object.defineProperty(broken, 'type', {
      get() {
        throw new Error('secret internal detail');
      },
    });
    scriptedEvents = [event(1), broken, event(3)];
    const query = 'subscription($id: ID!) { executionEvents(executionId: $id) { seq type } }';
    const id = encodeTenantId('Execution', workspaceUuid, executionId);
    // Two subscribers with one token and one document share each event's result.
    const streams = [client(`Bearer ${user.token}`), client(`Bearer ${user.token}`)].map((c) =>
      new Promise<unknown[]>((resolve, reject) => {
        const got: unknown[] = [];
        c.subscribe(
          { query, variables: { id } },
          { next: (value) => got.push(value), error: reject, complete: () => resolve(got) },
        );
      }).finally(() => c.dispose()),
    );
    const [first, second] = await Promise.all(streams);
    scriptedEvents = [];
    expect(second).toEqual(first);
    expect(first).toHaveLength(3);
    expect(first?.[0]).toEqual({ data: { executionEvents: { seq: 1, type: 'step.succeeded' } } });
    expect(first?.[1]).toMatchObject({
      data: null,
      errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
    expect(JSON.stringify(first)).not.toContain('secret internal detail');
    expect(first?.[2]).toEqual({ data: { executionEvents: { seq: 3, type: 'step.succeeded' } } });
  });
});

async function waitForMetric(line: string): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    if (text.includes(line)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('GraphQL over SSE', () => {
  it('streams the same subscription with the Authorization header', async () => {
    const controller = new AbortController();
    // Headers may wait for the first event, so publishing starts before the request.
    const timer = setInterval(() => publish({ workspaceId: workspaceUuid, executionId, status: 'SUCCEEDED' }), 50);

    const url = `${api.url}/graphql?query=${encodeURIComponent(SUBSCRIPTION)}&variables=${encodeURIComponent(JSON.stringify({ id: workspaceId }))}`;
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${user.token}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body?.getReader();
    let text = '';
    // The event carries the execution as stored now, which the test set to RUNNING.
    while (reader && !text.includes('event: next')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    clearInterval(timer);
    controller.abort();
    expect(text).toContain('event: next');
    expect(text).toContain('"status":"RUNNING"');
  });

  it('refuses an anonymous SSE subscription with UNAUTHENTICATED', async () => {
    const url = `${api.url}/graphql?query=${encodeURIComponent(SUBSCRIPTION)}&variables=${encodeURIComponent(JSON.stringify({ id: workspaceId }))}`;
    const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
    const text = await res.text();
    expect(text).toContain('UNAUTHENTICATED');
  });
});
