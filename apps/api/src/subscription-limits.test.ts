import { describe, expect, it } from 'vitest';
import { type ConnectionSlots, createSubscriptionSlots } from './subscription-limits.ts';

describe('subscription slots', () => {
  const connection = (userId: string): ConnectionSlots => ({ userId, ids: new Set() });

  it('refuses past the per-connection and per-user limits and gives slots back', () => {
    const slots = createSubscriptionSlots({ perConnection: 2, perUser: 3 });
    const a = connection('u1');
    const b = connection('u1');
    expect(slots.take(a, '1')).toBeNull();
    expect(slots.take(a, '2')).toBeNull();
    expect(slots.take(a, '3')?.extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(slots.take(b, '1')).toBeNull();
    expect(slots.take(b, '2')?.message).toContain('You already have 3');
    expect(slots.take(connection('u2'), '1')).toBeNull();

    slots.release(a, '1');
    slots.release(a, '1'); // a second complete of the same id gives nothing back twice
    expect(slots.openBy('u1')).toBe(2);
    expect(slots.take(b, '2')).toBeNull();
    for (const id of ['2']) slots.release(a, id);
    for (const id of ['1', '2']) slots.release(b, id);
    expect(slots.openBy('u1')).toBe(0);
  });
});
