import type { StatsBucket } from '../graphql/generated/graphql.ts';

// The time ranges the analytics page offers, and how its numbers read. Buckets are cut in UTC by
// the API, so labels are written in UTC too: a "day" is the same day for every viewer.

export const RANGES = {
  '24h': { label: 'Last 24 hours, by hour', hours: 24, bucket: 'HOUR' },
  '7d': { label: 'Last 7 days, by day', hours: 7 * 24, bucket: 'DAY' },
  '30d': { label: 'Last 30 days, by day', hours: 30 * 24, bucket: 'DAY' },
} as const satisfies Record<string, { label: string; hours: number; bucket: StatsBucket }>;
export type RangeKey = keyof typeof RANGES;
export const DEFAULT_RANGE: RangeKey = '7d';

export function isRangeKey(value: string | null): value is RangeKey {
  return value !== null && Object.hasOwn(RANGES, value);
}

/** The window a range covers, ending now (to the minute, so a re-render asks the same question). */
export function windowOf(range: RangeKey, now = new Date()): { since: string; until: string; bucket: StatsBucket } {
  const until = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
  const since = new Date(until.getTime() - RANGES[range].hours * 3_600_000);
  return { since: since.toISOString(), until: until.toISOString(), bucket: RANGES[range].bucket };
}

const HOUR_LABEL = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
const DAY_LABEL = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

/** A bucket's start as a short label: "5 Dec" for a day, "5 Dec, 14:00" for an hour. */
export function bucketLabel(start: string, bucket: StatsBucket): string {
  return (bucket === 'HOUR' ? HOUR_LABEL : DAY_LABEL).format(new Date(start));
}

/** Milliseconds as people read them: "340 ms", "1.2 s", "3.5 min"; an en dash when there is none. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A 0..1 share as a whole percentage; an en dash when there is none. */
export function formatRate(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 100)}%`;
}
