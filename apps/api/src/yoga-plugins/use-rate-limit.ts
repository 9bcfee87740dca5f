import type { SchemaContext } from '@weft/schema';
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

/** Refuses operations over the per-user/token and per-workspace budgets, before they execute. */
export function useRateLimit(options: RateLimitPluginOptions): Plugin<SchemaContext> {
  async function check(ctx: SchemaContext) {
    const viewer = ctx.viewer;
    const userKey = viewer === null ? `ip:${ctx.clientIp}` : `user:${viewer.userId}`;
    const user = await options.limiter.hit(userKey, options.perUser, options.windowMs);
    if (!user.allowed) return rateLimited('user', options.perUser, options.windowMs, user.resetAt);
    if (viewer?.workspaceId) {
      const ws = await options.limiter.hit(`ws:${viewer.workspaceId}`, options.perWorkspace, options.windowMs);
      if (!ws.allowed) return rateLimited('workspace', options.perWorkspace, options.windowMs, ws.resetAt);
    }
    return null;
  }
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue as SchemaContext);
      if (error !== null) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue as SchemaContext);
      if (error !== null) setResultAndStopExecution({ errors: [error] });
    },
  };
}
