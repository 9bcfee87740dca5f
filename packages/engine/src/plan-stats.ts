import type { TenantClient } from './types.ts';

/** @public The width of one `planStats` bucket. */
export type PlanStatsBucketSize = 'HOUR' | 'DAY';

/** @public The runs of one plan that `planStats` counts, and how it slices them. */
export interface PlanStatsWindow {
  planId: string;
  /** Runs created at or after this moment (rounded down to its bucket's start). */
  since: Date;
  /** Runs created before this moment. */
  until: Date;
  bucket: PlanStatsBucketSize;
}

/** @public One bucket of a plan's runs, by creation time (UTC bucket boundaries). */
export interface PlanStatsBucket {
  /** The bucket's first instant. */
  start: Date;
  /** Runs created in the bucket. */
  runs: number;
  /** Of those, the ones that reached a terminal state (SUCCEEDED, FAILED, CANCELLED, ROLLED_BACK). */
  finished: number;
  succeeded: number;
  /** FAILED or ROLLED_BACK (a rolled-back run failed first). */
  failed: number;
  /** Start-to-finish time of the finished runs. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/**
 * @public At most this many buckets per call: a month of hours, or two years of days. Bounds the
 * work one request can ask of the database and the size of its answer.
 */
export const PLAN_STATS_MAX_BUCKETS = 744;

// A day is stepped as 24 hours, not '1 day', so the series never depends on the session's time zone
// (a '1 day' step shifts by an hour across a daylight-saving change).
const STEP: Record<PlanStatsBucketSize, string> = { HOUR: '1 hour', DAY: '24 hours' };
const BUCKET_MS: Record<PlanStatsBucketSize, number> = { HOUR: 3_600_000, DAY: 86_400_000 };

// What a run counts as, written once for both statements (and the same as `compareVersions`):
// finished = terminal; failed = FAILED or ROLLED_BACK; durations of finished runs only
// (percentile_cont skips the NULLs of the others).
const TERMINAL_SQL = `('SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK')`;
const RUN_COLUMNS_SQL = `status,
       CASE WHEN finished_at IS NOT NULL AND started_at IS NOT NULL AND status IN ${TERMINAL_SQL}
            THEN extract(epoch FROM finished_at - started_at) * 1000 END AS ms`;
const AGGREGATES_SQL = `count(*)::int AS runs,
       count(*) FILTER (WHERE status IN ${TERMINAL_SQL})::int AS finished,
       count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS succeeded,
       count(*) FILTER (WHERE status IN ('FAILED', 'ROLLED_BACK'))::int AS failed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95`;

interface AggregateRow {
  runs: number;
  finished: number;
  succeeded: number;
  failed: number;
  p50: number | null;
  p95: number | null;
}

function counts(r: AggregateRow): Omit<PlanStatsBucket, 'start'> {
  return {
    runs: r.runs,
    finished: r.finished,
    succeeded: r.succeeded,
    failed: r.failed,
    p50Ms: r.p50 === null ? null : Number(r.p50),
    p95Ms: r.p95 === null ? null : Number(r.p95),
  };
}

/** @public Why a window cannot be asked for, or null when it can. The one rule for its bounds. */
export function planStatsWindowIssue(window: Omit<PlanStatsWindow, 'planId'>): string | null {
  const span = window.until.getTime() - window.since.getTime();
  if (!Number.isFinite(span)) return 'since and until must be valid date-times.';
  if (span <= 0) return 'until must be after since.';
  const buckets = Math.ceil(span / BUCKET_MS[window.bucket]);
  if (buckets > PLAN_STATS_MAX_BUCKETS) {
    return `That range holds ${buckets} ${window.bucket.toLowerCase()}s; ask for at most ${PLAN_STATS_MAX_BUCKETS} buckets.`;
  }
  return null;
}

/**
 * @public A plan's runs per hour or day over a window, every bucket present (empty ones with zero
 * runs), oldest first. Counted the way `compareVersions` counts a version's runs, so the two agree.
 * The workspace in scope (RLS) decides which runs exist; the caller checks the window first with
 * `planStatsWindowIssue`.
 */
export async function planStats(client: TenantClient, window: PlanStatsWindow): Promise<PlanStatsBucket[]> {
  const issue = planStatsWindowIssue(window);
  if (issue !== null) throw new RangeError(issue);
  const unit = window.bucket === 'HOUR' ? 'hour' : 'day';
  const { rows } = await client.query<AggregateRow & { start: Date }>(
    // Buckets are cut in UTC so that every viewer sees the same numbers for the same bucket. The
    // runs are read by (plan_id, created_at) through executions_plan_created_idx.
    `WITH created AS (
       SELECT date_trunc($3, created_at, 'UTC') AS start, ${RUN_COLUMNS_SQL}
         FROM executions
        WHERE plan_id = $4 AND created_at >= $1 AND created_at < $2
     ), totals AS (
       SELECT start, ${AGGREGATES_SQL} FROM created GROUP BY start
     )
     SELECT b.start, coalesce(t.runs, 0) AS runs, coalesce(t.finished, 0) AS finished,
            coalesce(t.succeeded, 0) AS succeeded, coalesce(t.failed, 0) AS failed, t.p50, t.p95
       FROM generate_series(date_trunc($3, $1::timestamptz, 'UTC'), $2::timestamptz - interval '1 microsecond',
                            $5::interval) AS b(start)
       LEFT JOIN totals t ON t.start = b.start
      ORDER BY b.start`,
    [window.since, window.until, unit, window.planId, STEP[window.bucket]],
  );
  return rows.map((r) => ({ start: r.start, ...counts(r) }));
}

/** @public One plan's runs over a window, as a whole. */
export interface PlanTotals extends Omit<PlanStatsBucket, 'start'> {
  planId: string;
}

/**
 * @public Every plan of the workspace in scope that has runs created in `[since, until)`, with
 * the same counts as `planStats`, most runs first. The window follows the DAY rule of
 * `planStatsWindowIssue` (at most 744 days).
 */
export async function planTotals(client: TenantClient, window: { since: Date; until: Date }): Promise<PlanTotals[]> {
  const issue = planStatsWindowIssue({ ...window, bucket: 'DAY' });
  if (issue !== null) throw new RangeError(issue);
  const { rows } = await client.query<AggregateRow & { plan_id: string }>(
    // Read through executions_created_idx (workspace_id, created_at), the workspace from RLS.
    `WITH created AS (
       SELECT plan_id, ${RUN_COLUMNS_SQL}
         FROM executions
        WHERE created_at >= $1 AND created_at < $2
     )
     SELECT plan_id, ${AGGREGATES_SQL} FROM created GROUP BY plan_id ORDER BY runs DESC, plan_id`,
    [window.since, window.until],
  );
  return rows.map((r) => ({ planId: r.plan_id, ...counts(r) }));
}
