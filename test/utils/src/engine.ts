import { randomUUID } from 'node:crypto';
import { type Pools, withTenant } from '@weft/db';
import {
  type EngineApi,
  type ExecutionMode,
  type ExecutionStatus,
  hashPlan,
  type PlanIssue,
  type PlanSpec,
  type ToolDefinition,
  validatePlanSpec,
} from '@weft/engine';

/** A workspace with one admin user, made through the RLS-bound app pool. */
export async function createWorkspace(pools: Pools, slug = `ws-${randomUUID().slice(0, 8)}`) {
  const workspaceId = randomUUID();
  const userId = randomUUID();
  await pools.owner.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [
    userId,
    `${userId}@example.test`,
  ]);
  await withTenant(pools.app, { workspaceId, userId }, async (client) => {
    await client.query('INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3)', [workspaceId, slug, slug]);
    await client.query(`INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, 'ADMIN')`, [
      workspaceId,
      userId,
    ]);
  });
  return { workspaceId, userId };
}

/** A plan with one version holding `spec`; returns the version's id. */
export async function createPlanVersion(pools: Pools, workspaceId: string, spec: PlanSpec): Promise<string> {
  return withTenant(pools.app, { workspaceId }, async (client) => {
    const { rows: plans } = await client.query<{ id: string }>(
      'INSERT INTO plans (workspace_id, name, latest_version) VALUES ($1, $2, 1) RETURNING id',
      [workspaceId, `${spec.name ?? 'plan'}-${randomUUID().slice(0, 8)}`],
    );
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO plan_versions (workspace_id, plan_id, number, spec, content_hash)
       VALUES ($1, $2, 1, $3, $4) RETURNING id`,
      [workspaceId, plans[0]?.id, JSON.stringify(spec), hashPlan(spec)],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('no plan version');
    return id;
  });
}

/**
 * Saves `spec` as a new plan version of the workspace and starts it there as the workspace's admin
 * (what most engine tests do before they look at a run); returns the execution's id.
 */
export async function startRun(
  pools: Pools,
  engine: Pick<EngineApi, 'startExecution'>,
  ws: { workspaceId: string; userId: string },
  spec: PlanSpec,
  options: { input?: unknown; mode?: ExecutionMode } = {},
): Promise<string> {
  const planVersionId = await createPlanVersion(pools, ws.workspaceId, spec);
  const { executionId } = await withTenant(pools.app, { workspaceId: ws.workspaceId }, (client) =>
    engine.startExecution(client, ws.workspaceId, {
      planVersionId,
      input: options.input ?? {},
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      actor: { userId: ws.userId, role: 'ADMIN' },
    }),
  );
  return executionId;
}

export interface ExecutionSnapshot {
  status: ExecutionStatus;
  output: unknown;
  error: string | null;
  context: Record<string, unknown>;
  steps: Record<string, { status: string; attempts: number; output: unknown; error: string | null; cacheHit: boolean }>;
  events: Array<{ seq: number; type: string; stepId: string | null; data: unknown }>;
}

/** Everything about an execution, read through RLS. */
export async function readExecution(
  pools: Pools,
  workspaceId: string,
  executionId: string,
): Promise<ExecutionSnapshot> {
  return withTenant(pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{
      status: ExecutionStatus;
      output: unknown;
      error: string | null;
      context: Record<string, unknown>;
    }>('SELECT status, output, error, context FROM executions WHERE id = $1', [executionId]);
    const exec = rows[0];
    if (exec === undefined) throw new Error(`execution ${executionId} not found`);
    const steps = await client.query<{
      step_id: string;
      status: string;
      attempts: number;
      output: unknown;
      error: string | null;
      cache_hit: boolean;
    }>('SELECT step_id, status, attempts, output, error, cache_hit FROM step_runs WHERE execution_id = $1', [
      executionId,
    ]);
    const events = await client.query<{ seq: number; type: string; step_id: string | null; data: unknown }>(
      'SELECT seq, type, step_id, data FROM execution_events WHERE execution_id = $1 ORDER BY seq',
      [executionId],
    );
    return {
      ...exec,
      steps: Object.fromEntries(
        steps.rows.map((s) => [
          s.step_id,
          { status: s.status, attempts: s.attempts, output: s.output, error: s.error, cacheHit: s.cache_hit },
        ]),
      ),
      events: events.rows.map((e) => ({ seq: e.seq, type: e.type, stepId: e.step_id, data: e.data })),
    };
  });
}

/** Polls until the execution reaches one of `statuses` (or throws with what it saw last). */
export async function waitForExecution(
  pools: Pools,
  workspaceId: string,
  executionId: string,
  statuses: ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK'],
  timeoutMs = 20_000,
): Promise<ExecutionSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: ExecutionSnapshot | undefined;
  while (Date.now() < deadline) {
    last = await readExecution(pools, workspaceId, executionId);
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `execution did not reach ${statuses.join('|')} within ${timeoutMs} ms: ${JSON.stringify(last?.status)} ${JSON.stringify(last?.steps)}`,
  );
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/**
 * The engine's plan validator (`validatePlanSpec`) over a planner catalogue, whose entries carry
 * no version or code: each becomes a definition at version 1.0.0 that is never run.
 */
export function engineValidatorFor(
  tools: ReadonlyArray<Pick<ToolDefinition, 'name' | 'description' | 'inputSchema' | 'outputSchema'>>,
): (spec: PlanSpec) => Promise<PlanIssue[]> {
  const definitions: ToolDefinition[] = tools.map((tool) => ({
    ...tool,
    version: '1.0.0',
    run: async () => {
      throw new Error(`${tool.name} is a catalogue entry: it validates plans and is never run`);
    },
  }));
  return async (spec) => validatePlanSpec(spec, definitions).issues;
}
