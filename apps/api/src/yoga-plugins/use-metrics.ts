import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface GraphqlMetrics {
  operations: Histogram<'type' | 'name' | 'outcome'>;
  openSubscriptions: Gauge;
}

export function createGraphqlMetrics(registry: Registry): GraphqlMetrics {
  return {
    operations: new Histogram({
      name: 'weft_graphql_operation_duration_seconds',
      help: 'GraphQL operations by type, operation name and outcome.',
      labelNames: ['type', 'name', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    openSubscriptions: new Gauge({
      name: 'weft_graphql_subscriptions_open',
      help: 'GraphQL subscriptions open now (graphql-ws and SSE).',
      registers: [registry],
    }),
  };
}

function operationName(name: string | null | undefined): string {
  // Operation names come from clients: keep the label set bounded.
  return typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'anonymous';
}

/** Times every query and mutation; counts open subscriptions. */
export function useMetrics(metrics: GraphqlMetrics): Plugin {
  return {
    onExecute({ args }) {
      const stop = metrics.operations.startTimer();
      const type = getOperationAST(args.document, args.operationName)?.operation ?? 'query';
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && (result.errors?.length ?? 0) > 0;
          stop({ type, name: operationName(args.operationName), outcome: failed ? 'error' : 'ok' });
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) return;
          metrics.openSubscriptions.inc();
          return { onEnd: () => metrics.openSubscriptions.dec() };
        },
      };
    },
  };
}
