import SchemaBuilder from '@pothos/core';
import type { GraphQLSchema } from 'graphql';

/** Builds the product's GraphQL schema. */
export function buildSchema(): GraphQLSchema {
  const builder = new SchemaBuilder({});
  builder.queryType({
    fields: (t) => ({
      apiVersion: t.string({
        description: 'The version of the Weft API serving this request.',
        resolve: () => '0.1.0',
      }),
    }),
  });
  return builder.toSchema();
}
