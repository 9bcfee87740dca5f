/**
 * What sub-plan steps (sub-plans.ts) and map steps (map-step.ts) share: starting a child run for
 * a step or an item, and ending a WAITING composite step. Kept apart so that sub-plans.ts, which
 * opens map steps, and map-step.ts, which starts children, both import it rather than each other.
 */
import type { LoadedPlan, Runtime } from './runtime.ts';
import { insertAndStart } from './start-execution.ts';
import type { ExecutionRow, NewEvent } from './store.ts';
import type { PlanSpec, StepSpec, TenantClient } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

/** @public How deep runs may nest (a top-level run is depth 0), unless `EngineOptions.maxPlanDepth` says. */
export const DEFAULT_MAX_PLAN_DEPTH = 5;

/** A child could not start (missing plan, invalid version, too deep): the step or item fails with it. */
export class ChildStartError extends Error {
  override name = 'ChildStartError';
}

/** Starts a child execution of `planName` for a step (or map item) of `exec`; returns its id. */
export async function startChild(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  item: number | null,
  input: unknown,
): Promise<string> {
  const name = step.plan ?? '';
  const { rows: depths } = await client.query<{ depth: number }>('SELECT depth FROM executions WHERE id = $1', [
    exec.id,
  ]);
  const depth = (depths[0]?.depth ?? 0) + 1;
  if (depth > rt.maxPlanDepth) {
    throw new ChildStartError(
      `sub-plan "${name}" not started: runs may nest at most ${rt.maxPlanDepth} deep (does a plan call itself through others?)`,
    );
  }
  const { rows } = await client.query<{ id: string; number: number; spec: PlanSpec }>(
    `SELECT v.id, v.number, v.spec FROM plans p
       JOIN plan_versions v ON v.workspace_id = p.workspace_id AND v.plan_id = p.id
      WHERE p.name = $1 AND ($2::int IS NULL OR v.number = $2)
      ORDER BY v.number DESC LIMIT 1`,
    [name, step.version ?? null],
  );
  const version = rows[0];
  if (version === undefined) {
    throw new ChildStartError(
      step.version === undefined
        ? `no plan "${name}" in this workspace`
        : `plan "${name}" has no version ${step.version}`,
    );
  }
  let plan: LoadedPlan | undefined = rt.plans.peek(exec.workspace_id, version.id);
  if (plan === undefined) {
    const checked = validatePlanSpec(version.spec, await rt.registry.list(exec.workspace_id));
    if (checked.spec === null) {
      const issues = checked.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ChildStartError(`plan "${name}" version ${version.number} cannot run: ${issues}`);
    }
    plan = rt.plans.remember(exec.workspace_id, version.id, checked.spec);
  }
  const child = await insertAndStart(rt, client, plan, {
    workspaceId: exec.workspace_id,
    planVersionId: version.id,
    mode: exec.mode,
    input,
    userId: null,
    traceId: null,
    traceParent: exec.trace_parent ?? null,
    parent: { executionId: exec.id, stepId: step.id, item, depth },
  });
  if (child === null) throw new ChildStartError(`no plan "${name}" in this workspace`);
  return child.id;
}

/** What opening a plan or map step came to: waiting for its children, or already finished. */
export type Opened = { status: 'WAITING' } | { status: 'SUCCEEDED' } | { status: 'FAILED'; error: string };

/** Ends a WAITING plan or map step with its output or error, and its event. */
export async function finishComposite(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  stepId: string,
  outcome: { ok: true; output: unknown } | { ok: false; error: string },
  events: NewEvent[],
): Promise<void> {
  let result = outcome;
  if (result.ok) {
    const bytes = Buffer.byteLength(JSON.stringify(result.output ?? null));
    if (bytes > rt.maxOutputBytes) {
      result = { ok: false, error: `output of ${bytes} bytes exceeds the limit of ${rt.maxOutputBytes} bytes` };
    }
  }
  if (result.ok) {
    await client.query(
      `UPDATE step_runs SET status = 'SUCCEEDED', output = $3::jsonb, error = NULL, finished_at = now()
        WHERE execution_id = $1 AND step_id = $2 AND status = 'WAITING'`,
      [exec.id, stepId, JSON.stringify(result.output ?? null)],
    );
    events.push({ type: 'step.succeeded', stepId, data: { output: result.output ?? null } });
  } else {
    await client.query(
      `UPDATE step_runs SET status = 'FAILED', error = $3, finished_at = now()
        WHERE execution_id = $1 AND step_id = $2 AND status = 'WAITING'`,
      [exec.id, stepId, result.error],
    );
    events.push({ type: 'step.failed', stepId, data: { error: result.error } });
  }
}
