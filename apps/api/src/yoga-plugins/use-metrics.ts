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
  // One labelled child per label set, looked up by a plain key: prom-client would otherwise hash
  // and validate the labels on every operation.
  const children = new Map<string, Histogram.Internal<'type' | 'name' | 'outcome'>>();
  const childFor = (type: string, name: string, outcome: string) => {
    const key = `${type}\u0000${name}\u0000${outcome}`;
    let child = children.get(key);
    if (child === undefined) {
      child = metrics.operations.labels(type, name, outcome);
      children.set(key, child);
    }
    return child;
  };
  return {
    onExecute({ args }) {
      const started = performance.now();
      const type = getOperationAST(args.document, args.operationName)?.operation ?? 'query';
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && (result.errors?.length ?? 0) > 0;
          const seconds = (performance.now() - started) / 1000;
          childFor(type, operationName(args.operationName), failed ? 'error' : 'ok').observe(seconds);
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
