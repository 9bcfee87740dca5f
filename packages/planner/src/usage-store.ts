import type { Queryable } from '@weft/db';
import type { TokenUsage } from './types.ts';

export interface UsageRecord {
  model: string;
  /** `OK` or the error code of the draft. */
  outcome: string;
  attempts: number;
  usage: TokenUsage;
}

/** Stores one draft's token usage; `client` must be inside the workspace's tenant transaction. */
export async function recordPlannerUsage(client: Queryable, workspaceId: string, record: UsageRecord): Promise<void> {
  await client.query(
    `INSERT INTO planner_usage (workspace_id, model, outcome, attempts, requests, prompt_tokens, completion_tokens, total_tokens)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      workspaceId,
      record.model,
      record.outcome,
      record.attempts,
      record.usage.requests,
      record.usage.promptTokens,
      record.usage.completionTokens,
      record.usage.totalTokens,
    ],
  );
}

/** Token totals of a workspace since a moment (default: all time). */
export async function plannerUsageTotals(
  client: Queryable,
  since?: Date,
): Promise<{ drafts: number; promptTokens: number; completionTokens: number; totalTokens: number }> {
  const { rows } = await client.query<{ drafts: string; prompt: string; completion: string; total: string }>(
    `SELECT count(*) AS drafts, coalesce(sum(prompt_tokens), 0) AS prompt,
            coalesce(sum(completion_tokens), 0) AS completion, coalesce(sum(total_tokens), 0) AS total
       FROM planner_usage WHERE ($1::timestamptz IS NULL OR created_at >= $1)`,
    [since ?? null],
  );
  const row = rows[0];
  return {
    drafts: Number(row?.drafts ?? 0),
    promptTokens: Number(row?.prompt ?? 0),
    completionTokens: Number(row?.completion ?? 0),
    totalTokens: Number(row?.total ?? 0),
  };
}
