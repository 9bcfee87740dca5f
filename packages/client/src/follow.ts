import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ClientErrorCode, GraphQLRequestError, NetworkError } from './errors.ts';
import {
  type EventFieldsFragment,
  ExecutionEventsLiveDocument,
  type ExecutionEventsLiveSubscription,
} from './generated/operations.ts';

/** The event types after which an execution has nothing more to say. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'execution.succeeded',
  'execution.failed',
  'execution.cancelled',
  'execution.rolled_back',
]);

export interface FollowOptions {
  /** Start after this sequence number (events with a greater `seq` are yielded). */
  afterSeq?: number;
  /** How many times in a row a dropped connection is reopened before giving up (default 8). */
  maxReconnects?: number;
  /** Called before each reconnection, with the `seq` it resumes after. */
  onReconnect?: (afterSeq: number, attempt: number) => void;
}

/** WebSocket close codes with which the server refuses rather than drops: reconnecting would not help. */
const REFUSALS = new Set([4400, 4401, 4403, 4404, 4429, 4500]);

function wsUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}/graphql`;
}

function closeCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return undefined;
}

/**
 * graphql-ws reconnects on its own but would resubscribe with the variables it started with and
 * replay every event again; here each connection subscribes afresh with `afterSeq` set to the last
 * event delivered, so a consumer sees each event once, in order.
 */
export async function* followExecution(
  server: { url: string; token: string | undefined },
  executionId: string,
  options: FollowOptions = {},
): AsyncIterableIterator<EventFieldsFragment> {
  let last = options.afterSeq ?? 0;
  const maxReconnects = options.maxReconnects ?? 8;
  let failures = 0;
  for (;;) {
    const client: Client = createClient({
      url: wsUrl(server.url),
      webSocketImpl: WebSocket,
      connectionParams: server.token === undefined ? {} : { authorization: `Bearer ${server.token}` },
      retryAttempts: 0,
      lazy: true,
    });
    try {
      const results = client.iterate<ExecutionEventsLiveSubscription>({
        query: print(ExecutionEventsLiveDocument),
        variables: { executionId, afterSeq: last },
      });
      for await (const result of results) {
        const first = result.errors?.[0];
        if (first !== undefined) {
          const code = typeof first.extensions?.code === 'string' ? first.extensions.code : ClientErrorCode.GRAPHQL;
          throw new GraphQLRequestError(code, first.message, result.errors ?? []);
        }
        const event = result.data?.executionEvents;
        if (event === undefined || event.seq <= last) continue;
        last = event.seq;
        failures = 0;
        yield event;
        if (TERMINAL_EVENT_TYPES.has(event.type)) return;
      }
      // The server completed the subscription without a terminal event (e.g. it is shutting down).
    } catch (error) {
      if (error instanceof GraphQLRequestError) throw error;
      const code = closeCode(error);
      if (code !== undefined && REFUSALS.has(code)) {
        throw new NetworkError(`the server closed the event stream (${code})`, { cause: error });
      }
    } finally {
      await client.dispose();
    }
    failures += 1;
    if (failures > maxReconnects) {
      throw new NetworkError(`lost the event stream of ${executionId} after ${maxReconnects} reconnections`);
    }
    options.onReconnect?.(last, failures);
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** (failures - 1))));
  }
}
