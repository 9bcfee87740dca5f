import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { traceParentOf } from '@weft/engine';
import type { SchemaContext } from '@weft/schema';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * One span per GraphQL operation. Its `traceparent` goes in the context, where resolvers hand it on
 * (a run started by a mutation continues the operation's trace); it is also made active, which
 * carries it further only in a process that keeps an async context (one that runs workers).
 */
export function useOperationTracing(): Plugin<SchemaContext> {
  const tracer = trace.getTracer('weft-api');
  return {
    onExecute({ args, setExecuteFn, executeFn, extendContext }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value ?? 'anonymous';
      const span = tracer.startSpan(`graphql.${type} ${name}`, {
        kind: SpanKind.SERVER,
        attributes: { 'graphql.operation.type': type, 'graphql.operation.name': name },
      });
      extendContext({ traceParent: traceParentOf(span) });
      setExecuteFn((executionArgs) =>
        context.with(trace.setSpan(context.active(), span), () => executeFn(executionArgs)),
      );
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors !== undefined && result.errors.length > 0) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors[0]?.message });
          }
          span.end();
        },
      };
    },
  };
}
