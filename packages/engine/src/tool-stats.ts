import type { ToolStats } from './engine-api.ts';
import type { TenantClient } from './types.ts';

/** @public Which attempts `toolStats` counts (default: all). */
export interface ToolStatsWindow {
  /** Only attempts that started at or after this moment. */
  since?: Date;
  /** Only these tools (names without a version). */
  tools?: readonly string[];
}

/**
 * @public The one definition of a tool's record, per tool name (a pinned `name@range` counts under
 * its name), from the workspace's `step_attempts` in scope:
 * - calls: finished attempts of a step (SUCCEEDED, FAILED, or LOST when its worker died); running,
 *   cancelled and rejected attempts did not finish a call;
 * - failures: FAILED or LOST ones;
 * - retries: finished attempts after a step's first;
 * - p50/p95: duration of the SUCCEEDED and FAILED ones (a LOST attempt's duration is when it was
 *   noticed, not how long the tool took).
 * Cache hits did not call the tool and compensations are not the tool's own calls: both are left out.
 */
export async function toolStats(client: TenantClient, window: ToolStatsWindow = {}): Promise<ToolStats[]> {
  const { rows } = await client.query<{
    tool: string;
    calls: number;
    failures: number;
    retries: number;
    p50: number | null;
    p95: number | null;
  }>(
    `SELECT split_part(tool, '@', 1) AS tool,
            count(*)::int AS calls,
            count(*) FILTER (WHERE status IN ('FAILED', 'LOST'))::int AS failures,
            count(*) FILTER (WHERE attempt > 1)::int AS retries,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE status <> 'LOST') AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE status <> 'LOST') AS p95
       FROM step_attempts
      WHERE kind = 'run' AND tool IS NOT NULL AND status IN ('SUCCEEDED', 'FAILED', 'LOST') AND NOT cache_hit
        AND ($1::timestamptz IS NULL OR started_at >= $1)
        AND ($2::text[] IS NULL OR split_part(tool, '@', 1) = ANY ($2))
      GROUP BY 1 ORDER BY 1`,
    [window.since ?? null, window.tools === undefined ? null : [...window.tools]],
  );
  return rows.map((r) => ({
    tool: r.tool,
    calls: r.calls,
    failures: r.failures,
    retries: r.retries,
    p50Ms: r.p50 === null ? null : Number(r.p50),
    p95Ms: r.p95 === null ? null : Number(r.p95),
  }));
}
