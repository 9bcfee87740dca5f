import { codes, signUpUser, startTestApi, type TestApi, TestClient } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_API_TOKEN, CREATE_WORKSPACE, LOG_IN, LOG_OUT, REVOKE_TOKEN, SIGN_UP, VIEWER } from './operations.ts';

let api: TestApi;
let anonymous: TestClient;

beforeAll(async () => {
  api = await startTestApi();
  anonymous = new TestClient(api.url);
});
afterAll(() => api?.close());

describe('accounts', () => {
  it('signs up, logs in and answers viewer with the session token', async () => {
    const signUp = await anonymous.mutate<{ signUp: { token: string; user: { id: string; email: string } } }>(SIGN_UP, {
      input: { email: 'ada@example.com', password: 'analytical engine', name: 'Ada' },
    });
    expect(signUp.errors).toEqual([]);
    expect(signUp.data?.signUp.user.email).toBe('ada@example.com');
    expect(signUp.data?.signUp.token).toMatch(/^wfs_/);

    const logIn = await anonymous.mutate<{ logIn: { token: string; userErrors: unknown[] } }>(LOG_IN, {
      input: { email: 'ADA@example.com', password: 'analytical engine' },
    });
    expect(logIn.data?.logIn.userErrors).toEqual([]);
    const token = logIn.data?.logIn.token ?? '';
    const viewer = await anonymous.withToken(token).query<{ viewer: { email: string; name: string } }>(VIEWER);
    expect(viewer.data?.viewer).toMatchObject({ email: 'ada@example.com', name: 'Ada' });

    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(
      /weft_graphql_operation_duration_seconds_count\{type="query",name="Viewer",outcome="ok"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /weft_graphql_operation_duration_seconds_count\{type="mutation",name="SignUp",outcome="ok"\} [1-9]/,
    );

    const stored = await api.db.pools.owner.query<{ token_hash: Buffer }>('SELECT token_hash FROM auth_tokens');
    expect(stored.rows.every((r) => r.token_hash.length === 32 && !r.token_hash.toString().includes(token))).toBe(true);
  });

  it('refuses bad input with userErrors and writes nothing', async () => {
    const before = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM users');
    const result = await anonymous.mutate<{ signUp: { token: null; userErrors: { code: string; field: string[] }[] } }>(
      SIGN_UP,
      { input: { email: 'not-an-email', password: 'short' } },
    );
    expect(result.data?.signUp.token).toBeNull();
    expect(result.data?.signUp.userErrors.map((e) => e.field)).toEqual([['email'], ['password']]);
    const taken = await anonymous.mutate<{ signUp: { userErrors: { code: string }[] } }>(SIGN_UP, {
      input: { email: 'ada@example.com', password: 'another long password' },
    });
    expect(taken.data?.signUp.userErrors.map((e) => e.code)).toEqual(['TAKEN']);
    const after = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM users');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('answers wrong credentials the same for a wrong password and an unknown email', async () => {
    const wrong = await anonymous.mutate<{ logIn: { token: null; userErrors: { code: string }[] } }>(LOG_IN, {
      input: { email: 'ada@example.com', password: 'wrong password' },
    });
    const unknown = await anonymous.mutate<{ logIn: { token: null; userErrors: { code: string }[] } }>(LOG_IN, {
      input: { email: 'nobody@example.com', password: 'wrong password' },
    });
    expect(wrong.data?.logIn).toEqual(unknown.data?.logIn);
    expect(wrong.data?.logIn.userErrors[0]?.code).toBe('INVALID_CREDENTIALS');
  });

  it('slows brute force per account and address: after 10 failures even the right password from that address waits', async () => {
    const user = await signUpUser(anonymous, 'target');
    for (let i = 0; i < 10; i++) {
      const r = await anonymous.mutate(LOG_IN, { input: { email: user.email, password: `guess number ${i}` } });
      expect(r.errors).toEqual([]);
    }
    const blocked = await anonymous.mutate(LOG_IN, { input: { email: user.email, password: 'correct horse battery' } });
    expect(codes(blocked)).toEqual(['TOO_MANY_ATTEMPTS']);
    expect(blocked.errors[0]?.message).toMatch(/try again in \d+ s/);
    expect(Number(blocked.errors[0]?.extensions?.retryAfterSeconds)).toBeGreaterThan(0);
  });

  it('logOut revokes the session: the token no longer signs in', async () => {
    const user = await signUpUser(anonymous, 'leaver');
    const out = await user.client.mutate<{ logOut: { revoked: boolean } }>(LOG_OUT);
    expect(out.data?.logOut.revoked).toBe(true);
    const viewer = await user.client.query<{ viewer: null }>(VIEWER);
    expect(viewer.data?.viewer).toBeNull();
    const create = await user.client.mutate(CREATE_WORKSPACE, { input: { slug: 'after-logout', name: 'x' } });
    expect(codes(create)).toEqual(['UNAUTHENTICATED']);
  });

  it("records a token's last use, at most once a minute, without making each request a write", async () => {
    const user = await signUpUser(anonymous, 'last-used');
    const lastUsed = async () =>
      (
        await api.db.pools.owner.query<{ at: Date | null; xmin: string }>(
          'SELECT last_used_at AS at, xmin::text FROM auth_tokens WHERE user_id = (SELECT id FROM users WHERE email = $1)',
          [user.email],
        )
      ).rows[0];
    await api.db.pools.owner.query(
      'UPDATE auth_tokens SET last_used_at = NULL WHERE user_id = (SELECT id FROM users WHERE email = $1)',
      [user.email],
    );
    expect((await user.client.query<{ viewer: { email: string } }>(VIEWER)).data?.viewer?.email).toBe(user.email);
    const first = await lastUsed();
    expect(first?.at).toBeInstanceOf(Date);
    // Used again within the minute: the row is not written again (same value, same row version).
    expect((await user.client.query<{ viewer: { email: string } }>(VIEWER)).data?.viewer?.email).toBe(user.email);
    expect(await lastUsed()).toEqual(first);
    // Once the last use is older than a minute, the next request moves it.
    await api.db.pools.owner.query(
      "UPDATE auth_tokens SET last_used_at = now() - interval '2 minutes' WHERE user_id = (SELECT id FROM users WHERE email = $1)",
      [user.email],
    );
    const before = Date.now();
    await user.client.query(VIEWER);
    expect((await lastUsed())?.at?.getTime()).toBeGreaterThan(before - 5_000);
  });

  it('API tokens: shown once, bound to their workspace, expire, and are revocable', async () => {
    const user = await signUpUser(anonymous, 'tokens');
    const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: 'tokens-ws', name: 'Tokens' },
    });
    const workspaceId = ws.data?.createWorkspace.workspace.id;
    const created = await user.client.mutate<{
      createApiToken: { token: string; apiToken: { id: string; name: string } };
    }>(CREATE_API_TOKEN, { input: { workspaceId, name: 'ci' } });
    const token = created.data?.createApiToken.token ?? '';
    expect(token).toMatch(/^wft_/);
    const apiClient = user.client.withToken(token);
    const viewer = await apiClient.query<{ viewer: { memberships: { workspace: { id: string } }[] } }>(VIEWER);
    expect(viewer.data?.viewer.memberships.map((m) => m.workspace.id)).toEqual([workspaceId]);
    // Bound to its workspace: it cannot act elsewhere, not even create a workspace's token elsewhere.
    const other = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: 'tokens-other', name: 'Other' },
    });
    const elsewhere = await apiClient.mutate(CREATE_API_TOKEN, {
      input: { workspaceId: other.data?.createWorkspace.workspace.id, name: 'x' },
    });
    expect(codes(elsewhere)).toEqual(['NOT_FOUND']);
    const newWorkspace = await apiClient.mutate(CREATE_WORKSPACE, { input: { slug: 'by-token', name: 'x' } });
    expect(codes(newWorkspace)).toEqual(['FORBIDDEN']);

    // Expiry: a token past its expiry is the same as no token.
    await api.db.pools.owner.query(
      "UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'api'",
    );
    expect((await apiClient.query<{ viewer: null }>(VIEWER)).data?.viewer).toBeNull();
    await api.db.pools.owner.query("UPDATE auth_tokens SET expires_at = now() + interval '1 day' WHERE kind = 'api'");
    expect((await apiClient.query<{ viewer: { email: string } }>(VIEWER)).data?.viewer?.email).toBe(user.email);

    const revoked = await user.client.mutate<{ revokeToken: { revoked: boolean } }>(REVOKE_TOKEN, {
      input: { tokenId: created.data?.createApiToken.apiToken.id },
    });
    expect(revoked.data?.revokeToken.revoked).toBe(true);
    expect((await apiClient.query<{ viewer: null }>(VIEWER)).data?.viewer).toBeNull();
  });
});

describe('brute force from one address', () => {
  it('slows an address spraying many accounts, with its own higher budget', async () => {
    const api2 = await startTestApi();
    try {
      const client = new TestClient(api2.url);
      const victim = await signUpUser(client, 'sprayed');
      // As if 99 log-ins had failed from this address, each for another email (no email's budget is
      // reached); the 100th, for yet another email, uses up the address's budget.
      await api2.db.pools.owner.query(
        `INSERT INTO login_attempts (account_key, address, failures) VALUES ('*', '127.0.0.1', 99)
         ON CONFLICT (account_key, address) DO UPDATE SET failures = 99`,
      );
      const hundredth = await client.mutate(LOG_IN, { input: { email: 'sprayed@example.com', password: 'x' } });
      expect(hundredth.errors).toEqual([]);
      const blocked = await client.mutate(LOG_IN, {
        input: { email: victim.email, password: 'correct horse battery' },
      });
      expect(codes(blocked)).toEqual(['TOO_MANY_ATTEMPTS']);
    } finally {
      await api2.close();
    }
  });
});
