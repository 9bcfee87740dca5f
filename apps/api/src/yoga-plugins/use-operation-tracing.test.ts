import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { useOperationTracing } from './use-operation-tracing.ts';
import { post, yogaWith } from './yoga-fetch.test-kit.ts';

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
afterAll(() => trace.disable());

describe('useOperationTracing', () => {
  it('records a span per operation and hands its traceparent to resolvers', async () => {
    const yoga = yogaWith([useOperationTracing()]);
    const answer = await post(yoga, 'query Where { traceParent }', {}, 'Where');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['graphql.query Where']);
    const span = spans[0];
    expect(answer.data?.traceParent).toBe(`00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`);
  });
});
