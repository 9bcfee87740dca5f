import { addressKey, type SchemaContext } from '@weft/schema';
import { type DocumentNode, getOperationAST, Kind, type SelectionSetNode } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { RateLimiter } from '../rate-limiter.ts';

export interface RateLimitPluginOptions {
  limiter: RateLimiter;
  /** Operations per window for one user (or one client address when signed out). */
  perUser: number;
  /** Operations per window for one workspace (API tokens are bound to one). */
  perWorkspace: number;
  windowMs: number;
}

function rateLimited(scope: string, limit: number, windowMs: number, resetAt: Date) {
  const retryAfterSeconds = Math.max(1, Math.ceil((resetAt.getTime() - Date.now()) / 1000));
  return createGraphQLError(
    `Rate limit exceeded: ${limit} operations per ${windowMs / 1000} s per ${scope}. Try again after ${resetAt.toISOString()}.`,
    { extensions: { code: 'RATE_LIMITED', scope, resetAt: resetAt.toISOString(), retryAfterSeconds } },
  );
}

type MaybePromise<T> = T | Promise<T>;

/** `fn(value)`, after `value` settles only when it is a promise (a synchronous limiter stays synchronous). */
function then<T, R>(value: MaybePromise<T>, fn: (settled: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** Root fields of a selection set, through inline fragments and fragment spreads (each spread once). */
function rootFieldCount(document: DocumentNode, selectionSet: SelectionSetNode, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.name.value.startsWith('__')) count++;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += rootFieldCount(document, selection.selectionSet, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) count += rootFieldCount(document, fragment.selectionSet, seen);
    }
  }
  return count;
}

/**
 * What one operation costs against the budgets: 1, or for a mutation, one per root field. Each
 * root field of a mutation is a mutation of its own (run one after another), so without this
 * aliases (`a: signUp(…) b: signUp(…)`, up to the alias limit) would buy many password hashes,
 * runs or LLM drafts for the price of one operation.
 */
export function operationCost(document: DocumentNode, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName);
  if (operation === null || operation === undefined || operation.operation !== 'mutation') return 1;
  return Math.max(1, rootFieldCount(document, operation.selectionSet, new Set()));
}

/**
 * Counts one operation (its {@link operationCost}) against the user's (or client address's) and the token's workspace budget;
 * the error to answer with when over either, else null. `/admin/graphql` counts against the same
 * budgets through this function, so the two endpoints share one allowance per user.
 */
export function checkRateLimit(
  options: RateLimitPluginOptions,
  ctx: Pick<SchemaContext, 'viewer' | 'clientIp'>,
  cost = 1,
): MaybePromise<ReturnType<typeof rateLimited> | null> {
  const viewer = ctx.viewer;
  // Signed out, a client is its address as the log-in backoff counts it (an IPv6 /64), so picking
  // a fresh address in one's own /64 for every request does not buy a fresh budget.
  const userKey = viewer === null ? `ip:${addressKey(ctx.clientIp)}` : `user:${viewer.userId}`;
  return then(options.limiter.hit(userKey, options.perUser, options.windowMs, cost), (user) => {
    if (!user.allowed) return rateLimited('user', options.perUser, options.windowMs, user.resetAt);
    if (!viewer?.workspaceId) return null;
    return then(options.limiter.hit(`ws:${viewer.workspaceId}`, options.perWorkspace, options.windowMs, cost), (ws) =>
      ws.allowed ? null : rateLimited('workspace', options.perWorkspace, options.windowMs, ws.resetAt),
    );
  });
}

/** Refuses operations over the per-user/token and per-workspace budgets, before they execute. */
export function useRateLimit(options: RateLimitPluginOptions): Plugin<SchemaContext> {
  const check = (args: { contextValue: unknown; document: DocumentNode; operationName?: string | null }) =>
    checkRateLimit(options, args.contextValue as SchemaContext, operationCost(args.document, args.operationName));
  const stopWhenLimited =
    (stop: (result: { errors: ReturnType<typeof rateLimited>[] }) => void) =>
    (error: ReturnType<typeof rateLimited> | null): void => {
      if (error !== null) stop({ errors: [error] });
    };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      return then(check(args), stopWhenLimited(setResultAndStopExecution));
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      return then(check(args), stopWhenLimited(setResultAndStopExecution));
    },
  };
}
