import { randomUUID } from 'node:crypto';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CREATE_PLAN, CREATE_WORKSPACE, VALID_SPEC } from '../graphql/operations.ts';
import { scriptedFeed } from '../graphql/scripted-feed.ts';

// Attacks on availability by one signed-in user: each must be refused with a clear error, change
// nothing, write no audit row, and leave /healthz answering within a second while it runs.

const { feed, publish } = scriptedFeed();

// Small transport limits, so each can be crossed cheaply; the plan and input limits are the engine's.
const ENV = {
  GRAPHQL_MAX_VARIABLES_BYTES: String(1024 * 1024),
  GRAPHQL_MAX_VARIABLE_STRING_BYTES: String(128 * 1024),
  WS_MAX_PAYLOAD_BYTES: String(512 * 1024),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: '3',
};

let api: TestApi;
let attacker: TestUser;
let workspaceId: string;
let planId: string;

interface Answer {
  status: number;
  body: {
    data?: Record<string, { userErrors?: { code: string; field: string[] | null; message: string }[] } | null>;
    errors?: { message: string; extensions?: { code?: string; path?: string[] } }[];
  };
}

async function graphql(query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${attacker.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** Polls /healthz until stopped: the slowest answer, and how many answers came. */
function watchHealth(): { stop(): Promise<{ slowestMs: number; answers: number }> } {
  let running = true;
  let slowestMs = 0;
  let answers = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(`${api.url}/healthz`);
      await res.arrayBuffer();
      slowestMs = Math.max(slowestMs, performance.now() - started);
      if (res.status === 200) answers++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { slowestMs, answers };
    },
  };
}

/** Rows a refused attack must not have written. */
async function footprint(): Promise<{ plans: number; versions: number; executions: number; audit: number }> {
  const { rows } = await api.db.pools.owner.query<{
    plans: number;
    versions: number;
    executions: number;
    audit: number;
  }>(`SELECT (SELECT count(*)::int FROM plans) AS plans, (SELECT count(*)::int FROM plan_versions) AS versions,
             (SELECT count(*)::int FROM executions) AS executions, (SELECT count(*)::int FROM audit_log) AS audit`);
  const row = rows[0];
  if (row === undefined) throw new Error('no counts');
  return row;
}

/** Runs `attack` while watching /healthz; checks it wrote nothing and health stayed fast. */
async function refusedQuickly<T>(attack: () => Promise<T>): Promise<T> {
  const before = await footprint();
  const health = watchHealth();
  const answer = await attack();
  const { slowestMs, answers } = await health.stop();
  expect(answers).toBeGreaterThan(0);
  expect(slowestMs).toBeLessThan(1000);
  expect(await footprint()).toEqual(before);
  const after = await fetch(`${api.url}/healthz`);
  expect(after.status).toBe(200);
  return answer;
}

const CREATE = `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code field message } } }`;
const UPDATE = `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { id } userErrors { code field message } } }`;
const START = `mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { id } userErrors { code field message } } }`;

const specWith = (input: unknown, extra: Record<string, unknown> = {}) => ({
  steps: [{ id: 'a', tool: 'core.echo', input }],
  ...extra,
});

beforeAll(async () => {
  api = await startTestApi({ env: ENV, deps: { feed } });
  attacker = await signUpUser(new TestClient(api.url), 'attacker');
  const ws = await attacker.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'dos', name: 'DoS' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const plan = await attacker.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId, name: 'victim', spec: VALID_SPEC },
  });
  planId = plan.data?.createPlan.plan.id ?? '';
  expect(planId).not.toBe('');
});
afterAll(() => api?.close());

describe('plan and input size limits', () => {
  it('answers a createPlan holding "{{" a million times with a userError, quickly, /healthz staying up', async () => {
    const bomb = '{{'.repeat(1_000_000);
    // Inline, so the mutation itself gets it (as a variable, the variable limit answers first).
    const query = `mutation { createPlan(input: { workspaceId: "${workspaceId}", name: "bomb",
      spec: { steps: [{ id: "a", tool: "core.echo", input: { text: "${bomb}" } }] } }) {
      plan { id } userErrors { code field message } } }`;
    const answer = await refusedQuickly(() => graphql(query));
    expect(answer.body.data?.createPlan?.userErrors).toContainEqual(
      expect.objectContaining({ code: 'TOO_LARGE', field: ['spec', 'steps', '0', 'input', 'text'] }),
    );
  });

  it('refuses the same spec sent as a variable before any resolver sees it', async () => {
    const spec = specWith({ text: '{{'.repeat(1_000_000) });
    const answer = await refusedQuickly(() => graphql(CREATE, { input: { workspaceId, name: 'bomb', spec } }));
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'VARIABLES_TOO_LARGE',
      path: ['input', 'spec', 'steps', '0', 'input', 'text'],
    });
  });

  it('refuses a string over 64 KB in a plan, naming its field', async () => {
    const spec = specWith({ text: 'x'.repeat(64 * 1024 + 1) });
    const answer = await refusedQuickly(() => graphql(CREATE, { input: { workspaceId, name: 'long', spec } }));
    expect(answer.body.data?.createPlan?.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', field: ['spec', 'steps', '0', 'input', 'text'] }),
    ]);
  });

  it('refuses a spec over 256 KB even when every string is within its limit', async () => {
    const input = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'x'.repeat(60 * 1024)]));
    const answer = await refusedQuickly(() =>
      graphql(CREATE, { input: { workspaceId, name: 'big', spec: specWith(input) } }),
    );
    expect(answer.body.data?.createPlan?.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', field: ['spec'] }),
    ]);
  });

  it('refuses more than 1000 steps and nesting past the depth limit', async () => {
    const steps = Array.from({ length: 1001 }, (_, i) => ({ id: `s${i}`, tool: 'core.echo' }));
    const many = await refusedQuickly(() => graphql(CREATE, { input: { workspaceId, name: 'many', spec: { steps } } }));
    expect(many.body.data?.createPlan?.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', field: ['spec', 'steps'] }),
    ]);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const nested = await refusedQuickly(() =>
      graphql(CREATE, { input: { workspaceId, name: 'deep', spec: specWith({ deep }) } }),
    );
    expect(nested.body.data?.createPlan?.userErrors?.[0]).toMatchObject({ code: 'TOO_LARGE' });
  });

  it('refuses an oversized spec as a new version, keeping the latest version as it was', async () => {
    const answer = await refusedQuickly(() =>
      graphql(UPDATE, { input: { planId, spec: specWith({ text: '{{'.repeat(40_000) }) } }),
    );
    expect(answer.body.data?.updatePlan?.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', field: ['spec', 'steps', '0', 'input', 'text'] }),
    ]);
  });

  it('refuses an execution input over 1 MB (startExecution and startAbExecution)', async () => {
    const half = 'x'.repeat(600 * 1024);
    const input = `{ a: "${half}", b: "${half}" }`;
    const start = await refusedQuickly(() =>
      graphql(`mutation { startExecution(input: { planId: "${planId}", input: ${input} }) {
        execution { id } userErrors { code field message } } }`),
    );
    expect(start.body.data?.startExecution?.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', field: ['input'] }),
    ]);
    const ab = await refusedQuickly(() =>
      graphql(`mutation { startAbExecution(input: { planId: "${planId}", versionA: 1, versionB: 1, percentB: 50,
        input: ${input} }) { execution { id } userErrors { code field message } } }`),
    );
    expect(ab.body.data?.startAbExecution?.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', field: ['input'] }),
    ]);
  });

  it('still accepts a plan and an input within the limits', async () => {
    const spec = specWith({ text: `${'x'.repeat(60 * 1024)} {{ input.name }}` });
    const created = await graphql(CREATE, { input: { workspaceId, name: 'fits', spec } });
    expect(created.body.data?.createPlan?.userErrors).toEqual([]);
    const started = await graphql(START, { input: { planId, input: { a: 'y'.repeat(100 * 1024) } } });
    expect(started.body.data?.startExecution?.userErrors).toEqual([]);
  });
});

describe('/graphql variable limits', () => {
  it('refuses one variable string over the limit, naming it', async () => {
    const answer = await refusedQuickly(() =>
      graphql(START, { input: { planId, input: { note: 'x'.repeat(128 * 1024 + 1) } } }),
    );
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'VARIABLES_TOO_LARGE',
      path: ['input', 'input', 'note'],
    });
  });

  it('refuses variables over the total limit, each string within its own', async () => {
    const parts = Array.from({ length: 9 }, () => 'x'.repeat(120 * 1024));
    const answer = await refusedQuickly(() => graphql(START, { input: { planId, input: { parts } } }));
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', path: [] });
  });
});

describe('WebSocket limits', () => {
  const SUBSCRIPTION = 'subscription($id: ID!) { workspaceExecutions(workspaceId: $id) { id status } }';
  const wsUrl = () => `${api.url.replace('http', 'ws')}/graphql`;
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) await c.dispose();
  });

  function client(token: string): Client {
    const c = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    clients.push(c);
    return c;
  }

  /** A workspace to subscribe to, and an execution in it whose status changes the feed announces. */
  interface Target {
    id: string;
    uuid: string;
    executionId: string;
  }
  const dos: Target = { id: '', uuid: '', executionId: '' };

  async function target(id: string, slug: string): Promise<Target> {
    const executionId = randomUUID();
    const { rows } = await api.db.pools.owner.query<{ workspace_id: string }>(
      `INSERT INTO executions (workspace_id, id, plan_id, plan_version_id, status)
       SELECT v.workspace_id, $2, v.plan_id, v.id, 'RUNNING' FROM plan_versions v
         JOIN workspaces w ON w.id = v.workspace_id WHERE w.slug = $1 LIMIT 1
       RETURNING workspace_id`,
      [slug, executionId],
    );
    return { id, uuid: rows[0]?.workspace_id ?? '', executionId };
  }
  beforeAll(async () => {
    Object.assign(dos, await target(workspaceId, 'dos'));
  });

  /**
   * Opens a subscription to `target`'s executions; resolves with `open` once an event arrived on it
   * (the server holds a slot for it), or with the error the server answered.
   */
  function subscribe(c: Client, to: Target, extra: Record<string, unknown> = {}) {
    return new Promise<{ open: true; stop: () => void } | { open: false; error: unknown }>((resolve) => {
      const change = { workspaceId: to.uuid, executionId: to.executionId, status: 'RUNNING' as const };
      const timer = setInterval(() => publish(change), 50);
      const stop = c.subscribe(
        { query: SUBSCRIPTION, variables: { id: to.id, ...extra } },
        {
          // A refusal by the operation's own checks arrives as a result with errors.
          next: (result) => {
            clearInterval(timer);
            resolve(result.errors === undefined ? { open: true, stop } : { open: false, error: result.errors });
          },
          error: (error) => {
            clearInterval(timer);
            resolve({ open: false, error });
          },
          complete() {},
        },
      );
    });
  }

  it('closes a socket whose message is over the limit (1009), and only that socket', async () => {
    const bystander = client(attacker.token);
    const first = await subscribe(bystander, dos);
    expect(first.open).toBe(true);

    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${attacker.token}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const health = watchHealth();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'x'.repeat(600 * 1024) } }));
    expect(await closed).toBe(1009);
    const { slowestMs } = await health.stop();
    expect(slowestMs).toBeLessThan(1000);

    // The other socket goes on: a new subscription on it opens and gets events.
    if (first.open) first.stop();
    expect((await subscribe(bystander, dos)).open).toBe(true);
  });

  it('refuses variables over the limit on a subscription, the socket staying open', async () => {
    const c = client(attacker.token);
    const refused = await subscribe(c, dos, { pad: 'x'.repeat(128 * 1024 + 1) });
    expect(JSON.stringify(refused)).toContain('VARIABLES_TOO_LARGE');
    const ok = await subscribe(c, dos);
    expect(ok.open).toBe(true);
    if (ok.open) ok.stop();
  });

  it('refuses subscriptions past the limit per connection and per user, and frees slots as they end', async () => {
    const user = await signUpUser(new TestClient(api.url), 'streamer');
    const created = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: 'streams', name: 'Streams' },
    });
    const streamsId = created.data?.createWorkspace.workspace.id ?? '';
    await user.client.mutate(CREATE_PLAN, { input: { workspaceId: streamsId, name: 'live', spec: VALID_SPEC } });
    const streams = await target(streamsId, 'streams');

    const a = client(user.token);
    const a1 = await subscribe(a, streams);
    const a2 = await subscribe(a, streams);
    expect([a1.open, a2.open]).toEqual([true, true]);
    const a3 = await subscribe(a, streams);
    expect(a3.open).toBe(false);
    expect(JSON.stringify(a3)).toContain('TOO_MANY_SUBSCRIPTIONS');

    const b = client(user.token);
    const b1 = await subscribe(b, streams);
    expect(b1.open).toBe(true);
    const b2 = await subscribe(b, streams);
    expect(b2.open).toBe(false);
    expect(JSON.stringify(b2)).toContain('TOO_MANY_SUBSCRIPTIONS');

    // Another user's count is their own.
    expect((await subscribe(client(attacker.token), dos)).open).toBe(true);

    // Ending one gives its slot back (once the server has seen the complete).
    if (a1.open) a1.stop();
    let again = await subscribe(b, streams);
    for (let i = 0; i < 20 && !again.open; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await subscribe(b, streams);
    }
    expect(again.open).toBe(true);
  });
});

describe('subscriptions over SSE', () => {
  const SUBSCRIPTION = 'subscription($id: ID!) { workspaceExecutions(workspaceId: $id) { id status } }';
  const open: AbortController[] = [];
  afterAll(() => {
    for (const c of open) c.abort();
  });

  /** Starts one SSE subscription; its response once the server has answered the headers. */
  async function sse(token: string, id: string): Promise<{ res: Response; controller: AbortController }> {
    const controller = new AbortController();
    open.push(controller);
    const url = `${api.url}/graphql?query=${encodeURIComponent(SUBSCRIPTION)}&variables=${encodeURIComponent(JSON.stringify({ id }))}`;
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    return { res, controller };
  }

  it('counts SSE subscriptions against the per-user limit and gives the slot back when one ends', async () => {
    const user = await signUpUser(new TestClient(api.url), 'sse');
    const created = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: 'sse', name: 'SSE' },
    });
    const id = created.data?.createWorkspace.workspace.id ?? '';
    const held = [await sse(user.token, id), await sse(user.token, id), await sse(user.token, id)];
    for (const h of held) expect(h.res.headers.get('content-type')).toMatch(/text\/event-stream/);

    const refused = await sse(user.token, id);
    expect(await refused.res.text()).toContain('TOO_MANY_SUBSCRIPTIONS');

    held[0]?.controller.abort();
    let text = '';
    for (let i = 0; i < 40; i++) {
      const again = await sse(user.token, id);
      // A stream that stays open was accepted; read a refusal to its end.
      const first = await Promise.race([
        again.res.text(),
        new Promise<string>((r) => setTimeout(() => r('open'), 300)),
      ]);
      text = first;
      if (first === 'open') break;
    }
    expect(text).toBe('open');
  });
});
