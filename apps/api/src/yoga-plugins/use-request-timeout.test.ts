import { describe, expect, it } from 'vitest';
import { useRequestTimeout } from './use-request-timeout.ts';
import { post, yogaWith } from './yoga-fetch.test-kit.ts';

describe('useRequestTimeout', () => {
  it('answers TIMEOUT for an operation still running past the limit', async () => {
    let finish: (value: string) => void = () => undefined;
    const yoga = yogaWith([useRequestTimeout({ timeoutMs: 50 })], undefined, {
      slow: () => new Promise<string>((resolve) => (finish = resolve)),
    });
    const answer = await post(yoga, '{ slow }');
    finish('too late');
    expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['TIMEOUT']);
    expect(answer.errors?.[0]?.message).toBe('The operation took longer than 50 ms and was stopped.');
  });

  it('answers operations that finish in time as they are', async () => {
    const yoga = yogaWith([useRequestTimeout({ timeoutMs: 10_000 })]);
    expect(await post(yoga, '{ slow hello }')).toEqual({ data: { slow: 'done', hello: 'world' } });
  });
});
