import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger, pino } from 'pino';
import { activeTraceId } from './tracing.ts';

/** What every log line written while serving one request carries. */
export interface LogContext {
  reqId?: string;
  traceId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` attached to every log line written inside it, however deep. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return context.getStore();
}

export function createLogger(level: string, name = 'weft-api'): Logger {
  return pino({
    name,
    level,
    mixin: () => {
      const traceId = activeTraceId();
      return traceId === undefined ? { ...context.getStore() } : { ...context.getStore(), traceId };
    },
    serializers: { err: pino.stdSerializers.err },
  });
}
