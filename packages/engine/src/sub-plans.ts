/**
 * Sub-plan steps (`type: "plan"`): the step starts a child execution of a named plan in the same
 * workspace, in the transaction that opens the step, and waits (WAITING) while it runs. A child's
 * end queues `weft.child-done` (store.ts `setExecutionStatus`); that job locks the parent alone
 * and finishes the step: the child's output, or its error (a retry starts a new child). Map items
 * that are sub-plans (map-step.ts) share `startChild` and the job.
 */
import { isComposite } from './composite-steps.ts';
import { mapItemDone, openMap } from './map-step.ts';
import type { LoadedPlan, Runtime } from './runtime.ts';
import { advance } from './scheduler.ts';
import { insertAndStart } from './start-execution.ts';
import { ACTIVE, appendEvents, type ExecutionRow, lockExecution, type NewEvent } from './store.ts';
import { referencedSteps, resolveTemplates } from './templates.ts';
import type { PlanSpec, StepSpec, TenantClient } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

/** @public How deep runs may nest (a top-level run is depth 0), unless `EngineOptions.maxPlanDepth` says. */
export const DEFAULT_MAX_PLAN_DEPTH = 5;

/** A child could not start (missing plan, invalid version, too deep): the step or item fails with it. */
export class ChildStartError extends Error {
  override name = 'ChildStartError';
}

export interface ChildDoneJob {
  w: string;
  /** The parent execution, its step and map item (null: a sub-plan step), and the child. */
  e: string;
  s: string;
  i: number | null;
  c: string;
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

/** Outputs of the steps a value references, and the run's input and context, to resolve templates. */
export async function templateScope(
  client: TenantClient,
  exec: ExecutionRow,
  ...values: unknown[]
): Promise<{ input: unknown; steps: Record<string, unknown>; context: Record<string, unknown> }> {
  const refs = [...new Set(values.flatMap((v) => referencedSteps(v ?? {})))];
  const steps: Record<string, unknown> = {};
  if (refs.length > 0) {
    const { rows } = await client.query<{ step_id: string; output: unknown }>(
      'SELECT step_id, output FROM step_runs WHERE execution_id = $1 AND step_id = ANY($2::text[])',
      [exec.id, refs],
    );
    for (const r of rows) steps[r.step_id] = r.output;
  }
  return { input: exec.input, steps, context: exec.context ?? {} };
}

/** What opening a plan or map step came to: waiting for its children, or already finished. */
export type Opened = { status: 'WAITING' } | { status: 'SUCCEEDED' } | { status: 'FAILED'; error: string };

/**
 * Opens a PENDING plan or map step under the execution's lock: WAITING with `step.started`, and its
 * child run(s) started in this transaction. A child that cannot start fails the step at once.
 */
export async function openComposite(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  stepId: string,
  events: NewEvent[],
): Promise<Opened> {
  const step = plan.steps.get(stepId);
  if (step === undefined || !isComposite(step)) throw new Error(`step "${stepId}" is not a plan or map step`);
  const { rows } = await client.query<{ attempts: number }>(
    `UPDATE step_runs SET status = 'WAITING', attempts = attempts + 1, fence = fence + 1, error = NULL,
            started_at = coalesce(started_at, now()), finished_at = NULL
      WHERE execution_id = $1 AND step_id = $2 AND status = 'PENDING' RETURNING attempts`,
    [exec.id, stepId],
  );
  const attempt = rows[0]?.attempts ?? 1;
  events.push({ type: 'step.started', stepId, data: { attempt, kind: step.type === 'map' ? 'map' : 'plan' } });
  if (step.type === 'map') {
    return openMap(rt, client, exec, step, events);
  }
  return startSubPlan(rt, client, exec, step, events);
}

async function startSubPlan(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  events: NewEvent[],
): Promise<Opened> {
  try {
    const input = resolveTemplates(step.input ?? {}, await templateScope(client, exec, step.input));
    const childId = await startChild(rt, client, exec, step, null, input);
    events.push({ type: 'step.child_started', stepId: step.id, data: { executionId: childId } });
    return { status: 'WAITING' };
  } catch (error) {
    if (!(error instanceof ChildStartError)) throw error;
    await finishComposite(rt, client, exec, step.id, { ok: false, error: error.message }, events);
    return { status: 'FAILED', error: error.message };
  }
}

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

/** The `weft.child-done` job: a child run ended; its parent's step (or map item) takes the result. */
export async function childDone(rt: Runtime, client: TenantClient, job: ChildDoneJob): Promise<void> {
  const exec = await lockExecution(client, job.e);
  if (exec === null || !(ACTIVE.includes(exec.status) || exec.status === 'PAUSED')) return;
  const { rows } = await client.query<{ status: string; output: unknown; error: string | null }>(
    'SELECT status, output, error FROM executions WHERE id = $1',
    [job.c],
  );
  const child = rows[0];
  if (child === undefined) return;
  const plan = await rt.plans.load(client, exec.workspace_id, exec.plan_version_id);
  const step = plan.steps.get(job.s);
  if (step === undefined) return;
  const events: NewEvent[] = [];
  const outcome = childOutcome(step, child);
  if (job.i !== null) {
    if (!(await mapItemDone(rt, client, exec, step, job.i, { child: job.c }, outcome, events))) return;
  } else if (!(await subPlanDone(rt, client, exec, step, job.c, outcome, events))) return;
  await appendEvents(client, exec.workspace_id, exec.id, events);
  await advance(rt, client, exec);
}

function childOutcome(
  step: StepSpec,
  child: { status: string; output: unknown; error: string | null },
): { ok: true; output: unknown } | { ok: false; error: string } {
  if (child.status === 'SUCCEEDED') return { ok: true, output: child.output };
  if (child.status === 'CANCELLED') return { ok: false, error: `sub-plan "${step.plan}" was cancelled` };
  return { ok: false, error: `sub-plan "${step.plan}" failed: ${child.error ?? 'unknown error'}` };
}

/** Applies a child's end to its WAITING sub-plan step; false when it is stale (nothing written). */
async function subPlanDone(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  childId: string,
  outcome: { ok: true; output: unknown } | { ok: false; error: string },
  events: NewEvent[],
): Promise<boolean> {
  // Only the step's latest child counts: an earlier attempt's child may end late.
  const { rows } = await client.query<{ status: string; attempts: number; attempt_base: number; latest: string }>(
    `SELECT r.status, r.attempts, r.attempt_base,
            (SELECT id FROM executions WHERE parent_execution_id = r.execution_id AND parent_step_id = r.step_id
                AND parent_item IS NULL ORDER BY created_at DESC, id DESC LIMIT 1) AS latest
       FROM step_runs r WHERE r.execution_id = $1 AND r.step_id = $2 FOR UPDATE`,
    [exec.id, step.id],
  );
  const run = rows[0];
  if (run === undefined || run.status !== 'WAITING' || run.latest !== childId) return false;
  const maxAttempts = step.retry?.maxAttempts ?? 1;
  if (!outcome.ok && run.attempts - run.attempt_base < maxAttempts) {
    await client.query('UPDATE step_runs SET attempts = attempts + 1 WHERE execution_id = $1 AND step_id = $2', [
      exec.id,
      step.id,
    ]);
    events.push({ type: 'step.retrying', stepId: step.id, data: { error: outcome.error, attempt: run.attempts + 1 } });
    try {
      const input = resolveTemplates(step.input ?? {}, await templateScope(client, exec, step.input));
      const next = await startChild(rt, client, exec, step, null, input);
      events.push({ type: 'step.child_started', stepId: step.id, data: { executionId: next } });
      return true;
    } catch (error) {
      if (!(error instanceof ChildStartError)) throw error;
      await finishComposite(rt, client, exec, step.id, { ok: false, error: error.message }, events);
      return true;
    }
  }
  await finishComposite(rt, client, exec, step.id, outcome, events);
  return true;
}
