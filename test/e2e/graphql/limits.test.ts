import { request } from 'node:http';
import { Writable } from 'node:stream';
import { gql } from '@apollo/client';
import { createLogger, MAX_GRAPHQL_BODY_BYTES, OPERATION_LIMITS } from '@weft/api';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_API_TOKEN, CREATE_WORKSPACE, VIEWER } from './operations.ts';

async function post(api: TestApi, query: string, token?: string) {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    },
  };
}

describe('operation limits (rejected before execution)', () => {
  let api: TestApi;
  let user: TestUser;
  beforeAll(async () => {
    api = await startTestApi();
    user = await signUpUser(new TestClient(api.url), 'limits');
  });
  afterAll(() => api?.close());

  /** A raw POST whose headers are set by hand: its answer, read before the body is finished. */
  function rawPost(headers: Record<string, string>, firstChunk: string) {
    return new Promise<{ status: number; body: { errors?: { extensions?: { code?: string } }[] } }>(
      (resolve, reject) => {
        const req = request(`${api.url}/graphql`, { method: 'POST', headers }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        // The server answers without reading the rest and closes; a write racing that is expected.
        req.on('error', (error) => (error.message.includes('EPIPE') ? undefined : reject(error)));
        req.write(firstChunk);
      },
    );
  }

  it('refuses a body declared larger than the limit with 413, before reading it', async () => {
    const answer = await rawPost(
      { 'content-type': 'application/json', 'content-length': String(MAX_GRAPHQL_BODY_BYTES + 1) },
      '{"query":"{ viewer { id } }","variables":{"pad":"',
    );
    expect(answer.status).toBe(413);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('refuses a body of unknown length (chunked) with 411', async () => {
    const answer = await rawPost({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, '{"query":');
    expect(answer.status).toBe(411);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('LENGTH_REQUIRED');
  });

  it('reads a large body within the limit in full', async () => {
    const pad = 'x'.repeat(2 * 1024 * 1024);
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ query: '{ viewer { id } }', extensions: { pad } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { viewer: { id: string } } }).data.viewer.id).toBeTruthy();
  });

  it('rejects a query deeper than the limit', async () => {
    let selection = 'id';
    for (let i = 0; i < OPERATION_LIMITS.maxDepth / 2; i++) selection = `memberships { user { ${selection} } }`;
    const { body } = await post(api, `{ viewer { ${selection} } }`, user.token);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/depth limit/i);
  });

  it('rejects too many aliases', async () => {
    const aliases = Array.from({ length: OPERATION_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { id }`).join(' ');
    const { body } = await post(api, `{ ${aliases} }`, user.token);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/aliases limit/i);
  });

  it('rejects a query whose cost (pages of pages) is over the limit', async () => {
    const query = `{ workspace(slug: "x") { plans(first: 100) { edges { node { versions(first: 100) {
      edges { node { id spec createdBy { id email } } } } } } } } }`;
    const { body } = await post(api, query, user.token);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/cost limit/i);
  });
});

describe('unexpected errors', () => {
  it('are masked, with a request id to find the full error in the log', async () => {
    const lines: string[] = [];
    const log = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const api = await startTestApi({
      logger: createLogger('error', 'weft-api', log),
      deps: {
        validatePlan: async () => {
          throw new Error('validator exploded: secret internal detail');
        },
      },
    });
    try {
      const user = await signUpUser(new TestClient(api.url), 'masked');
      const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
        input: { slug: 'masked', name: 'Masked' },
      });
      const res = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${user.token}`,
          'x-request-id': 'req-123',
        },
        body: JSON.stringify({
          query: 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }',
          variables: { input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: 'p', spec: { steps: [] } } },
        }),
      });
      const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.message).toBe('Unexpected error.');
      expect(body.errors[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-123' });
      expect(JSON.stringify(body)).not.toContain('secret internal detail');
      // The full error is in the log, under the same request id.
      const logged = lines
        .map((l) => JSON.parse(l) as { msg: string; reqId?: string; err?: { message: string } })
        .find((l) => l.msg === 'unexpected error in a GraphQL operation');
      expect(logged?.reqId).toBe('req-123');
      expect(logged?.err?.message).toBe('validator exploded: secret internal detail');
    } finally {
      await api.close();
    }
  });
});

describe('rate limits', () => {
  let api: TestApi;
  let other: TestApi;
  let owner: TestUser;
  beforeAll(async () => {
    const env = {
      RATE_LIMIT_PER_MINUTE: '8',
      WORKSPACE_RATE_LIMIT_PER_MINUTE: '3',
      REDIS_URL: 'redis://127.0.0.1:6379',
    };
    api = await startTestApi({ env });
    // A second API process on the same database and Redis: budgets are shared through Redis.
    other = await startTestApi({ env, database: api.db });
    owner = await signUpUser(new TestClient(api.url), 'rate');
  });
  afterAll(async () => {
    await other?.close();
    await api?.close();
  });

  it('refuses a user over budget (across API processes) with RATE_LIMITED and the reset time', async () => {
    const here = owner.client;
    const there = new TestClient(other.url, owner.token);
    // signUp counted as an anonymous call by address; this user's budget starts now.
    for (let i = 0; i < 4; i++) expect((await here.query(VIEWER)).errors).toEqual([]);
    for (let i = 0; i < 4; i++) expect((await there.query(VIEWER)).errors).toEqual([]);
    const refused = await there.query(VIEWER);
    expect(codes(refused)).toEqual(['RATE_LIMITED']);
    const resetAt = Date.parse(String(refused.errors[0]?.extensions?.resetAt));
    expect(resetAt).toBeGreaterThan(Date.now());
    expect(resetAt - Date.now()).toBeLessThanOrEqual(60_000);
    expect(refused.errors[0]?.message).toMatch(/Try again after/);
  });

  it('refuses a workspace over budget whichever of its tokens calls', async () => {
    const alice = await signUpUser(new TestClient(api.url), 'alice');
    const ws = await alice.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: 'rate-ws', name: 'Rate' },
    });
    const workspaceId = ws.data?.createWorkspace.workspace.id;
    const tokens: string[] = [];
    for (const name of ['one', 'two']) {
      const t = await alice.client.mutate<{ createApiToken: { token: string } }>(CREATE_API_TOKEN, {
        input: { workspaceId, name },
      });
      tokens.push(t.data?.createApiToken.token ?? '');
    }
    const [one, two] = tokens.map((t) => new TestClient(api.url, t));
    if (!one || !two) throw new Error('tokens');
    // Alice's own budget (8) has room for 5 more; the workspace's 3 runs out first.
    for (let i = 0; i < 2; i++) expect((await one.query(VIEWER)).errors).toEqual([]);
    expect((await two.query(VIEWER)).errors).toEqual([]);
    const refused = await two.query(VIEWER);
    expect(codes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors[0]?.extensions?.scope).toBe('workspace');
  });
});

describe('production mode', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => api?.close());

  it('answers no introspection and no field suggestions', async () => {
    const intro = await post(api, '{ __schema { types { name } } }');
    expect(intro.body.data).toBeUndefined();
    expect(intro.body.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await post(api, '{ viewr { id } }');
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const dev = await startTestApi({ database: api.db });
    try {
      const devTypo = await post(dev, '{ viewr { id } }');
      expect(devTypo.body.errors?.[0]?.message).toMatch(/Did you mean "viewer"/);
    } finally {
      await dev.close();
    }
  });

  it('still serves ordinary operations', async () => {
    const client = new TestClient(api.url);
    const viewer = await client.query<{ viewer: null }>(gql`query V { viewer { id } }`);
    expect(viewer.errors).toEqual([]);
    expect(viewer.data?.viewer).toBeNull();
  });
});

describe('request timeout', () => {
  it('answers TIMEOUT when an operation runs longer than REQUEST_TIMEOUT_MS', async () => {
    // The account is made through an API without the short timeout (sign-up hashes a password,
    // which a loaded machine may take a second for); the API under test shares its database.
    const setup = await startTestApi();
    const api = await startTestApi({
      database: setup.db,
      env: { REQUEST_TIMEOUT_MS: '1000' },
      deps: {
        validatePlan: () => new Promise((resolve) => setTimeout(() => resolve({ spec: null, issues: [] }), 4000)),
      },
    });
    try {
      const made = await signUpUser(new TestClient(setup.url), 'slow');
      const ws = await made.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
        input: { slug: 'slow', name: 'Slow' },
      });
      const user = { client: new TestClient(api.url, made.token) };
      const started = Date.now();
      const result = await user.client.mutate(
        gql`mutation Slow($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }`,
        { input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: 'p', spec: { steps: [] } } },
      );
      expect(codes(result)).toEqual(['TIMEOUT']);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await api.close();
      await setup.close();
    }
  });
});
