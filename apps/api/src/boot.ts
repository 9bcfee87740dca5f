import { createPools, migrate, type Pools } from '@weft/db';
import { type Engine, type EngineApi, prepareQueue } from '@weft/engine';
import type { LlmConfig } from '@weft/planner';
import type { PluginHost } from '@weft/plugin-host';
import { type ExecutionFeed, engineSources, type PlanValidator } from '@weft/schema';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type App, createApp } from './app.ts';
import { type Config, ConfigError } from './config.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { databaseCheck, type ReadinessCheck, redisCheck } from './health.ts';
import { createRuntimeMetrics, registerStateMetrics } from './ops-metrics.ts';
import { memoryRateLimiter, redisRateLimiter } from './rate-limiter.ts';
import { startRuntime } from './runtime.ts';
import type { StartWebhookExecution } from './webhook-route.ts';

/**
 * Overrides for what the API serves with (tests). By default the process's own engine (with the
 * plugin host as a tool provider) validates plans, lists tools, feeds subscriptions and starts
 * webhook runs; the narrower overrides replace one of those. There is always an engine.
 */
export interface BootDeps {
  engine?: EngineApi;
  validatePlan?: PlanValidator;
  feed?: ExecutionFeed;
  startExecution?: StartWebhookExecution;
}

function webhookStarter(engine: EngineApi, deps: BootDeps): StartWebhookExecution {
  if (deps.startExecution) return deps.startExecution;
  return (client, workspaceId, { planVersionId, input, actor, traceParent }) =>
    engine.startExecution(client, workspaceId, {
      planVersionId,
      input,
      mode: 'LIVE',
      actor,
      traceParent,
      trigger: 'WEBHOOK',
    });
}

/**
 * The planner's model from the OPENAI_* configuration; without a key, plans are drafted
 * deterministically. Each model request must end well within the API's request timeout, so that a
 * slow provider becomes the userError LLM_TIMEOUT rather than a timed-out request.
 */
function plannerLlm(config: Config, logger: Logger): LlmConfig | null {
  const { apiKey, baseUrl, model } = config.openai;
  if (apiKey === undefined) return null;
  const timeoutMs = Math.max(500, Math.min(30_000, Math.floor((config.requestTimeoutMs * 2) / 3)));
  return {
    apiKey,
    model,
    timeoutMs,
    ...(baseUrl === undefined ? {} : { baseURL: baseUrl }),
    tokensPerDay: config.llmTokensPerDay,
    // Users get a coarse message; the operator's log gets what the provider said.
    onFailure: (detail) => logger.warn({ component: 'planner', ...detail }, 'LLM provider call failed'),
  };
}

export interface Running {
  app: App;
  pools: Pools;
  engine: Engine;
  pluginHost: PluginHost;
  redis: Redis | undefined;
  url: string;
  /** Stops accepting, drains requests, closes pools and Redis, stops the embedded database. */
  stop(): Promise<void>;
}

/** The database to use: the configured server, or the embedded one started here. */
async function openDatabase(config: Config, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, stop: async () => {} };
  const started = Date.now();
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    onLog: (line) => logger.debug({ component: 'embedded-postgres' }, line),
  });
  logger.info(
    { dataDir: config.dataDir, port: config.embeddedPgPort, ms: Date.now() - started },
    'embedded PostgreSQL started',
  );
  return embedded;
}

export async function boot(config: Config, logger: Logger, deps: BootDeps = {}): Promise<Running> {
  if (config.secretKeyGenerated) {
    logger.warn({ dataDir: config.dataDir }, 'SECRET_KEY is not set: using a generated key kept under DATA_DIR');
  }
  const database = await openDatabase(config, logger);
  const cleanups: Array<() => Promise<void>> = [() => database.stop()];
  try {
    await migrate(database.url, { log: (m) => logger.info(m) });
    await prepareQueue(database.url);
    const pools = createPools({
      ownerUrl: database.url,
      appUrl: config.databaseAppUrl,
      adminReadUrl: config.databaseAdminReadUrl,
      applicationName: 'weft-api',
    });
    cleanups.unshift(() => pools.close());
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    registerStateMetrics(metrics, pools);
    const runtime = await startRuntime(config, pools, logger, {
      workers: config.workers,
      publishFirstParty: true,
      metrics: createRuntimeMetrics(metrics),
    });
    // Stopped right after the HTTP server: running steps are handed back before connections close.
    cleanups.unshift(() => runtime.stop());
    const { pluginHost } = runtime;
    const engine = runtime.engine;
    const served = deps.engine ?? engine;
    const redis =
      config.redisUrl === undefined
        ? undefined
        : new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    if (redis !== undefined) {
      redis.on('error', (err) => logger.warn({ err }, 'redis error'));
      await redis.connect();
      cleanups.unshift(async () => void redis.disconnect());
    }
    const readiness: ReadinessCheck[] = [databaseCheck(pools.app)];
    if (redis !== undefined) readiness.push(redisCheck(redis));
    const app = createApp({
      metrics,
      schemaOptions: {
        pools,
        logger,
        secretKey: config.secretKey,
        engine: served,
        ...engineSources(served),
        ...(deps.validatePlan === undefined ? {} : { validatePlan: deps.validatePlan }),
        ...(deps.feed === undefined ? {} : { feed: deps.feed }),
        llm: plannerLlm(config, logger),
        egress: config.egress,
      },
      logger,
      readiness,
      production: config.production,
      limiter: redis === undefined ? memoryRateLimiter() : redisRateLimiter(redis),
      rateLimit: config.rateLimit,
      requestTimeoutMs: config.requestTimeoutMs,
      variableLimits: config.graphqlVariables,
      subscriptionLimits: config.subscriptions,
      ws: config.ws,
      startExecution: webhookStarter(served, deps),
      ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    });
    await new Promise<void>((resolve, reject) => {
      app.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new ConfigError(
                `PORT ${config.port} is already in use: stop what listens there or set PORT to a free port`,
              )
            : error,
        ),
      );
      app.server.listen(config.port, config.host, () => resolve());
    });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const url = `http://127.0.0.1:${port}`;
    logger.info({ url: `${url}/graphql`, admin: `${url}/admin/` }, 'Weft API ready');
    let stopping: Promise<void> | undefined;
    return {
      app,
      pools,
      engine,
      pluginHost,
      redis,
      url,
      stop() {
        stopping ??= (async () => {
          await app.close();
          for (const cleanup of cleanups) await cleanup().catch((err) => logger.warn({ err }, 'shutdown step failed'));
        })();
        return stopping;
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    throw error;
  }
}
