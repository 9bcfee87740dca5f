import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createGraphqlMetrics, useMetrics } from './use-metrics.ts';
import { post, yogaWith } from './yoga-fetch.test-kit.ts';

describe('useMetrics', () => {
  it('counts operations by type, name and outcome', async () => {
    const registry = new Registry();
    const yoga = yogaWith([useMetrics(createGraphqlMetrics(registry))], undefined, {
      fails: () => {
        throw new Error('boom');
      },
    });
    await post(yoga, 'query Greeting { hello }', {}, 'Greeting');
    await post(yoga, 'query Greeting { hello }', {}, 'Greeting');
    await post(yoga, 'query Broken { fails }', {}, 'Broken');
    const text = await registry.metrics();
    expect(text).toContain(
      'weft_graphql_operation_duration_seconds_count{type="query",name="Greeting",outcome="ok"} 2',
    );
    expect(text).toContain(
      'weft_graphql_operation_duration_seconds_count{type="query",name="Broken",outcome="error"} 1',
    );
  });
});
