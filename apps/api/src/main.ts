import { boot } from './boot.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startTracing } from './tracing.ts';

function fail(error: unknown): never {
  // Operators get one clear line for what they can fix, not a stack trace.
  const message =
    error instanceof ConfigError
      ? error.message
      : `Start-up failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail(error);
}
const tracing = startTracing({
  serviceName: 'weft-api',
  otlpEndpoint: config.otlpEndpoint,
  asyncContext: config.workers > 0,
});
const logger = createLogger(config.logLevel);
// A promise nobody awaited failing (typically a database connection dropped mid-query while the
// database restarts) must not take the whole process down with every request in flight.
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
// Until the server is up, anything thrown where no caller awaits it (an 'error' event nobody
// listens to, deep in a library) is still a start-up failure: one line, not a stack trace.
const startUpFailure = (error: unknown) => fail(error);
process.on('uncaughtException', startUpFailure);

try {
  const running = await boot(config, logger);
  process.removeListener('uncaughtException', startUpFailure);
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    running
      .stop()
      .then(() => tracing.shutdown())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  // Libraries may stop things on these signals themselves (async-exit-hook), racing the drain below
  // (the database would vanish under running steps) and exiting 143: the order is ours.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, shutdown);
  }
} catch (error) {
  // The stack is for whoever debugs Weft (LOG_LEVEL=debug); the operator gets fail()'s one line.
  if (!(error instanceof ConfigError)) logger.debug({ err: error }, 'start-up failed');
  fail(error);
}
