// Drives one yoga plugin in isolation: a small schema, a context the test chooses, and requests
// through `yoga.fetch` (no server, no database), so each plugin's test shows what it alone does.
import type { SchemaContext } from '@weft/schema';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';

export const typeDefs = /* GraphQL */ `
  type Query {
    hello: String
    slow: String
    fails: String
    refused: String
    traceParent: String
  }
  type Subscription {
    ticks: Int
  }
`;

/** What a test's resolvers may do; every field is optional. */
export interface Resolvers {
  slow?: () => Promise<string>;
  fails?: () => unknown;
  refused?: () => unknown;
  ticks?: () => AsyncIterable<unknown>;
  tick?: (event: unknown) => number;
}

/** A context as createContext makes it, with only what the plugins under test read. */
export function contextOf(fields: Partial<SchemaContext>): SchemaContext {
  // Resolvers here read nothing else of the context; building a full one needs the database.
  return { requestId: 'req-1', clientIp: '127.0.0.1', viewer: null, ...fields } as SchemaContext;
}

export function yogaWith(
  plugins: Array<Plugin<SchemaContext> | Plugin>,
  context: SchemaContext = contextOf({}),
  resolvers: Resolvers = {},
) {
  return createYoga<object, SchemaContext>({
    schema: createSchema<SchemaContext>({
      typeDefs,
      resolvers: {
        Query: {
          hello: () => 'world',
          slow: resolvers.slow ?? (() => Promise.resolve('done')),
          fails: resolvers.fails ?? (() => null),
          refused: resolvers.refused ?? (() => null),
          traceParent: (_root: unknown, _args: unknown, ctx: SchemaContext) => ctx.traceParent ?? null,
        },
        Subscription: {
          ticks: {
            subscribe: resolvers.ticks ?? async function* () {},
            resolve: resolvers.tick ?? (() => 1),
          },
        },
      },
    }),
    // A fresh object per request, as createContext makes one: plugins extend it.
    context: () => ({ ...context }),
    plugins,
    logging: false,
    maskedErrors: false,
  });
}

type Yoga = ReturnType<typeof yogaWith>;

export interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** POSTs one operation and answers its JSON result. */
export async function post(
  yoga: Yoga,
  query: string,
  serverContext: Record<string, unknown> = {},
  operationName?: string,
): Promise<Answer> {
  const response = await yoga.fetch(
    'http://yoga/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, operationName }),
    },
    serverContext,
  );
  return (await response.json()) as Answer;
}

/** Runs a subscription over SSE to its end and answers every event's result. */
export async function subscribe(yoga: Yoga, query: string, serverContext: Record<string, unknown> = {}) {
  const response = await yoga.fetch(
    'http://yoga/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query }),
    },
    serverContext,
  );
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line.length > 'data: '.length)
    .map((line) => JSON.parse(line.slice('data: '.length)) as Answer);
}
