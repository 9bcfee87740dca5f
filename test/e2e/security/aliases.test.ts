// Aliases must not multiply what a rate budget buys: every root field of a mutation runs as a
// mutation of its own (a password hash for signUp, a run for startExecution), so each counts as
// one operation against the per-user (or per-address, signed out) and per-workspace budgets.
import { postGraphqlFrom, startTestApi, type TestApi } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PER_USER = 5;
const PASSWORD = 'correct horse battery';

let api: TestApi;

interface Answer {
  data?: Record<string, { token: string | null } | null> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A signed-out request from its own loopback address, so each test has an address budget of its own. */
const anonymous = (localAddress: string, query: string) => postGraphqlFrom<Answer>(api.url, localAddress, query);

/** One mutation signing up `count` accounts through aliases. */
function signUps(prefix: string, count: number): string {
  const fields = Array.from(
    { length: count },
    (_, i) => `a${i}: signUp(input: { email: "${prefix}${i}@example.com", password: "${PASSWORD}" }) { token }`,
  );
  return `mutation { ${fields.join(' ')} }`;
}

async function accounts(prefix: string): Promise<number> {
  const { rows } = await api.db.pools.owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM users WHERE email LIKE $1',
    [`${prefix}%`],
  );
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  api = await startTestApi({ env: { RATE_LIMIT_PER_MINUTE: String(PER_USER) } });
});
afterAll(() => api?.close());

describe('aliased mutations and the rate budget', () => {
  it('refuses one operation aliasing more sign-ups than the budget, creating no account', async () => {
    const answer = await anonymous('127.0.0.2', signUps('burst', PER_USER + 1));
    expect(answer.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(answer.data ?? null).toBeNull();
    expect(await accounts('burst')).toBe(0);
  });

  it('charges each aliased sign-up, so the address budget runs out after that many accounts', async () => {
    // Budgets count in fixed one-minute windows: start well inside one, so all three requests share it.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
    const from = '127.0.0.3';
    const two = await anonymous(from, signUps('fits', 2));
    expect(two.errors ?? []).toEqual([]);
    expect(two.data?.a0?.token).toEqual(expect.any(String));
    expect(two.data?.a1?.token).toEqual(expect.any(String));
    const three = await anonymous(from, signUps('more', 3));
    expect(three.errors ?? []).toEqual([]);
    // 2 + 3 = the budget of 5: one more sign-up, even alone, is over it.
    const over = await anonymous(from, signUps('over', 1));
    expect(over.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(await accounts('over')).toBe(0);
  }, 30_000);
});
