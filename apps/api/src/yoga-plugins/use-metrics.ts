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

/** Distinct operation names kept as labels; later ones are counted as `other`. */
export const MAX_OPERATION_NAMES = 100;

/**
 * Operation names come from clients, so any caller could otherwise create a series per request
 * (unbounded memory, and one tenant's operation names shown to whoever scrapes). The first
 * `limit` distinct well-formed names keep their label; the rest share `other`.
 */
export function boundedOperationNames(limit = MAX_OPERATION_NAMES): (name: string | null | undefined) => string {
  const known = new Set<string>();
  return (name) => {
    if (typeof name !== 'string' || name === '') return 'anonymous';
    if (known.has(name)) return name;
    if (!/^\w{1,64}$/.test(name) || known.size >= limit) return 'other';
    known.add(name);
    return name;
  };
}

/** Times every query and mutation; counts open subscriptions. */
export function useMetrics(metrics: GraphqlMetrics): Plugin {
  const operationName = boundedOperationNames();
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
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operationName(args.operationName ?? operation?.name?.value);
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && (result.errors?.length ?? 0) > 0;
          const seconds = (performance.now() - started) / 1000;
          childFor(type, name, failed ? 'error' : 'ok').observe(seconds);
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
