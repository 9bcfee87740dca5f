import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { memoryRateLimiter } from '../rate-limiter.ts';
import { checkRateLimit, operationCost, useRateLimit } from './use-rate-limit.ts';
import { contextOf, post, yogaWith } from './yoga-fetch.test-kit.ts';

const viewer = (userId: string, workspaceId: string | null) => ({
  userId,
  tokenId: `t-${userId}`,
  kind: 'api' as const,
  workspaceId,
});

describe('useRateLimit', () => {
  it('refuses a user past their budget, and not another user', async () => {
    const limiter = memoryRateLimiter();
    const plugin = useRateLimit({ limiter, perUser: 2, perWorkspace: 100, windowMs: 60_000 });
    const alice = yogaWith([plugin], contextOf({ viewer: viewer('alice', null) }));
    expect((await post(alice, '{ hello }')).data).toEqual({ hello: 'world' });
    expect((await post(alice, '{ hello }')).data).toEqual({ hello: 'world' });
    const refused = await post(alice, '{ hello }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'user' });
    const bob = yogaWith([plugin], contextOf({ viewer: viewer('bob', null) }));
    expect((await post(bob, '{ hello }')).data).toEqual({ hello: 'world' });
  });

  it("counts a workspace token's operations against the workspace", async () => {
    const plugin = useRateLimit({ limiter: memoryRateLimiter(), perUser: 100, perWorkspace: 1, windowMs: 60_000 });
    expect((await post(yogaWith([plugin], contextOf({ viewer: viewer('a', 'ws') })), '{ hello }')).data).toEqual({
      hello: 'world',
    });
    const refused = await post(yogaWith([plugin], contextOf({ viewer: viewer('b', 'ws') })), '{ hello }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'workspace' });
  });
});

const options = () => ({ limiter: memoryRateLimiter(), perUser: 2, perWorkspace: 100, windowMs: 60_000 });
const signedOut = (clientIp: string) => ({ viewer: null, clientIp });

describe('checkRateLimit, signed out', () => {
  it('counts an IPv6 client per /64, so a fresh address in the same /64 gets no fresh budget', async () => {
    const o = options();
    expect(await checkRateLimit(o, signedOut('2001:db8:1:2::1'))).toBeNull();
    expect(await checkRateLimit(o, signedOut('2001:db8:1:2::2'))).toBeNull();
    const third = await checkRateLimit(o, signedOut('2001:db8:1:2:ffff:ffff:ffff:fffe'));
    expect(third?.extensions.code).toBe('RATE_LIMITED');
    // Another /64 is another client.
    expect(await checkRateLimit(o, signedOut('2001:db8:1:3::1'))).toBeNull();
  });

  it('counts IPv4 per address, whether or not it arrives IPv4-mapped', async () => {
    const o = options();
    expect(await checkRateLimit(o, signedOut('203.0.113.7'))).toBeNull();
    expect(await checkRateLimit(o, signedOut('::ffff:203.0.113.7'))).toBeNull();
    expect((await checkRateLimit(o, signedOut('203.0.113.7')))?.extensions.code).toBe('RATE_LIMITED');
    expect(await checkRateLimit(o, signedOut('203.0.113.8'))).toBeNull();
  });
});

describe('operationCost', () => {
  it('is one per root field of a mutation, through fragments, and one for a query', () => {
    expect(operationCost(parse('{ a: viewer { id } b: viewer { id } }'))).toBe(1);
    expect(operationCost(parse('mutation { a: logIn(input: $i) { token } b: logIn(input: $i) { token } }'))).toBe(2);
    const withFragments = parse(`mutation M { ...F ... on Mutation { c: signUp(input: $i) { token } } __typename }
      fragment F on Mutation { a: signUp(input: $i) { token } b: signUp(input: $i) { token } }`);
    expect(operationCost(withFragments, 'M')).toBe(3);
  });
});
