import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { SchemaOptions } from '@weft/schema';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import sirv from 'sirv';
import { createAdminGraphql } from './admin-graphql.ts';
import { refuseGraphqlBody } from './graphql-body-limit.ts';
import { createGraphqlServer } from './graphql-server.ts';
import { checkReadiness, type ReadinessCheck } from './health.ts';
import { metricsAccess } from './metrics-access.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { assignRequestId } from './request-id.ts';
import { setSecurityHeaders } from './security-headers.ts';
import type { SubscriptionLimits } from './subscription-limits.ts';
import { createWebhookRoute, type StartWebhookExecution } from './webhook-route.ts';
import { attachGraphqlWs, type WsLimits } from './ws-server.ts';
import { createGraphqlMetrics } from './yoga-plugins/use-metrics.ts';
import type { VariableLimits } from './yoga-plugins/use-variable-limits.ts';

export interface AppOptions {
  /** What the GraphQL schema needs: pools, logger, secret key, the engine and what it provides. */
  schemaOptions: SchemaOptions;
  logger: Logger;
  readiness: ReadinessCheck[];
  production: boolean;
  limiter: RateLimiter;
  rateLimit: { perUser: number; perWorkspace: number; windowMs: number };
  requestTimeoutMs: number;
  variableLimits: VariableLimits;
  subscriptionLimits: SubscriptionLimits;
  ws: WsLimits;
  /** Starts the execution of an inbound webhook (the engine's `startExecution`). */
  startExecution: StartWebhookExecution;
  /** Where the built admin console lives; a placeholder page is served when it is missing. */
  adminDir?: string;
  /** The registry `/metrics` serves (boot shares it with the runtime); a fresh one by default. */
  metrics?: Registry;
  /** METRICS_TOKEN: when set, `/metrics` needs it as a bearer token; otherwise it answers this host only. */
  metricsToken?: string;
}

export interface App {
  server: Server;
  metrics: Registry;
  /** Stops accepting connections and waits (bounded) for requests in flight. */
  close(drainMs?: number): Promise<void>;
}

const DEFAULT_ADMIN_DIR = fileURLToPath(new URL('../../admin/dist', import.meta.url));

const PLACEHOLDER_ADMIN = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Weft admin</title></head>
<body><h1>Weft admin</h1><p>The admin console has not been built. Run <code>npm run build</code>.</p></body></html>`;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** The one HTTP server of the API process: GraphQL, health, metrics and the admin console. */
export function createApp(options: AppOptions): App {
  const { logger } = options;
  const metrics = options.metrics ?? new Registry();
  if (options.metrics === undefined) collectDefaultMetrics({ register: metrics });

  const yoga = createGraphqlServer({
    schemaOptions: options.schemaOptions,
    logger,
    production: options.production,
    metrics: createGraphqlMetrics(metrics),
    limiter: options.limiter,
    rateLimit: options.rateLimit,
    requestTimeoutMs: options.requestTimeoutMs,
    variableLimits: options.variableLimits,
    subscriptionLimits: options.subscriptionLimits,
  });
  const hooks = createWebhookRoute({
    pool: options.schemaOptions.pools.app,
    secretKey: options.schemaOptions.secretKey,
    startExecution: options.startExecution,
    events: options.schemaOptions.engine,
  });
  const adminGraphql = createAdminGraphql({
    schemaOptions: options.schemaOptions,
    production: options.production,
    limiter: options.limiter,
    rateLimit: options.rateLimit,
    requestTimeoutMs: options.requestTimeoutMs,
  });

  const refuseMetrics = metricsAccess(options.metricsToken);
  const adminDir = options.adminDir ?? DEFAULT_ADMIN_DIR;
  const admin = existsSync(adminDir) ? sirv(adminDir, { single: true, dev: !options.production }) : undefined;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') {
      const readiness = await checkReadiness(options.readiness);
      return sendJson(res, readiness.ok ? 200 : 503, readiness);
    }
    if (path === '/metrics') {
      const refusal = refuseMetrics(req);
      if (refusal !== null) {
        if (refusal.status === 401) res.setHeader('www-authenticate', 'Bearer realm="metrics"');
        return sendJson(res, refusal.status, { error: refusal.message });
      }
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(await metrics.metrics());
      return;
    }
    if (path === '/admin/graphql') return adminGraphql.handle(req, res);
    if (path.startsWith('/hooks/')) return hooks(req, res, path.slice('/hooks/'.length));
    if (path === '/admin' || path.startsWith('/admin/')) {
      if (path === '/admin') {
        res.writeHead(308, { location: '/admin/' });
        res.end();
        return;
      }
      if (admin === undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PLACEHOLDER_ADMIN);
        return;
      }
      req.url = (req.url ?? '/').slice('/admin'.length) || '/';
      admin(req, res, () => sendJson(res, 404, { error: 'Not found' }));
      return;
    }
    if (path === '/graphql') {
      const refusal = refuseGraphqlBody(req);
      if (refusal === null) return yoga(req, res);
      // Answered before the body is read: the connection cannot be reused for another request.
      res.setHeader('connection', 'close');
      return sendJson(res, refusal.status, {
        errors: [{ message: refusal.message, extensions: { code: refusal.code } }],
      });
    }
    sendJson(res, 404, { error: 'Not found' });
  }

  const server = createServer((req, res) => {
    const reqId = assignRequestId(req, res);
    // The path only: a query string can carry a GraphQL operation's variables (a password sent to
    // logIn over GET, a token), and this line goes to the shared log.
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    setSecurityHeaders(res, path, options.production);
    // Every request pays for a listener; none is needed when the line would not be written.
    if (logger.isLevelEnabled('info')) {
      const started = performance.now();
      res.on('finish', () =>
        logger.info(
          {
            reqId,
            method: req.method,
            path,
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          'request',
        ),
      );
    }
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error, reqId }, 'unhandled request error');
      if (!res.headersSent) sendJson(res, 500, { error: 'Unexpected error.' });
      else res.destroy();
    });
  });

  const closeWs = attachGraphqlWs(server, yoga, options.schemaOptions, options.ws);

  return {
    server,
    metrics,
    async close(drainMs = 10_000) {
      await closeWs();
      await adminGraphql.close();
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), drainMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
