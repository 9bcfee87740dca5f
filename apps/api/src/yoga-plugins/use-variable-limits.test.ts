import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { limitsFor, variablesRefusal } from './use-variable-limits.ts';

const LIMITS = { maxBytes: 1000, maxStringBytes: 100, largeStringFields: { publishPlugin: 5000 } };

describe('variable limits', () => {
  it('names the variable whose string is over the limit', () => {
    const error = variablesRefusal({ input: { spec: { text: 'x'.repeat(101) } } }, LIMITS);
    expect(error?.extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', path: ['input', 'spec', 'text'] });
    expect(variablesRefusal({ input: { text: 'x'.repeat(100) } }, LIMITS)).toBeNull();
  });

  it('refuses variables over the total limit as a whole', () => {
    const error = variablesRefusal({ a: 'x'.repeat(90), b: Array.from({ length: 20 }, () => 'y'.repeat(90)) }, LIMITS);
    expect(error?.extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', path: [] });
  });

  it('raises the limits only for an operation made of large-text fields alone', () => {
    const publish = parse(
      'mutation($b: String!) { publishPlugin(input: { manifest: {}, bundle: $b }) { __typename } }',
    );
    expect(limitsFor(publish, undefined, LIMITS)).toEqual({ maxBytes: 6000, maxStringBytes: 5000 });
    const mixed = parse(
      'mutation($b: String!, $s: JSON!) { publishPlugin(input: { manifest: {}, bundle: $b }) { __typename } createPlan(input: { workspaceId: "w", name: "n", spec: $s }) { __typename } }',
    );
    expect(limitsFor(mixed, undefined, LIMITS)).toBe(LIMITS);
    const query = parse('query { publishPlugin }');
    expect(limitsFor(query, undefined, LIMITS)).toBe(LIMITS);
  });
});
