import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { type BootDeps, boot, createLogger, loadConfig, type Running } from '@weft/api';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef-0123456789';

export interface TestApi {
  db: TestDatabase;
  running: Running;
  url: string;
  close(): Promise<void>;
}

/** A real API (in this process, on a free port) over a fresh database of its own. */
export async function startTestApi(
  options: {
    env?: Record<string, string>;
    deps?: BootDeps;
    database?: TestDatabase;
    logger?: ReturnType<typeof createLogger>;
  } = {},
): Promise<TestApi> {
  // A given database is shared with another API (as several processes share one) and not dropped here.
  const db = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: db.ownerUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    SECRET_KEY: TEST_SECRET_KEY,
    WORKERS: '0',
    ...options.env,
  });
  const logger = options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const running = await boot(config, logger, options.deps);
  return {
    db,
    running,
    url: running.url,
    async close() {
      await running.stop();
      if (options.database === undefined) await db.drop();
    },
  };
}

export interface GraphqlResult<T> {
  data: T | undefined;
  errors: readonly GraphQLFormattedError[];
}

/** An Apollo Client as a user's app would use it, optionally signed in with a bearer token. */
export class TestClient {
  readonly apollo: ApolloClient;
  constructor(
    readonly url: string,
    readonly token?: string,
    headers: Record<string, string> = {},
  ) {
    this.apollo = new ApolloClient({
      link: new HttpLink({
        uri: `${url}/graphql`,
        headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
      }),
      cache: new InMemoryCache(),
    });
  }

  withToken(token: string): TestClient {
    return new TestClient(this.url, token);
  }

  async query<T = Record<string, unknown>>(
    query: DocumentNode,
    variables?: Record<string, unknown>,
  ): Promise<GraphqlResult<T>> {
    const result = await this.apollo.query<T>({ query, variables, fetchPolicy: 'no-cache', errorPolicy: 'all' });
    return { data: plain((result.data ?? undefined) as T | undefined), errors: errorsOf(result.error) };
  }

  async mutate<T = Record<string, unknown>>(
    mutation: DocumentNode,
    variables?: Record<string, unknown>,
  ): Promise<GraphqlResult<T>> {
    const result = await this.apollo.mutate<T>({ mutation, variables, fetchPolicy: 'no-cache', errorPolicy: 'all' });
    return { data: plain((result.data ?? undefined) as T | undefined), errors: errorsOf(result.error) };
  }
}

/** Drops the `__typename` Apollo adds to every selection, so results compare with plain objects. */
function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== '__typename')
        .map(([k, v]) => [k, plain(v)]),
    ) as T;
  }
  return value;
}

function errorsOf(error: unknown): readonly GraphQLFormattedError[] {
  if (error === undefined || error === null) return [];
  if (CombinedGraphQLErrors.is(error)) return error.errors;
  throw error;
}

/** The `extensions.code` of each error, in order. */
export function codes(result: { errors: readonly GraphQLFormattedError[] }): unknown[] {
  return result.errors.map((e) => e.extensions?.code);
}
