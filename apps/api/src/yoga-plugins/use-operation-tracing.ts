import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * One span per GraphQL operation, active while it executes so every log line and database call
 * made by its resolvers carries the same trace id.
 */
export function useOperationTracing(): Plugin {
  const tracer = trace.getTracer('weft-api');
  return {
    onExecute({ args, setExecuteFn, executeFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value ?? 'anonymous';
      const span = tracer.startSpan(`graphql.${type} ${name}`, {
        kind: SpanKind.SERVER,
        attributes: { 'graphql.operation.type': type, 'graphql.operation.name': name },
      });
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
