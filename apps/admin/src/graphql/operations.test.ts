/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { buildSchema, type DocumentNode, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as operations from './operations.ts';

// The committed, generated schema the API serves: the console must only ask for what it has.
const schema = buildSchema(
  readFileSync(new URL('../../../../packages/schema/schema.graphql', import.meta.url), 'utf8'),
);

function isDocument(value: unknown): value is DocumentNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Document';
}

const documents = Object.entries(operations);

describe('admin console operations', () => {
  it('exports only GraphQL documents, each with one named operation', () => {
    expect(documents.length).toBeGreaterThan(10);
    for (const [name, value] of documents) {
      expect(isDocument(value), name).toBe(true);
      if (!isDocument(value)) continue;
      const ops = value.definitions.filter((d) => d.kind === 'OperationDefinition');
      expect(
        ops.map((op) => op.name?.value !== undefined),
        name,
      ).toEqual([true]);
    }
  });

  it.each(documents)('%s is valid against schema.graphql', (_name, document) => {
    if (!isDocument(document)) throw new Error('not a document');
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });

  it('the check rejects a field the schema does not have', () => {
    const wrong = parse('query { viewer { id xyzzy } }');
    expect(validate(schema, wrong).map((e) => e.message)).toEqual(['Cannot query field "xyzzy" on type "User".']);
  });
});
