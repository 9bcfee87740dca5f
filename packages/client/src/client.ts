import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { ClientErrorCode, GraphQLRequestError, NetworkError, type UserErrorInfo, UserInputError } from './errors.ts';
import { type FollowOptions, followExecution } from './follow.ts';
import type { EventFieldsFragment } from './generated/operations.ts';

export interface WeftClientOptions {
  /** The server's base URL, e.g. `http://localhost:4000` (`/graphql` is added). */
  url: string;
  /** A session or API token; sent as `Authorization: Bearer`. */
  token?: string | undefined;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A typed client of the Weft GraphQL API: queries and mutations over HTTP, live events over graphql-ws. */
export class WeftClient {
  readonly url: string;
  readonly token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: WeftClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The same server with another token (e.g. after logging in). */
  withToken(token: string): WeftClient {
    return new WeftClient({ url: this.url, token, fetch: this.#fetch });
  }

  /** Runs one operation; GraphQL errors become a `GraphQLRequestError` with the first error's code. */
  async request<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    ...[variables]: TVariables extends Record<string, never> ? [] | [TVariables] : [TVariables]
  ): Promise<TData> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
        },
        body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
      });
    } catch (cause) {
      throw new NetworkError(`cannot reach ${this.url}: ${(cause as Error).message}`, { cause });
    }
    let body: GraphQLResponse<TData>;
    try {
      body = (await response.json()) as GraphQLResponse<TData>;
    } catch (cause) {
      throw new NetworkError(`${this.url} answered HTTP ${response.status} without GraphQL`, {
        cause,
        status: response.status,
      });
    }
    const errors = body.errors ?? [];
    const first = errors[0];
    if (first !== undefined) {
      const code = typeof first.extensions?.code === 'string' ? first.extensions.code : ClientErrorCode.GRAPHQL;
      throw new GraphQLRequestError(code, first.message, errors);
    }
    if (body.data === undefined || body.data === null) {
      throw new NetworkError(`${this.url} answered HTTP ${response.status} without data`, { status: response.status });
    }
    return body.data;
  }

  /**
   * Runs a mutation and returns its payload, picked by `field`; throws `UserInputError` when the
   * payload carries `userErrors`.
   */
  async mutate<TData, TVariables extends Record<string, unknown>, K extends keyof TData>(
    document: TypedDocumentNode<TData, TVariables>,
    field: K,
    variables: TVariables,
  ): Promise<NonNullable<TData[K]>> {
    const data = await (this.request as (d: typeof document, v: TVariables) => Promise<TData>)(document, variables);
    const payload = data[field] as (TData[K] & { userErrors?: readonly UserErrorInfo[] }) | null | undefined;
    if (payload === null || payload === undefined)
      throw new GraphQLRequestError(ClientErrorCode.GRAPHQL, `no ${String(field)}`, []);
    if (payload.userErrors !== undefined && payload.userErrors.length > 0) throw new UserInputError(payload.userErrors);
    return payload as NonNullable<TData[K]>;
  }

  /**
   * An execution's events in order, from `afterSeq` (default: from the start), ending after its
   * terminal event. A dropped connection is reopened and resumes after the last event seen.
   */
  follow(executionId: string, options: FollowOptions = {}): AsyncIterableIterator<EventFieldsFragment> {
    return followExecution({ url: this.url, token: this.token }, executionId, options);
  }
}
