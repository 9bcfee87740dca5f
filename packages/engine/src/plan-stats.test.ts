import { describe, expect, it } from 'vitest';
import { PLAN_STATS_MAX_BUCKETS, planStatsWindowIssue } from './plan-stats.ts';

describe('planStatsWindowIssue', () => {
  const at = (iso: string) => new Date(iso);

  it('allows a month of hours and two years of days, not more', () => {
    const since = at('2026-01-01T00:00:00Z');
    const hours = new Date(since.getTime() + PLAN_STATS_MAX_BUCKETS * 3_600_000);
    expect(planStatsWindowIssue({ since, until: hours, bucket: 'HOUR' })).toBeNull();
    expect(planStatsWindowIssue({ since, until: new Date(hours.getTime() + 1), bucket: 'HOUR' })).toMatch(
      /745 hours; ask for at most 744 buckets/,
    );
    expect(planStatsWindowIssue({ since, until: at('2028-01-01T00:00:00Z'), bucket: 'DAY' })).toBeNull();
    expect(planStatsWindowIssue({ since, until: at('2028-02-01T00:00:00Z'), bucket: 'DAY' })).toMatch(/days/);
  });

  it('refuses an empty or backwards window and invalid dates', () => {
    const since = at('2026-01-02T00:00:00Z');
    expect(planStatsWindowIssue({ since, until: since, bucket: 'DAY' })).toBe('until must be after since.');
    expect(planStatsWindowIssue({ since, until: at('2026-01-01T00:00:00Z'), bucket: 'DAY' })).toBe(
      'until must be after since.',
    );
    expect(planStatsWindowIssue({ since, until: at('not a date'), bucket: 'DAY' })).toMatch(/valid date-times/);
  });
});
