import { describe, expect, it } from 'vitest';
import { useSubscriptionLimits } from './use-subscription-limits.ts';
import { contextOf, subscribe, yogaWith } from './yoga-fetch.test-kit.ts';

const alice = { userId: 'alice', tokenId: 't1', kind: 'session' as const, workspaceId: null };

describe('useSubscriptionLimits', () => {
  it("refuses a user's subscription past their limit while the others are open, and frees the slot at the end", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const yoga = yogaWith([useSubscriptionLimits({ perConnection: 5, perUser: 1 })], contextOf({ viewer: alice }), {
      // The first subscription stays open until released; later ones end after one event.
      ticks: async function* () {
        started();
        yield 1;
        await held;
      },
    });
    const first = subscribe(yoga, 'subscription { ticks }', { req: {} });
    await firstStarted; // the first now holds the user's one slot
    const second = await subscribe(yoga, 'subscription { ticks }', { req: {} });
    expect(second.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    release();
    expect((await first).map((r) => r.data)).toEqual([{ ticks: 1 }]);
    const third = await subscribe(yoga, 'subscription { ticks }', { req: {} });
    expect(third.map((r) => r.data)).toEqual([{ ticks: 1 }]);
  });
});
