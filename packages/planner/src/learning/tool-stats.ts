import type { Queryable } from '@weft/db';
import { toolStats as engineToolStats, type ToolStats, type ToolStatsWindow } from '@weft/engine';

/** Per-tool record from step attempts: the engine's `ToolStats` plus the success rate. */
export interface ToolRecord extends ToolStats {
  successes: number;
  /** successes / calls, or null before the first finished call. */
  successRate: number | null;
}

/** Per step of a plan (plan, step id, tool): how its runs ended. */
export interface StepPatternRecord {
  planId: string;
  planName: string;
  stepId: string;
  tool: string;
  /** Step runs that finished (succeeded or failed). */
  runs: number;
  successes: number;
  failures: number;
  /** Extra attempts beyond the first, over all runs. */
  retries: number;
  successRate: number | null;
  /** Step run duration (all its attempts). */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Which history to learn from: the engine's window of tool statistics, applied to steps too. */
export type HistoryWindow = ToolStatsWindow;

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

/**
 * The engine's statistics of every tool in the workspace in scope (`toolStats` of `@weft/engine`:
 * the one definition of calls, failures, retries and latency), plus successes and success rate.
 * `client` must be inside the workspace's tenant transaction.
 */
export async function toolStats(client: Queryable, window: HistoryWindow = {}): Promise<ToolRecord[]> {
  return (await engineToolStats(client, window)).map((stats) => ({
    ...stats,
    successes: stats.calls - stats.failures,
    successRate: stats.calls === 0 ? null : (stats.calls - stats.failures) / stats.calls,
  }));
}

/** Statistics per step of each plan (across its versions), from `step_runs` and their attempts. */
export async function stepPatternStats(client: Queryable, window: HistoryWindow = {}): Promise<StepPatternRecord[]> {
  const { rows } = await client.query<{
    plan_id: string;
    plan_name: string;
    step_id: string;
    tool: string;
    runs: string;
    successes: string;
    failures: string;
    retries: string;
    p50: number | null;
    p95: number | null;
  }>(
    `WITH att AS (
       SELECT workspace_id, execution_id, step_id, max(tool) AS tool, count(*) AS attempts, sum(duration_ms) AS total_ms
         FROM step_attempts
        WHERE kind = 'run' AND tool IS NOT NULL AND NOT cache_hit
        GROUP BY workspace_id, execution_id, step_id
     )
     SELECT e.plan_id, p.name AS plan_name, r.step_id, att.tool,
            count(*) FILTER (WHERE r.status IN ('SUCCEEDED', 'FAILED')) AS runs,
            count(*) FILTER (WHERE r.status = 'SUCCEEDED') AS successes,
            count(*) FILTER (WHERE r.status = 'FAILED') AS failures,
            coalesce(sum(att.attempts - 1), 0) AS retries,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY att.total_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY att.total_ms) AS p95
       FROM step_runs r
       JOIN att ON att.workspace_id = r.workspace_id AND att.execution_id = r.execution_id AND att.step_id = r.step_id
       JOIN executions e ON e.workspace_id = r.workspace_id AND e.id = r.execution_id
       JOIN plans p ON p.workspace_id = e.workspace_id AND p.id = e.plan_id
      WHERE ($1::timestamptz IS NULL OR e.created_at >= $1)
        AND ($2::text[] IS NULL OR att.tool = ANY ($2))
      GROUP BY e.plan_id, p.name, r.step_id, att.tool
      ORDER BY p.name, r.step_id`,
    [window.since ?? null, window.tools ?? null],
  );
  return rows.map((r) => {
    const runs = Number(r.runs);
    const successes = Number(r.successes);
    return {
      planId: r.plan_id,
      planName: r.plan_name,
      stepId: r.step_id,
      tool: r.tool,
      runs,
      successes,
      failures: Number(r.failures),
      retries: Number(r.retries),
      successRate: runs === 0 ? null : successes / runs,
      p50Ms: num(r.p50),
      p95Ms: num(r.p95),
    };
  });
}
