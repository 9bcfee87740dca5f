/**
 * Tracing of runs with the OpenTelemetry API only (the process decides whether spans are exported):
 * a run's start is a span, a child of whatever was active (a GraphQL operation, a webhook), and
 * its W3C `traceparent` is stored with the execution so every step attempt, in whichever worker
 * process, is a child of it — one trace per run.
 */
import {
  type Context,
  context,
  isSpanContextValid,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { Runtime } from './runtime.ts';
import type { CallOutcome, ToolCall } from './tool-call.ts';

const tracer = () => trace.getTracer('weft-engine');

/** What is stored with an execution: its trace id and the parent of its step spans. */
export interface ExecutionTrace {
  traceId: string | null;
  traceParent: string | null;
}

/** The W3C `traceparent` of a span (null when it has no valid ids). */
export function traceParentOf(span: Span): string | null {
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return null;
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags.toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context whose parent is `traceParent`; the active context when there is none (or it is malformed). */
function contextUnder(traceParent: string | null | undefined): Context {
  const match = traceParent == null ? null : TRACEPARENT.exec(traceParent);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return context.active();
  return trace.setSpanContext(context.active(), {
    traceId: match[1],
    spanId: match[2],
    traceFlags: Number.parseInt(match[3], 16) as TraceFlags,
    isRemote: true,
  });
}

/**
 * Starts the span of a run's start; `end` it once the run is recorded. Its parent is the caller's
 * `traceParent` when given: API processes pass it explicitly rather than keep an async context,
 * which costs every promise of every request a hook.
 */
export function startExecutionSpan(
  attributes: Record<string, string>,
  traceParent?: string | null,
): { span: Span; trace: ExecutionTrace } {
  const span = tracer().startSpan(
    'weft.execution.start',
    { kind: SpanKind.INTERNAL, attributes },
    contextUnder(traceParent),
  );
  const parent = traceParentOf(span);
  return { span, trace: { traceId: parent === null ? null : span.spanContext().traceId, traceParent: parent } };
}

/**
 * Runs `work` inside a span for one step attempt, the child of the run's stored `traceparent`
 * (a root span when the run has none). Log lines written inside carry its trace id.
 */
export async function inStepSpan<T>(
  traceParent: string | null,
  attributes: Record<string, string | number>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = contextUnder(traceParent);
  const span = tracer().startSpan(
    `weft.step ${attributes['weft.step.id'] ?? ''}`,
    { kind: SpanKind.INTERNAL, attributes },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a step span failed with the attempt's error. */
export function markSpanFailed(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** The attributes of a step attempt's span. */
export function stepSpanAttributes(rt: Runtime, call: ToolCall): Record<string, string | number> {
  return {
    'weft.workspace.id': call.workspaceId,
    'weft.execution.id': call.executionId,
    'weft.step.id': call.stepId,
    'weft.step.attempt': call.attempt,
    'weft.tool': `${call.tool.name}@${call.tool.version}`,
    'weft.worker.id': rt.workerId,
  };
}

/** Records an attempt's outcome on its span and in the log (inside the span: the line carries its trace id). */
export function logAttempt(rt: Runtime, span: Span, call: ToolCall, outcome: CallOutcome): void {
  const fields = {
    executionId: call.executionId,
    stepId: call.stepId,
    attempt: call.attempt,
    tool: call.tool.name,
    durationMs: Math.round(outcome.durationMs),
  };
  if (outcome.ok) {
    rt.logger.info(fields, 'step attempt succeeded');
    return;
  }
  markSpanFailed(span, outcome.error.message);
  rt.logger.info({ ...fields, error: outcome.error.message }, 'step attempt failed');
}
