import { describe, expect, it } from 'vitest';
import { eventMatches } from './match.ts';

describe('eventMatches', () => {
  it('matches every event of the name without a match', () => {
    expect(eventMatches(null, { a: 1 })).toBe(true);
    expect(eventMatches(undefined, null)).toBe(true);
    expect(eventMatches({}, 'anything')).toBe(true);
  });

  it('needs every field of match present with an equal value', () => {
    const match = { orderId: 'o-1', customer: { tier: 'gold', tags: ['a', 'b'] } };
    expect(eventMatches(match, { orderId: 'o-1', extra: 1, customer: { tags: ['a', 'b'], tier: 'gold' } })).toBe(true);
    expect(eventMatches(match, { orderId: 'o-2', customer: { tier: 'gold', tags: ['a', 'b'] } })).toBe(false);
    // Equality, not containment: a nested object with more fields is a different value.
    expect(eventMatches(match, { orderId: 'o-1', customer: { tier: 'gold', tags: ['a', 'b'], x: 1 } })).toBe(false);
    expect(eventMatches(match, { orderId: 'o-1' })).toBe(false);
    expect(eventMatches({ n: 1 }, { n: '1' })).toBe(false);
    expect(eventMatches({ n: null }, {})).toBe(false);
    expect(eventMatches({ n: null }, { n: null })).toBe(true);
    expect(eventMatches({ n: 1 }, [1])).toBe(false);
  });
});
