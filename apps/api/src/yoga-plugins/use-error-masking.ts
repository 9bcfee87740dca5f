import type { SchemaContext } from '@weft/schema';
import { GraphQLError } from 'graphql';
import { createGraphQLError, handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';

/** Where an error happened, for the log line that keeps what the client is not shown. */
export interface ErrorOrigin {
  requestId: string;
  traceId?: string;
}

/**
 * Our own errors (codes, validation, limits) are meant for the client and go as they are; anything
 * else is logged in full and answered as INTERNAL_SERVER_ERROR with the request id to find it by.
 */
export function maskUnexpectedError(error: unknown, logger: Logger, origin: ErrorOrigin): GraphQLError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (error instanceof GraphQLError && (original === undefined || original instanceof GraphQLError)) return error;
  // `reqId` as on the request's other lines.
  logger.error(
    { err: original ?? error, reqId: origin.requestId, traceId: origin.traceId },
    'unexpected error in a GraphQL operation',
  );
  return createGraphQLError('Unexpected error.', {
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: origin.requestId },
  });
}

/** `result` with its unexpected errors masked (itself when it has none). */
export function maskResult<R extends { errors?: readonly GraphQLError[] }>(
  result: R,
  ctx: SchemaContext,
  logger: Logger,
): R {
  if (result.errors === undefined || result.errors.length === 0) return result;
  const traceId = ctx.traceParent?.slice(3, 35);
  const origin = traceId === undefined ? { requestId: ctx.requestId } : { requestId: ctx.requestId, traceId };
  return { ...result, errors: result.errors.map((e) => maskUnexpectedError(e, logger, origin)) };
}

type ResultHook = Parameters<typeof handleStreamOrSingleExecutionResult>[1];

function maskingResultsOf(ctx: SchemaContext, logger: Logger): ResultHook {
  return ({ result, setResult }) => {
    const masked = maskResult(result, ctx, logger);
    if (masked !== result) setResult(masked);
  };
}

/**
 * Masks unexpected errors of executed operations and subscription events, where the operation's
 * context (request and trace ids) is at hand. Yoga's own masking still covers what fails outside
 * that (a subscription's setup, the context itself), without those ids.
 */
export function useErrorMasking(logger: Logger): Plugin<SchemaContext> {
  return {
    onExecute({ args }) {
      const mask = maskingResultsOf(args.contextValue, logger);
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, mask) };
    },
    onSubscribe({ args }) {
      const mask = maskingResultsOf(args.contextValue, logger);
      return { onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, mask) };
    },
  };
}
