import { createHash } from 'node:crypto';
import type { Queryable } from '@weft/db';

/**
 * Writes past runs straight into the tables the engine fills (plans, plan_versions, executions,
 * step_runs, step_attempts), for tests of code that reads run history. Call inside `withTenant`.
 */

export interface SeedAttempt {
  status: 'SUCCEEDED' | 'FAILED' | 'LOST' | 'CANCELLED';
  durationMs: number;
  cacheHit?: boolean;
}

export interface SeedStep {
  stepId: string;
  tool: string;
  attempts: SeedAttempt[];
}

export interface SeedExecution {
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'RUNNING' | 'QUEUED';
  startedAt?: Date;
  /** Defaults to startedAt plus the steps' durations for finished executions. */
  finishedAt?: Date | null;
  /** Run one after another, in this order. */
  steps?: SeedStep[];
}

/** A plan with `versions` versions (numbers 1..n); returns their ids in order. */
export async function seedPlan(
  client: Queryable,
  workspaceId: string,
  name: string,
  versions = 1,
): Promise<{ planId: string; versionIds: string[] }> {
  const { rows } = await client.query<{ id: string }>(
    'INSERT INTO plans (workspace_id, name, latest_version) VALUES ($1, $2, $3) RETURNING id',
    [workspaceId, name, versions],
  );
  const planId = rows[0]?.id ?? '';
  const versionIds: string[] = [];
  for (let number = 1; number <= versions; number++) {
    const spec = { name, steps: [{ id: 'noop', tool: 'core.echo', input: { number } }] };
    const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO plan_versions (workspace_id, plan_id, number, parent_number, spec, content_hash)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [workspaceId, planId, number, number > 1 ? number - 1 : null, spec, hash],
    );
    versionIds.push(inserted.rows[0]?.id ?? '');
  }
  return { planId, versionIds };
}

/** One execution of a plan version with its step runs and attempts; returns its id. */
export async function seedExecution(
  client: Queryable,
  workspaceId: string,
  plan: { planId: string; versionId: string },
  execution: SeedExecution,
): Promise<string> {
  const startedAt = execution.startedAt ?? new Date(Date.now() - 60_000);
  const steps = execution.steps ?? [];
  const total = steps.reduce((ms, s) => ms + s.attempts.reduce((n, a) => n + a.durationMs, 0), 0);
  const finished = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(execution.status);
  const finishedAt =
    execution.finishedAt !== undefined ? execution.finishedAt : finished ? new Date(startedAt.getTime() + total) : null;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, created_at, started_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id`,
    [workspaceId, plan.planId, plan.versionId, execution.status, startedAt, finishedAt],
  );
  const executionId = rows[0]?.id ?? '';
  let clock = startedAt.getTime();
  for (const step of steps) {
    const stepStart = clock;
    for (const [i, attempt] of step.attempts.entries()) {
      await client.query(
        `INSERT INTO step_attempts (workspace_id, execution_id, step_id, attempt, fence, status, tool, cache_hit,
                                    started_at, finished_at, duration_ms)
         VALUES ($1, $2, $3, $4::int, $4::bigint, $5, $6, $7, $8, $9, $10)`,
        [
          workspaceId,
          executionId,
          step.stepId,
          i + 1,
          attempt.status,
          step.tool,
          attempt.cacheHit ?? false,
          new Date(clock),
          new Date(clock + attempt.durationMs),
          attempt.durationMs,
        ],
      );
      clock += attempt.durationMs;
    }
    const last = step.attempts.at(-1)?.status ?? 'SUCCEEDED';
    const status = last === 'LOST' ? 'FAILED' : last;
    await client.query(
      `INSERT INTO step_runs (workspace_id, execution_id, step_id, status, attempts, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [workspaceId, executionId, step.stepId, status, step.attempts.length, new Date(stepStart), new Date(clock)],
    );
  }
  return executionId;
}
