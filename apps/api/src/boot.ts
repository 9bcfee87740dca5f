import { createPools, migrate, type Pools } from '@weft/db';
import type { EngineApi } from '@weft/engine';
import type { ExecutionFeed, PlanValidator } from '@weft/schema';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type App, createApp } from './app.ts';
import { type Config, ConfigError } from './config.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { databaseCheck, type ReadinessCheck, redisCheck } from './health.ts';
import { memoryRateLimiter, redisRateLimiter } from './rate-limiter.ts';
import type { StartWebhookExecution } from './webhook-route.ts';

/**
 * What the API serves with besides the configuration. The engine connects here: when `engine` is
 * given, plan validation, tools, subscriptions and webhook starts go through it unless one of the
 * narrower overrides is given.
 */
export interface BootDeps {
  engine?: EngineApi;
  validatePlan?: PlanValidator;
  feed?: ExecutionFeed;
  startExecution?: StartWebhookExecution;
}

function webhookStarter(deps: BootDeps): StartWebhookExecution | undefined {
  if (deps.startExecution) return deps.startExecution;
  const engine = deps.engine;
  if (engine === undefined) return undefined;
  return (client, workspaceId, { planVersionId, input }) =>
    engine.startExecution(client, workspaceId, {
      planVersionId,
      input,
      mode: 'LIVE',
      actor: { userId: null, role: null },
    });
}

export interface Running {
  app: App;
  pools: Pools;
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
    const pools = createPools({ ownerUrl: database.url, appUrl: config.databaseAppUrl, applicationName: 'weft-api' });
    cleanups.unshift(() => pools.close());
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
      schemaOptions: {
        pools,
        logger,
        secretKey: config.secretKey,
        engine: deps.engine,
        validatePlan: deps.validatePlan,
        feed: deps.feed,
      },
      logger,
      readiness,
      production: config.production,
      limiter: redis === undefined ? memoryRateLimiter() : redisRateLimiter(redis),
      rateLimit: config.rateLimit,
      requestTimeoutMs: config.requestTimeoutMs,
      startExecution: webhookStarter(deps),
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
