import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { memoryRateLimiter } from '../rate-limiter.ts';
import { checkRateLimit, operationCost } from './use-rate-limit.ts';

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
