import { describe, expect, it } from 'vitest';
import { describeType, schemaRows } from './schema-rows.ts';

describe('tool schemas as rows', () => {
  it('lists nested fields under their parent with type, required and description', () => {
    const rows = schemaRows({
      type: 'object',
      required: ['to'],
      properties: {
        to: { type: 'string', format: 'email', description: 'Who receives it' },
        retry: {
          type: 'object',
          properties: { times: { type: 'integer', minimum: 1, maximum: 5 } },
        },
        tags: { type: 'array', items: { enum: ['a', 'b'] } },
      },
    });
    expect(rows).toEqual([
      { path: 'to', depth: 0, type: 'string (email)', required: true, description: 'Who receives it' },
      { path: 'retry', depth: 0, type: 'object', required: false, description: '' },
      { path: 'retry.times', depth: 1, type: 'integer ≥ 1 ≤ 5', required: false, description: '' },
      { path: 'tags', depth: 0, type: 'array of one of "a", "b"', required: false, description: '' },
    ]);
  });

  it('describes unions and constants, and a schema without a type as any', () => {
    expect(describeType({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toBe('string or null');
    expect(describeType({ const: 'v1' })).toBe('exactly "v1"');
    expect(describeType({})).toBe('any');
  });

  it('stops at depth 4, so a deep schema cannot blow up the page', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 10; i++) deep = { type: 'object', properties: { n: deep } };
    expect(schemaRows(deep).map((r) => r.path)).toEqual(['n', 'n.n', 'n.n.n', 'n.n.n.n', 'n.n.n.n.n']);
  });
});
