import { describe, expect, it } from 'vitest';
import { nextRunAfter, nextRunsAfter, scheduleIssues } from './cron.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('schedule timing', () => {
  it('reads 5 fields as minutes first and 6 fields as seconds first', () => {
    const from = new Date('2026-01-05T08:59:58.500Z');
    expect(nextRunAfter({ cron: '0 9 * * 1', timezone: 'UTC' }, from)?.toISOString()).toBe('2026-01-05T09:00:00.000Z');
    expect(iso(nextRunsAfter({ cron: '*/2 * * * * *', timezone: 'UTC' }, from, 3))).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-01-05T09:00:02.000Z',
      '2026-01-05T09:00:04.000Z',
    ]);
  });

  it('reads the cron in its time zone', () => {
    // 09:00 in Berlin is 08:00 UTC in winter.
    const next = nextRunAfter({ cron: '0 9 * * 1', timezone: 'Europe/Berlin' }, new Date('2026-01-04T12:00:00Z'));
    expect(next?.toISOString()).toBe('2026-01-05T08:00:00.000Z');
  });

  it('spring-forward in Berlin: a wall time the clocks skip fires once, at the first instant after the gap', () => {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
    const runs = nextRunsAfter({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-03-28T00:00:00Z'), 3);
    expect(iso(runs)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first instant after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('fall-back in Berlin: a wall time that happens twice fires once, at its first occurrence', () => {
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET, so 02:30 happens at 00:30Z and again at 01:30Z.
    const runs = nextRunsAfter({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-10-24T00:00:00Z'), 3);
    expect(iso(runs)).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // Times between the two occurrences do not bring the second one back.
    expect(
      nextRunAfter({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-10-25T01:00:00Z'))?.toISOString(),
    ).toBe('2026-10-26T01:30:00.000Z');
  });

  it('accepts good timings', () => {
    expect(scheduleIssues({ cron: '0 9 * * 1', timezone: 'UTC' })).toEqual([]);
    expect(scheduleIssues({ cron: '*/2 * * * * *', timezone: 'America/New_York' })).toEqual([]);
  });

  it('refuses bad crons on ["cron"] and unknown zones on ["timezone"]', () => {
    const paths = (cron: string, timezone: string) => scheduleIssues({ cron, timezone }).map((i) => i.path.join('.'));
    expect(paths('61 * * * *', 'UTC')).toEqual(['cron']);
    expect(paths('* * * *', 'UTC')).toEqual(['cron']);
    expect(paths('0 0 0 1 1 * 2030', 'UTC')).toEqual(['cron']); // croner's 7th (year) field is not ours
    expect(paths('hello', 'UTC')).toEqual(['cron']);
    expect(paths('0 0 30 2 *', 'UTC')).toEqual(['cron']); // 30 February never comes
    expect(paths('x'.repeat(500), 'UTC')).toEqual(['cron']);
    expect(paths('0 9 * * 1', 'Mars/Olympus')).toEqual(['timezone']);
    expect(paths('0 9 * * 1', '')).toEqual(['timezone']);
    expect(paths('nope', 'Nowhere/Else')).toEqual(['cron', 'timezone']);
  });
});
