import type { IncomingMessage } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { MAX_BUNDLE_BYTES } from '@weft/plugin-host';
import { buildSchema, createContext, type SchemaContext, type SchemaOptions } from '@weft/schema';
import type { GraphQLError, ValidationContext } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { RateLimiter } from './rate-limiter.ts';
import { requestIdOf } from './request-id.ts';
import type { SubscriptionLimits } from './subscription-limits.ts';
import { maskUnexpectedError, useErrorMasking } from './yoga-plugins/use-error-masking.ts';
import { type GraphqlMetrics, useMetrics } from './yoga-plugins/use-metrics.ts';
import { useNoIntrospection } from './yoga-plugins/use-no-introspection.ts';
import { useOperationTracing } from './yoga-plugins/use-operation-tracing.ts';
import { useRateLimit } from './yoga-plugins/use-rate-limit.ts';
import { useRequestTimeout } from './yoga-plugins/use-request-timeout.ts';
import { useSharedEventResults } from './yoga-plugins/use-shared-event-results.ts';
import { useSubscriptionLimits } from './yoga-plugins/use-subscription-limits.ts';
import { useVariableLimits, type VariableLimits } from './yoga-plugins/use-variable-limits.ts';

/** Per-operation limits, checked while validating, i.e. before anything executes. */
// Armor's cost counts list arguments (`first: 100` multiplies what is below it), so a full page of
// one connection fits and a page of pages does not.
export const OPERATION_LIMITS = { maxDepth: 12, maxAliases: 15, maxCost: 50_000, maxTokens: 3000 } as const;

/**
 * Depth, alias, cost, token and directive limits as validation-time checks. One definition for both
 * GraphQL endpoints: `/graphql` (yoga) and `/admin/graphql` (PostGraphile through envelop).
 * `asValidationErrors` reports a limit as an ordinary validation error instead of throwing from the
 * rule: grafserv answers a thrown error with 500 and a console dump, a validation error with 400.
 */
export function useOperationLimits(production: boolean, options: { asValidationErrors?: boolean } = {}) {
  const rejection = options.asValidationErrors
    ? {
        propagateOnRejection: false,
        onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
      }
    : {};
  return EnvelopArmorPlugin({
    maxDepth: { n: OPERATION_LIMITS.maxDepth, ...rejection },
    maxAliases: { n: OPERATION_LIMITS.maxAliases, ...rejection },
    costLimit: { maxCost: OPERATION_LIMITS.maxCost, ...rejection },
    // A token limit stops the parser, which reports it as a syntax error on either endpoint.
    maxTokens: { n: OPERATION_LIMITS.maxTokens },
    maxDirectives: { n: 20, ...rejection },
    blockFieldSuggestion: { enabled: production },
  });
}

export interface GraphqlServerOptions {
  schemaOptions: SchemaOptions;
  logger: Logger;
  production: boolean;
  metrics: GraphqlMetrics;
  limiter: RateLimiter;
  rateLimit: { perUser: number; perWorkspace: number; windowMs: number };
  requestTimeoutMs: number;
  variableLimits: VariableLimits;
  subscriptionLimits: SubscriptionLimits;
}

/** What yoga passes to the context factory: HTTP (node req) or graphql-ws (connection params). */
interface InitialContext {
  request?: Request;
  req?: IncomingMessage;
  connectionParams?: Record<string, unknown>;
}

export type GraphqlServer = YogaServerInstance<InitialContext, SchemaContext>;

export function clientAddress(req: IncomingMessage | undefined): string {
  return req?.socket.remoteAddress ?? 'unknown';
}

export function createGraphqlServer(options: GraphqlServerOptions): GraphqlServer {
  const { logger } = options;
  return createYoga<InitialContext, SchemaContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    graphiql: !options.production,
    // GraphiQL from our own dependencies, inline in its page: the default one loads from a CDN and
    // is blank offline.
    renderGraphiQL,
    landingPage: false,
    // The body is bounded by its declared length before yoga sees it (graphql-body-limit.ts).
    maxRequestBodySize: false,
    logging: logger.child({ component: 'yoga' }),
    context: async (initial) => {
      const fromSocket = initial.connectionParams?.authorization;
      const authorization =
        typeof fromSocket === 'string' ? fromSocket : (initial.request?.headers.get('authorization') ?? null);
      return createContext(options.schemaOptions, {
        authorization,
        requestId: requestIdOf(initial.req),
        clientIp: clientAddress(initial.req),
      });
    },
    // The net for what fails outside an operation's execution; useErrorMasking masks the rest,
    // where the request and trace ids are known.
    maskedErrors: { maskError: (error) => maskUnexpectedError(error, logger, { requestId: 'none' }) },
    plugins: [
      useOperationLimits(options.production),
      ...(options.production ? [useNoIntrospection()] : []),
      useOperationTracing(),
      useErrorMasking(logger),
      useMetrics(options.metrics),
      useRateLimit({ limiter: options.limiter, ...options.rateLimit }),
      // The one text an operation may hold beyond the per-string limit: a plugin's bundle.
      useVariableLimits({ ...options.variableLimits, largeStringFields: { publishPlugin: MAX_BUNDLE_BYTES } }),
      // After the variable limits: a refused subscription takes no slot.
      useSubscriptionLimits(options.subscriptionLimits),
      useRequestTimeout({ timeoutMs: options.requestTimeoutMs }),
      useSharedEventResults(logger),
    ],
  });
}
