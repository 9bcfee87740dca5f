import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  /** Flushes spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers the global tracer provider. Every span gets its ids, so log lines and executions carry
 * trace ids either way; spans are recorded (timed, with attributes) only when an OTLP/HTTP endpoint
 * is configured to send them to. Recording what nobody receives cost every GraphQL operation
 * measurable time.
 */
export function startTracing(options: {
  serviceName: string;
  otlpEndpoint: string | undefined;
  /**
   * Keep the active span in an async context (AsyncLocalStorage), for a process that runs steps:
   * their spans are then active inside tools and their log lines carry the trace id by themselves.
   * It hooks every promise the process makes (tens of microseconds per GraphQL request), so a
   * process that only serves the API goes without and passes trace parents explicitly.
   */
  asyncContext: boolean;
}): Tracing {
  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint !== undefined) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 500 }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors,
    // Not parent-based: a process that exports records its spans even under a parent from a
    // process that does not (the run's stored traceparent then says "not sampled").
    sampler: options.otlpEndpoint === undefined ? new AlwaysOffSampler() : new AlwaysOnSampler(),
  });
  provider.register(options.asyncContext ? {} : { contextManager: null });
  return { shutdown: () => provider.shutdown() };
}

/** The trace id of the span active right now, for log lines (only where an async context is kept). */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  return span?.spanContext().traceId;
}
