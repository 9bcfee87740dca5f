import { type DestinationStream, type Logger, pino } from 'pino';
import { activeTraceId } from './tracing.ts';

/**
 * The process's logger. A line written inside a span carries its trace id where the process keeps
 * an async context (see `startTracing`); request ids and an operation's trace id are passed in the
 * line's fields where they are known, since an API process keeps no such context.
 */
export function createLogger(level: string, name = 'weft-api', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    mixin: () => {
      const traceId = activeTraceId();
      return traceId === undefined ? {} : { traceId };
    },
    serializers: { err: pino.stdSerializers.err },
  };
  // Standard output unless told otherwise (tests read the lines).
  return destination === undefined ? pino(options) : pino(options, destination);
}
