import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { useSharedEventResults } from './use-shared-event-results.ts';
import { contextOf, subscribe, yogaWith } from './yoga-fetch.test-kit.ts';

const viewer = { userId: 'u', tokenId: 't', kind: 'session' as const, workspaceId: null };

describe('useSharedEventResults', () => {
  it("computes one event's result once for identical subscriptions of one token", async () => {
    // The engine hands every subscriber the same event object.
    const events = [{ n: 1 }, { n: 2 }];
    let executions = 0;
    const yoga = yogaWith([useSharedEventResults(pino({ level: 'silent' }))], contextOf({ viewer }), {
      ticks: async function* () {
        yield* events;
      },
      tick: (event) => {
        executions++;
        return (event as { n: number }).n;
      },
    });
    const first = await subscribe(yoga, 'subscription { ticks }');
    const second = await subscribe(yoga, 'subscription { ticks }');
    expect(first.map((r) => r.data)).toEqual([{ ticks: 1 }, { ticks: 2 }]);
    expect(second).toEqual(first);
    expect(executions).toBe(2);
  });

  it('computes results per token: another viewer never gets a result made for someone else', async () => {
    const events = [{ n: 1 }];
    let executions = 0;
    const tick = (event: unknown) => {
      executions++;
      return (event as { n: number }).n;
    };
    const ticks = async function* () {
      yield* events;
    };
    const plugin = useSharedEventResults(pino({ level: 'silent' }));
    await subscribe(yogaWith([plugin], contextOf({ viewer }), { ticks, tick }), 'subscription { ticks }');
    const other = contextOf({ viewer: { ...viewer, tokenId: 'other' } });
    await subscribe(yogaWith([plugin], other, { ticks, tick }), 'subscription { ticks }');
    expect(executions).toBe(2);
  });
});
