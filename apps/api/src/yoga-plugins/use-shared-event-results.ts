import type { SchemaContext } from '@weft/schema';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { directStream } from '../direct-delivery.ts';
import { maskResult } from './use-error-masking.ts';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Results already computed for an event, by subscription. The engine hands the same event object
 * to every subscriber of an execution, so a thousand identical subscriptions compute the result
 * once and the rest is a lookup. Entries go with their event.
 */
const computed = new WeakMap<object, Map<string, Result>>();
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/**
 * What makes two subscriptions' results for one event identical: the same parsed document (yoga
 * caches parsing, so the same text is the same object), operation and variables, seen by the same
 * token. Null when there is no viewer to share with.
 */
function sharingKey(args: ExecutionArgs): string | null {
  const viewer = (args.contextValue as SchemaContext | undefined)?.viewer;
  if (viewer === null || viewer === undefined) return null;
  let id = documentIds.get(args.document);
  if (id === undefined) {
    id = nextDocumentId++;
    documentIds.set(args.document, id);
  }
  return `${id}\u0000${args.operationName ?? ''}\u0000${viewer.tokenId}\u0000${JSON.stringify(args.variableValues ?? {})}`;
}

function resultFor(args: ExecutionArgs, key: string | null, event: unknown): Result {
  // No closure per call: this runs once per subscriber per event, and the server's TypeScript
  // loader names every named closure it creates (a property definition each time).
  if (key === null || typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
  let byKey = computed.get(event);
  if (byKey === undefined) {
    byKey = new Map();
    computed.set(event, byKey);
  }
  const known = byKey.get(key);
  if (known !== undefined) return known;
  const result = execute({ ...args, rootValue: event });
  byKey.set(key, result);
  return result;
}

/** Maps a source stream to results, one awaited step per event (no extra generator layers). */
function mapStream(
  source: AsyncIterator<unknown>,
  toResult: (event: unknown) => Result,
): AsyncIterableIterator<ExecutionResult> {
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    // Plain promise chains, not async functions: one hop per event (a thousand streams add up).
    next() {
      return source.next().then((item): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> => {
        if (item.done === true) return { done: true, value: undefined };
        const result = toResult(item.value);
        return result instanceof Promise
          ? result.then((value) => ({ done: false, value }))
          : { done: false, value: result };
      });
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      if (source.throw) await source.throw(error);
      throw error;
    },
  };
}

/**
 * Subscriptions whose events are shared objects (the engine's events and status changes) execute
 * each event's selection once per distinct subscription instead of once per subscriber. The
 * source stream is still per subscriber (its own replay, its own access re-checks). Over graphql-ws
 * such a subscription's results are written straight to its socket (direct-delivery.ts), masked
 * once per result; elsewhere (SSE) the plugins after this one see every subscriber's results.
 */
export function useSharedEventResults(logger: Logger): Plugin<SchemaContext> {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        const stream = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in stream)) return stream;
        const key = sharingKey(args);
        const source = stream[Symbol.asyncIterator]();
        const toResult = (event: unknown): Result => {
          try {
            return resultFor(args, key, event);
          } catch (error) {
            return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
          }
        };
        const ctx = args.contextValue as SchemaContext;
        const direct =
          key === null ? undefined : directStream(ctx, source, toResult, (result) => maskResult(result, ctx, logger));
        return direct ?? mapStream(source, toResult);
      });
    },
  };
}
