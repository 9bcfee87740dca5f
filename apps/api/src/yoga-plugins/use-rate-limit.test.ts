import { describe, expect, it } from 'vitest';
import { memoryRateLimiter } from '../rate-limiter.ts';
import { useRateLimit } from './use-rate-limit.ts';
import { contextOf, post, yogaWith } from './yoga-fetch.test-kit.ts';

const viewer = (userId: string, workspaceId: string | null) => ({
  userId,
  tokenId: `t-${userId}`,
  kind: 'api' as const,
  workspaceId,
});

describe('useRateLimit', () => {
  it('refuses a user past their budget, and not another user', async () => {
    const limiter = memoryRateLimiter();
    const plugin = useRateLimit({ limiter, perUser: 2, perWorkspace: 100, windowMs: 60_000 });
    const alice = yogaWith([plugin], contextOf({ viewer: viewer('alice', null) }));
    expect((await post(alice, '{ hello }')).data).toEqual({ hello: 'world' });
    expect((await post(alice, '{ hello }')).data).toEqual({ hello: 'world' });
    const refused = await post(alice, '{ hello }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'user' });
    const bob = yogaWith([plugin], contextOf({ viewer: viewer('bob', null) }));
    expect((await post(bob, '{ hello }')).data).toEqual({ hello: 'world' });
  });

  it("counts a workspace token's operations against the workspace", async () => {
    const plugin = useRateLimit({ limiter: memoryRateLimiter(), perUser: 100, perWorkspace: 1, windowMs: 60_000 });
    expect((await post(yogaWith([plugin], contextOf({ viewer: viewer('a', 'ws') })), '{ hello }')).data).toEqual({
      hello: 'world',
    });
    const refused = await post(yogaWith([plugin], contextOf({ viewer: viewer('b', 'ws') })), '{ hello }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'workspace' });
  });
});
