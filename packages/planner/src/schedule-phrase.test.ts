import { describe, expect, it } from 'vitest';
import { extractSchedule, nextRunsOf } from './schedule-phrase.ts';

// A Wednesday: every "next run" below is counted from here.
const NOW = new Date('2026-12-09T12:00:00Z');

describe('schedule phrases', () => {
  it.each([
    [
      'every Monday at 9, collect open invoices and email a summary',
      '0 9 * * 1',
      'collect open invoices and email a summary',
    ],
    ['Every Friday at 5:30 pm send the report', '30 17 * * 5', 'send the report'],
    ['on Mondays and Thursdays fetch https://x.example/a', '0 9 * * 1,4', 'fetch https://x.example/a'],
    ['every weekday at 8am post the standup', '0 8 * * 1-5', 'post the standup'],
    ['daily at noon echo hi', '0 12 * * *', 'echo hi'],
    ['every 15 minutes check https://status.example.com', '*/15 * * * *', 'check https://status.example.com'],
    ['every 30 seconds ping it', '*/30 * * * * *', 'ping it'],
    ['hourly refresh the cache', '0 * * * *', 'refresh the cache'],
    ['on the 1st of every month send invoices', '0 9 1 * *', 'send invoices'],
    ['every night at midnight clear the context', '0 0 * * *', 'clear the context'],
  ])('%s → %s', (request, cron, rest) => {
    const found = extractSchedule(request, NOW);
    expect(found.schedule?.cron).toBe(cron);
    expect(found.schedule?.timezone).toBe('UTC');
    expect(found.rest).toBe(rest);
  });

  it('reads an IANA time zone and fires at that wall-clock time', () => {
    const found = extractSchedule('every Monday at 9 in Europe/Berlin, email the summary', NOW);
    expect(found.schedule).toMatchObject({ cron: '0 9 * * 1', timezone: 'Europe/Berlin' });
    // 09:00 in Berlin in December is 08:00 UTC; the next Monday after Wednesday the 9th is the 14th.
    expect(found.schedule?.nextRuns[0]).toBe('2026-12-14T08:00:00.000Z');
    expect(found.rest).toBe('email the summary');
  });

  it('says when it chose the time itself', () => {
    expect(extractSchedule('every Tuesday archive the logs', NOW).schedule?.description).toBe(
      'every Tuesday at 09:00, as no time was given (UTC)',
    );
  });

  it('finds no schedule where there is none, and never guesses an impossible one', () => {
    expect(extractSchedule('fetch https://example.com then echo it', NOW)).toEqual({
      rest: 'fetch https://example.com then echo it',
      schedule: null,
    });
    expect(extractSchedule('every Monday at 25:00 post it', NOW).schedule).toBeNull();
    expect(extractSchedule('every Monday at 9 in Mars/Olympus post it', NOW).schedule).toBeNull();
  });

  it('nextRunsOf refuses a bad cron or zone', () => {
    expect(nextRunsOf('0 9 * * 8', 'UTC', NOW)).toBeNull();
    expect(nextRunsOf('0 9 * * 1', 'Nowhere/Else', NOW)).toBeNull();
    expect(nextRunsOf('*/2 * * * * *', 'UTC', NOW)).toEqual([
      '2026-12-09T12:00:02.000Z',
      '2026-12-09T12:00:04.000Z',
      '2026-12-09T12:00:06.000Z',
    ]);
  });
});
