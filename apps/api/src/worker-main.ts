// A worker-only process (`npm run worker`): no HTTP, just engine workers and the lease sweeper.
// Any number may run against one database.
import { createPools, migrate } from '@weft/db';
import { prepareQueue } from '@weft/engine';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startRuntime } from './runtime.ts';
import { startTracing } from './tracing.ts';

function fail(error: unknown): never {
  const message =
    error instanceof ConfigError
      ? error.message
      : `Worker start-up failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  if (config.databaseUrl === undefined) {
    throw new ConfigError('Invalid configuration: DATABASE_URL must be set for a worker process (npm run worker)');
  }
} catch (error) {
  fail(error);
}
const tracing = startTracing({ serviceName: 'weft-worker', otlpEndpoint: config.otlpEndpoint, asyncContext: true });
const logger = createLogger(config.logLevel, 'weft-worker');
// A promise nobody awaited failing (typically a database connection dropped mid-query while the
// database restarts) must not take the whole process down with every request in flight.
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
const databaseUrl = config.databaseUrl;
if (databaseUrl === undefined) fail(new ConfigError('DATABASE_URL must be set'));

try {
  await migrate(databaseUrl, { log: (m) => logger.info(m) });
  await prepareQueue(databaseUrl);
  const pools = createPools({
    ownerUrl: databaseUrl,
    appUrl: config.databaseAppUrl,
    adminReadUrl: config.databaseAdminReadUrl,
    applicationName: 'weft-worker',
  });
  const runtime = await startRuntime(config, pools, logger, {
    workers: Math.max(1, config.workers),
    publishFirstParty: false,
  });
  const { engine } = runtime;
  logger.info({ workerId: engine.workerId }, 'Weft worker ready');
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'worker shutting down');
    runtime
      .stop()
      .then(() => pools.close())
      .then(() => tracing.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'worker shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} catch (error) {
  logger.error({ err: error }, 'worker start-up failed');
  fail(error);
}
