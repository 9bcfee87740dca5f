import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';

export { buildSchema } from './build-schema.ts';

/** The committed SDL: sorted so that reordering code never changes the file. */
export function printSchemaSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
