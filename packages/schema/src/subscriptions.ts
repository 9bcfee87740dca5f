import type { ExecutionEvent, ExecutionStatusChange } from '@weft/engine';
import type { GraphQLError } from 'graphql';
import { type Action, abilityFor, SUBSCRIPTION_PERMISSIONS, type Subject } from './abilities.ts';
import { isTokenActive } from './auth/tokens.ts';
import { canIn } from './authorize.ts';
import { builder } from './builder.ts';
import { inTenant, lookupRole, type SchemaContext } from './context.ts';
import { forbidden, notFound, unauthenticated } from './errors.ts';
import { parseId, parseTenantId } from './ids.ts';
import { COLUMNS, type ExecutionRow, toRow } from './rows.ts';
import { ExecutionEventRef } from './types/execution.ts';
import { ExecutionRef } from './types/refs.ts';

/** Default interval of the access re-check of running subscriptions. */
export const SUBSCRIPTION_RECHECK_MS = 1000;

/** The last item of a stream whose viewer lost access: `resolve` turns it into the error. */
interface AccessLost {
  accessLost: GraphQLError;
}

function isAccessLost(item: object): item is AccessLost {
  return 'accessLost' in item;
}

/**
 * Recent answers of `lostAccess`, per schema instance. A thousand streams of one viewer re-check
 * on the same tick; without sharing, each tick costs two queries per stream and the pool queues
 * event delivery behind them. An answer is reused for half a re-check interval, so a revoked
 * token still ends every stream within about one interval.
 */
const recentChecks = new WeakMap<
  SchemaContext['options'],
  Map<string, { at: number; answer: Promise<GraphQLError | null> }>
>();

function sharedLostAccess(
  ctx: SchemaContext,
  workspaceId: string,
  permission: readonly [Action, Subject],
): Promise<GraphQLError | null> {
  let cache = recentChecks.get(ctx.options);
  if (cache === undefined) {
    cache = new Map();
    recentChecks.set(ctx.options, cache);
  }
  const ttl = (ctx.options.subscriptionRecheckMs ?? SUBSCRIPTION_RECHECK_MS) / 2;
  const key = `${ctx.viewer?.tokenId ?? '-'}:${workspaceId}:${permission.join(':')}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit !== undefined && now - hit.at < ttl) return hit.answer;
  for (const [k, v] of cache) if (now - v.at >= ttl) cache.delete(k);
  const answer = lostAccess(ctx, workspaceId, permission);
  cache.set(key, { at: now, answer });
  // A failed check is not remembered: the next tick asks the database again.
  answer.catch(() => cache.delete(key));
  return answer;
}

/** Why the viewer may no longer receive this stream (token revoked or expired, role changed), if so. */
async function lostAccess(
  ctx: SchemaContext,
  workspaceId: string,
  [action, subject]: readonly [Action, Subject],
): Promise<GraphQLError | null> {
  const viewer = ctx.viewer;
  if (viewer === null || !(await isTokenActive(ctx.options.pools.app, viewer.tokenId))) return unauthenticated();
  const role = await lookupRole(ctx.options.pools.app, viewer.userId, workspaceId);
  if (role === null || !abilityFor(role).can(action, subject)) {
    return forbidden('You no longer have access to this workspace.');
  }
  return null;
}

/**
 * Streams a source while the viewer keeps access. Authorization at subscribe time is not enough
 * for streams that last days: the token and the role are asked again on an interval, and once
 * either is gone the source is aborted and the stream ends with the error as its last item.
 *
 * A hand-written iterator rather than an async generator: a generator's `return()` waits behind
 * its pending `next()`, so a client leaving a quiet stream would leave the source and the re-check
 * running until the next event. Here `return()` aborts at once, which also ends the pending read.
 */
function whileAllowed<T extends object>(
  ctx: SchemaContext,
  workspaceId: string,
  permission: readonly [Action, Subject],
  open: (signal: AbortSignal) => AsyncIterable<T>,
): AsyncIterableIterator<T | AccessLost> {
  const controller = new AbortController();
  const source = open(controller.signal)[Symbol.asyncIterator]();
  const state: { lost: GraphQLError | null; told: boolean; checking: boolean } = {
    lost: null,
    told: false,
    checking: false,
  };
  const timer = setInterval(() => {
    if (state.checking) return;
    state.checking = true;
    sharedLostAccess(ctx, workspaceId, permission)
      .then(
        (error) => {
          if (error === null || controller.signal.aborted) return;
          state.lost = error;
          controller.abort();
        },
        // A failed check (database hiccup) decides nothing; the next tick asks again.
        (err: unknown) => ctx.options.logger.warn({ err }, 'subscription access re-check failed'),
      )
      .finally(() => {
        state.checking = false;
      });
  }, ctx.options.subscriptionRecheckMs ?? SUBSCRIPTION_RECHECK_MS);
  const stop = () => {
    clearInterval(timer);
    controller.abort();
  };
  const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
  const settle = (item: IteratorResult<T>): IteratorResult<T | AccessLost> => {
    // Whatever the source had in hand when access was lost is not delivered.
    if (state.lost !== null) {
      if (state.told) return finished;
      state.told = true;
      stop();
      return { done: false, value: { accessLost: state.lost } };
    }
    if (item.done === true || controller.signal.aborted) {
      stop();
      return finished;
    }
    return item;
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    // Plain promise chains, not async functions: one hop per event (a thousand streams add up).
    next(): Promise<IteratorResult<T | AccessLost>> {
      if (controller.signal.aborted) return Promise.resolve(settle(finished));
      return source.next().then(settle, (error: unknown) => {
        stop();
        throw error;
      });
    },
    async return(): Promise<IteratorResult<T | AccessLost>> {
      stop();
      // The source ends on its own once aborted; its cleanup need not hold up the client.
      void source.return?.()?.catch(() => {});
      return finished;
    },
  };
}

async function freshExecution(ctx: SchemaContext, workspaceId: string, executionId: string): Promise<ExecutionRow> {
  // Not through the request's dataloader: a subscription's context lives as long as the socket.
  const { rows } = await inTenant(ctx, workspaceId, (client) =>
    client.query(`SELECT ${COLUMNS.execution} FROM executions WHERE id = $1`, [executionId]),
  );
  const row = rows[0];
  if (row === undefined) throw notFound();
  return toRow<ExecutionRow>(row);
}

builder.subscriptionFields((t) => ({
  workspaceExecutions: t.field({
    type: ExecutionRef,
    description: 'Every status change of the workspace’s executions.',
    args: { workspaceId: t.arg.id({ required: true }) },
    authScopes: canIn(SUBSCRIPTION_PERMISSIONS.workspaceExecutions, (args: { workspaceId: string }) =>
      parseId(args.workspaceId, 'Workspace'),
    ),
    subscribe: (_root, args, ctx) => {
      const workspaceId = parseId(String(args.workspaceId), 'Workspace');
      const feed = ctx.options.feed;
      return whileAllowed(ctx, workspaceId, SUBSCRIPTION_PERMISSIONS.workspaceExecutions, (signal) =>
        feed.workspaceExecutions(workspaceId, signal),
      );
    },
    resolve: (item: ExecutionStatusChange | AccessLost, _args, ctx) => {
      if (isAccessLost(item)) throw item.accessLost;
      return freshExecution(ctx, item.workspaceId, item.executionId);
    },
  }),
  executionEvents: t.field({
    type: ExecutionEventRef,
    description: 'Replays the events after `afterSeq`, then follows live ones.',
    args: { executionId: t.arg.id({ required: true }), afterSeq: t.arg.int({ required: false }) },
    authScopes: canIn(
      SUBSCRIPTION_PERMISSIONS.executionEvents,
      (args: { executionId: string }) => parseTenantId(args.executionId, 'Execution').workspaceId,
    ),
    subscribe: async (_root, args, ctx) => {
      const { workspaceId, id } = parseTenantId(String(args.executionId), 'Execution');
      await freshExecution(ctx, workspaceId, id);
      const feed = ctx.options.feed;
      return whileAllowed(ctx, workspaceId, SUBSCRIPTION_PERMISSIONS.executionEvents, (signal) =>
        feed.executionEvents(workspaceId, id, args.afterSeq ?? 0, signal),
      );
    },
    resolve: (item: ExecutionEvent | AccessLost) => {
      if (isAccessLost(item)) throw item.accessLost;
      return item;
    },
  }),
}));
