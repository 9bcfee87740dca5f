import { describe, expect, it } from 'vitest';
import { eventInputErrors } from './send-event.ts';

describe('eventInputErrors', () => {
  it('accepts plain names and data within the execution input limits', () => {
    expect(eventInputErrors('order.paid', { id: 1 })).toEqual([]);
    expect(eventInputErrors('billing/invoice:due-soon_2', null)).toEqual([]);
  });

  it('puts a bad name on ["name"] and oversized data under ["data"]', () => {
    expect(eventInputErrors('has space', {}).map((e) => e.field)).toEqual([['name']]);
    expect(eventInputErrors('', {}).map((e) => e.field)).toEqual([['name']]);
    expect(eventInputErrors('x'.repeat(201), {}).map((e) => e.field)).toEqual([['name']]);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = { d: deep };
    const errors = eventInputErrors('ok', deep);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.field?.[0] === 'data')).toBe(true);
    expect(eventInputErrors('ok', { blob: 'x'.repeat(1024 * 1024 + 1) })[0]?.field?.[0]).toBe('data');
  });
});
