import type { Queryable } from '@weft/db';

/** A workspace over its daily LLM token quota: nothing may be sent to the provider until `resetsAt`. */
export interface LlmQuotaExceeded {
  code: 'LLM_QUOTA_EXCEEDED';
  message: string;
  limit: number;
  used: number;
  /** The next UTC midnight, when the day's count starts again. */
  resetsAt: Date;
}

// The day is the UTC date of the database's clock: every API and worker process agrees on it.
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

/**
 * Null when the workspace may still call the model today, otherwise why not. `limit` 0 means no
 * limit. `client` must be inside the workspace's tenant transaction. Calls already in flight are
 * counted when they finish, so concurrent calls can overshoot the limit by their own usage; the
 * next call after that is refused.
 */
export async function checkLlmQuota(
  client: Queryable,
  workspaceId: string,
  limit: number,
): Promise<LlmQuotaExceeded | null> {
  if (limit <= 0) return null;
  const { rows } = await client.query<{ used: string | null; resets_at: Date }>(
    `SELECT (SELECT tokens FROM llm_usage_daily WHERE workspace_id = $1 AND day = ${TODAY}) AS used,
            ((${TODAY} + 1)::timestamp AT TIME ZONE 'UTC') AS resets_at`,
    [workspaceId],
  );
  const used = Number(rows[0]?.used ?? 0);
  if (used < limit) return null;
  const resetsAt = rows[0]?.resets_at ?? new Date();
  return {
    code: 'LLM_QUOTA_EXCEEDED',
    message: `this workspace has used its ${limit} LLM tokens for today; the quota resets at ${resetsAt.toISOString()}`,
    limit,
    used,
    resetsAt,
  };
}

/** Adds the tokens a call used to the workspace's count for today, atomically (one upsert). */
export async function addLlmTokens(client: Queryable, workspaceId: string, tokens: number): Promise<void> {
  if (!(tokens > 0)) return;
  await client.query(
    `INSERT INTO llm_usage_daily (workspace_id, day, tokens) VALUES ($1, ${TODAY}, $2)
     ON CONFLICT (workspace_id, day) DO UPDATE SET tokens = llm_usage_daily.tokens + EXCLUDED.tokens`,
    [workspaceId, Math.round(tokens)],
  );
}
