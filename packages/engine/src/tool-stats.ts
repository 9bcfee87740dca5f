import type { ToolStats } from './engine-api.ts';
import type { TenantClient } from './types.ts';

/** Calls, failures, retries and latency percentiles per tool, from recorded attempts. */
export async function toolStats(client: TenantClient): Promise<ToolStats[]> {
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
            count(*) FILTER (WHERE status = 'FAILED')::int AS failures,
            count(*) FILTER (WHERE attempt > 1)::int AS retries,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
       FROM step_attempts
      WHERE kind = 'run' AND tool IS NOT NULL AND status IN ('SUCCEEDED', 'FAILED') AND NOT cache_hit
      GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({
    tool: r.tool,
    calls: r.calls,
    failures: r.failures,
    retries: r.retries,
    p50Ms: r.p50,
    p95Ms: r.p95,
  }));
}
