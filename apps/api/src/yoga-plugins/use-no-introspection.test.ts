import { describe, expect, it } from 'vitest';
import { useNoIntrospection } from './use-no-introspection.ts';
import { post, yogaWith } from './yoga-fetch.test-kit.ts';

describe('useNoIntrospection', () => {
  it('refuses introspection and still answers other queries', async () => {
    const yoga = yogaWith([useNoIntrospection()]);
    const answer = await post(yoga, '{ __schema { queryType { name } } }');
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.message).toMatch(/introspection/i);
    expect(await post(yoga, '{ hello }')).toEqual({ data: { hello: 'world' } });
  });
});
