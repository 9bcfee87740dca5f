// Attacks on accounts and tokens, against a running server over real HTTP with real PostgreSQL:
// email enumeration, lockout as a denial of service, racing the log-in throttle, API tokens
// minting tokens, over-long tokens, and revocation that must take effect at once.
import { gql } from '@apollo/client';
import { appDatabaseUrl } from '@weft/db';
import {
  codes,
  postGraphqlFrom,
  signUpUser,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_MEMBER,
  CREATE_API_TOKEN,
  CREATE_WORKSPACE,
  LOG_IN,
  REVOKE_TOKEN,
  SIGN_UP,
  VIEWER,
} from '../graphql/operations.ts';

const PASSWORD = 'correct horse battery';

const VIEWER_TOKENS = gql`
  query ViewerTokens {
    viewer { id tokens { id name kind createdAt expiresAt lastUsedAt workspace { id } } }
  }
`;
const REVOKE_ALL = gql`
  mutation RevokeAll($input: RevokeAllTokensInput) {
    revokeAllTokens(input: $input) { revokedCount userErrors { code } }
  }
`;

interface RawResult {
  data?: {
    logIn?: { token: string | null; userErrors: { code: string }[] };
  } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const postFrom = (localAddress: string, query: string, variables: Record<string, unknown>) =>
  postGraphqlFrom<RawResult>(api.url, localAddress, query, variables);

const logInFrom = (address: string, email: string, password: string) =>
  postFrom(address, print(LOG_IN), { input: { email, password } });

async function healthyWithinASecond(): Promise<void> {
  const res = await fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(1000) });
  expect(res.status).toBe(200);
}

let api: TestApi;
let anonymous: TestClient;

const owner = () => api.db.pools.owner;
const count = async (sql: string, params: unknown[] = []) =>
  (await owner().query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params)).rows[0]?.n;
const auditCount = (action: string) => count('SELECT 1 FROM audit_log WHERE action = $1', [action]);

async function workspaceOf(user: TestUser, slug: string): Promise<string> {
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  const id = ws.data?.createWorkspace.workspace.id;
  if (id === undefined) throw new Error(`no workspace: ${JSON.stringify(ws)}`);
  return id;
}

async function apiToken(user: TestUser, workspaceId: string, name: string): Promise<{ id: string; token: string }> {
  const created = await user.client.mutate<{ createApiToken: { token: string; apiToken: { id: string } } }>(
    CREATE_API_TOKEN,
    { input: { workspaceId, name } },
  );
  const payload = created.data?.createApiToken;
  if (!payload?.token) throw new Error(`no token: ${JSON.stringify(created)}`);
  return { id: payload.apiToken.id, token: payload.token };
}

async function signedIn(client: TestClient): Promise<boolean> {
  const viewer = await client.query<{ viewer: { id: string } | null }>(VIEWER);
  return viewer.data?.viewer !== null && viewer.data?.viewer !== undefined;
}

beforeAll(async () => {
  api = await startTestApi();
  anonymous = new TestClient(api.url);
});
afterAll(() => api?.close());

describe('email enumeration', () => {
  it('addMember answers the same for an address with an account and one without', async () => {
    const admin = await signUpUser(anonymous, 'enum-admin');
    const known = await signUpUser(anonymous, 'enum-known');
    const workspaceId = await workspaceOf(admin, 'enum-members');
    const add = (email: string) =>
      admin.client.mutate<{ addMember: { membership: { role: string; user: { email: string } }; userErrors: [] } }>(
        ADD_MEMBER,
        { input: { workspaceId, email, role: 'MEMBER' } },
      );
    const unknownEmail = 'nobody-here@example.com';
    const forKnown = await add(known.email);
    const forUnknown = await add(unknownEmail);
    const shape = (r: typeof forKnown, email: string) =>
      JSON.stringify(r)
        .replaceAll(email, '<email>')
        .replace(/"id":"[^"]*"/g, '"id":"<id>"');
    expect(shape(forUnknown, unknownEmail)).toBe(shape(forKnown, known.email));
    expect(forUnknown.data?.addMember.userErrors).toEqual([]);

    // The invited address has no password: nobody can log in as it, and the answer is the usual one.
    const asInvited = await anonymous.mutate<{ logIn: unknown }>(LOG_IN, {
      input: { email: unknownEmail, password: PASSWORD },
    });
    const asNobody = await anonymous.mutate<{ logIn: unknown }>(LOG_IN, {
      input: { email: 'never-invited@example.com', password: PASSWORD },
    });
    expect(asInvited).toEqual(asNobody);
    expect(asInvited.errors).toEqual([]);

    // Signing up with the invited address completes that account, already a member.
    const joined = await anonymous.mutate<{ signUp: { token: string } }>(SIGN_UP, {
      input: { email: unknownEmail, password: PASSWORD, name: 'Late' },
    });
    const token = joined.data?.signUp.token ?? '';
    expect(token).toMatch(/^wfs_/);
    const viewer = await anonymous
      .withToken(token)
      .query<{ viewer: { memberships: { workspace: { id: string } }[] } }>(VIEWER);
    expect(viewer.data?.viewer.memberships.map((m) => m.workspace.id)).toEqual([workspaceId]);
  });

  it('signUp with a taken email names no account, changes nothing and costs a password hash', async () => {
    const victim = await signUpUser(anonymous, 'enum-victim');
    const other = await signUpUser(anonymous, 'enum-other');
    const users = await count('SELECT 1 FROM users');
    const tokens = await count('SELECT 1 FROM auth_tokens');
    const attempt = (email: string) =>
      anonymous.mutate<{ signUp: { token: null; user: null; userErrors: { code: string; message: string }[] } }>(
        SIGN_UP,
        { input: { email, password: 'attacker password 1', name: 'Mallory' } },
      );
    const first = await attempt(victim.email);
    const second = await attempt(other.email.toUpperCase());
    expect(first).toEqual(second);
    expect(first.data?.signUp.token).toBeNull();
    expect(first.data?.signUp.userErrors[0]?.message).not.toMatch(/exist|registered|already/i);
    expect(await count('SELECT 1 FROM users')).toBe(users);
    expect(await count('SELECT 1 FROM auth_tokens')).toBe(tokens);
    // The account keeps its password and name.
    const logIn = await anonymous.mutate<{ logIn: { token: string; user: { email: string } } }>(LOG_IN, {
      input: { email: victim.email, password: PASSWORD },
    });
    expect(logIn.data?.logIn?.token).toMatch(/^wfs_/);
    const name = await owner().query('SELECT name FROM users WHERE email = $1', [victim.email]);
    expect(name.rows[0]?.name).toBe('enum-victim');
  });
});

describe('log-in backoff per account and address', () => {
  it("an attacker's guesses slow only the attacker's address; the owner logs in from elsewhere", async () => {
    const victim = await signUpUser(anonymous, 'lockout');
    for (let i = 0; i < 10; i++) {
      const r = await logInFrom('127.0.0.2', victim.email, `guess number ${i}`);
      expect(r.data?.logIn?.userErrors[0]?.code).toBe('INVALID_CREDENTIALS');
    }
    // The 11th attempt from the attacker's address waits, even with the right password.
    const blocked = await logInFrom('127.0.0.2', victim.email, PASSWORD);
    expect(blocked.errors?.[0]?.extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    const firstWait = Number(blocked.errors?.[0]?.extensions?.retryAfterSeconds);
    expect(firstWait).toBeGreaterThan(0);
    // A refused attempt is not counted (nor checked): the count stays at the 10 real failures.
    const counted = await owner().query<{ failures: number }>(
      "SELECT failures FROM login_attempts WHERE account_key = $1 AND address = '127.0.0.2'",
      [`email:${victim.email}`],
    );
    expect(counted.rows[0]?.failures).toBe(10);
    await healthyWithinASecond();

    // The owner, from another address, is not locked out.
    const ownerLogIn = await logInFrom('127.0.0.1', victim.email, PASSWORD);
    expect(ownerLogIn.errors).toBeUndefined();
    expect(ownerLogIn.data?.logIn?.token).toMatch(/^wfs_/);

    // Each further failure from the attacker's address doubles the wait (time moved on by hand:
    // the wait that was set is made to have passed).
    const waits: number[] = [firstWait];
    for (let i = 0; i < 3; i++) {
      await owner().query(
        "UPDATE login_attempts SET blocked_until = now() - interval '1 second' WHERE address = '127.0.0.2' AND account_key <> '*'",
      );
      const wrong = await logInFrom('127.0.0.2', victim.email, `later guess ${i}`);
      expect(wrong.data?.logIn?.userErrors[0]?.code).toBe('INVALID_CREDENTIALS');
      const next = await logInFrom('127.0.0.2', victim.email, PASSWORD);
      expect(next.errors?.[0]?.extensions?.code).toBe('TOO_MANY_ATTEMPTS');
      waits.push(Number(next.errors?.[0]?.extensions?.retryAfterSeconds));
    }
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1] ?? 0);
    await healthyWithinASecond();
    // Still, the owner is fine from their own address.
    expect((await logInFrom('127.0.0.1', victim.email, PASSWORD)).data?.logIn?.token).toMatch(/^wfs_/);
  });

  it('counts 20 concurrent wrong log-ins exactly: only the free 10 get a password check', async () => {
    const victim = await signUpUser(anonymous, 'race');
    const pending = Promise.all(
      Array.from({ length: 20 }, (_, i) => logInFrom('127.0.0.3', victim.email, `concurrent guess ${i}`)),
    );
    // The server stays responsive while the guesses are being checked.
    await healthyWithinASecond();
    const results = await pending;
    const outcome = results.map((r) => r.data?.logIn?.userErrors?.[0]?.code ?? r.errors?.[0]?.extensions?.code);
    expect(outcome.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(10);
    expect(outcome.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(10);
    const stored = await owner().query<{ failures: number }>(
      "SELECT failures FROM login_attempts WHERE account_key = $1 AND address = '127.0.0.3'",
      [`email:${victim.email}`],
    );
    expect(stored.rows[0]?.failures).toBe(10);
    await healthyWithinASecond();
  });
});

describe('API tokens', () => {
  let user: TestUser;
  let workspaceId: string;
  beforeAll(async () => {
    user = await signUpUser(anonymous, 'tokens');
    workspaceId = await workspaceOf(user, 'sec-tokens');
  });

  it('an API token cannot create tokens: FORBIDDEN, nothing written, no audit row', async () => {
    const { token } = await apiToken(user, workspaceId, 'ci');
    const tokens = await count('SELECT 1 FROM auth_tokens');
    const audits = await auditCount('apiToken.create');
    const minted = await user.client.withToken(token).mutate(CREATE_API_TOKEN, {
      input: { workspaceId, name: 'escalate', expiresInDays: 365 },
    });
    expect(codes(minted)).toEqual(['FORBIDDEN']);
    expect(await count('SELECT 1 FROM auth_tokens')).toBe(tokens);
    expect(await auditCount('apiToken.create')).toBe(audits);
  });

  it('caps expiry at 365 days with a userError', async () => {
    const tokens = await count('SELECT 1 FROM auth_tokens');
    for (const days of [366, 3650, 0]) {
      const r = await user.client.mutate<{
        createApiToken: { token: null; userErrors: { code: string; field: string[] }[] };
      }>(CREATE_API_TOKEN, { input: { workspaceId, name: 'long', expiresInDays: days } });
      expect(r.data?.createApiToken.token).toBeNull();
      expect(r.data?.createApiToken.userErrors).toMatchObject([{ code: 'INVALID_INPUT', field: ['expiresInDays'] }]);
    }
    expect(await count('SELECT 1 FROM auth_tokens')).toBe(tokens);
    const ok = await user.client.mutate<{ createApiToken: { apiToken: { expiresAt: string } } }>(CREATE_API_TOKEN, {
      input: { workspaceId, name: 'year', expiresInDays: 365 },
    });
    const expires = new Date(ok.data?.createApiToken.apiToken.expiresAt ?? 0).getTime();
    expect(expires - Date.now()).toBeLessThanOrEqual(365 * 86_400_000);
    expect(expires - Date.now()).toBeGreaterThan(364 * 86_400_000);
  });

  it('viewer.tokens lists sessions and API tokens without any secret', async () => {
    const fresh = await signUpUser(anonymous, 'lister');
    const ws = await workspaceOf(fresh, 'sec-lister');
    const made = await apiToken(fresh, ws, 'deploy');
    const listed = await fresh.client.query<{
      viewer: { tokens: { id: string; name: string | null; kind: string; workspace: { id: string } | null }[] };
    }>(VIEWER_TOKENS);
    const tokens = listed.data?.viewer.tokens ?? [];
    expect(tokens.map((t) => [t.kind, t.name, t.workspace?.id ?? null])).toEqual([
      ['api', 'deploy', ws],
      ['session', null, null],
    ]);
    expect(tokens[0]?.id).toBe(made.id);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(made.token);
    expect(text).not.toContain(fresh.token);
    expect(text).not.toMatch(/wf[st]_/);
    // An API token sees itself only.
    const asApi = await fresh.client
      .withToken(made.token)
      .query<{ viewer: { tokens: { id: string }[] } }>(VIEWER_TOKENS);
    expect(asApi.data?.viewer.tokens.map((t) => t.id)).toEqual([made.id]);
  });

  it('revokeToken stops a token at once and is audited in its workspace; others cannot revoke it', async () => {
    const made = await apiToken(user, workspaceId, 'to-revoke');
    const apiClient = user.client.withToken(made.token);
    expect(await signedIn(apiClient)).toBe(true);

    const stranger = await signUpUser(anonymous, 'stranger');
    const audits = await auditCount('apiToken.revoke');
    const foreign = await stranger.client.mutate(REVOKE_TOKEN, { input: { tokenId: made.id } });
    expect(codes(foreign)).toEqual(['NOT_FOUND']);
    expect(await signedIn(apiClient)).toBe(true);
    expect(await auditCount('apiToken.revoke')).toBe(audits);

    const revoked = await user.client.mutate<{ revokeToken: { revoked: boolean } }>(REVOKE_TOKEN, {
      input: { tokenId: made.id },
    });
    expect(revoked.data?.revokeToken.revoked).toBe(true);
    expect(await signedIn(apiClient)).toBe(false);
    expect(await auditCount('apiToken.revoke')).toBe((audits ?? 0) + 1);
  });

  it('revokeAllTokens stops every other token at once; an API token may not call it', async () => {
    const victim = await signUpUser(anonymous, 'leaked');
    const ws = await workspaceOf(victim, 'sec-leaked');
    const first = await apiToken(victim, ws, 'one');
    const second = await apiToken(victim, ws, 'two');
    const logIn = await anonymous.mutate<{ logIn: { token: string } }>(LOG_IN, {
      input: { email: victim.email, password: PASSWORD },
    });
    const otherSession = anonymous.withToken(logIn.data?.logIn.token ?? '');

    // A leaked API token cannot sign its owner out everywhere.
    const byApi = await victim.client.withToken(first.token).mutate(REVOKE_ALL, { input: {} });
    expect(codes(byApi)).toEqual(['FORBIDDEN']);
    expect(await signedIn(otherSession)).toBe(true);
    expect(await auditCount('apiToken.revokeAll')).toBe(0);

    const all = await victim.client.mutate<{ revokeAllTokens: { revokedCount: number } }>(REVOKE_ALL, {
      input: { keepCurrent: true },
    });
    expect(all.data?.revokeAllTokens.revokedCount).toBe(3);
    for (const token of [first.token, second.token]) {
      expect(await signedIn(victim.client.withToken(token))).toBe(false);
    }
    expect(await signedIn(otherSession)).toBe(false);
    expect(await signedIn(victim.client)).toBe(true);
    expect(await auditCount('apiToken.revokeAll')).toBe(1);

    const everything = await victim.client.mutate<{ revokeAllTokens: { revokedCount: number } }>(REVOKE_ALL, {
      input: { keepCurrent: false },
    });
    expect(everything.data?.revokeAllTokens.revokedCount).toBe(1);
    expect(await signedIn(victim.client)).toBe(false);
  });
});

describe('account tables behind functions', () => {
  it('the app role cannot write users, auth_tokens or login_attempts, nor read password hashes', async () => {
    const user = await signUpUser(anonymous, 'functions');
    const app = new pg.Client({ connectionString: appDatabaseUrl(api.db.ownerUrl) });
    await app.connect();
    try {
      for (const sql of [
        "INSERT INTO users (email, password_hash) VALUES ('direct@example.com', 'x')",
        "UPDATE users SET password_hash = 'x'",
        'DELETE FROM users',
        "UPDATE auth_tokens SET expires_at = now() + interval '10 years'",
        'DELETE FROM auth_tokens',
        "INSERT INTO auth_tokens (user_id, kind, token_hash) SELECT id, 'session', '\\x00' FROM users LIMIT 1",
        'DELETE FROM login_attempts',
        'SELECT password_hash FROM users',
      ]) {
        await expect(app.query(sql), sql).rejects.toThrow(/permission denied/);
      }
      // Even through the function, no token may outlive a year.
      const tenYears = 10 * 365 * 86_400_000;
      await expect(
        app.query("SELECT weft_auth.issue_token(id, 'session', NULL, NULL, '\\x01', $1) FROM users WHERE email = $2", [
          tenYears,
          user.email,
        ]),
      ).rejects.toThrow(/auth_tokens_bounded_expiry/);
      // Nor an API token for a workspace the user is not in.
      const foreign = await app.query(
        "SELECT t.* FROM users u, weft_auth.issue_token(u.id, 'api', gen_random_uuid(), 'x', '\\x02', 60000) t WHERE u.email = $1",
        [user.email],
      );
      expect(foreign.rows).toEqual([]);
    } finally {
      await app.end();
    }
  });
});
