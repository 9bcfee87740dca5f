/**
 * Sub-plan steps (`type: "plan"`): the step starts a child execution of a named plan in the same
 * workspace, in the transaction that opens the step, and waits (WAITING) while it runs. A child's
 * end queues `weft.child-done` (store.ts `setExecutionStatus`); that job locks the parent alone
 * and finishes the step: the child's output, or its error (a retry starts a new child). Map items
 * that are sub-plans (map-step.ts) share `startChild` (child-runs.ts) and the job.
 */
import { ChildStartError, finishComposite, type Opened, startChild } from './child-runs.ts';
import { isComposite } from './composite-steps.ts';
import { mapItemDone, openMap } from './map-step.ts';
import type { LoadedPlan, Runtime } from './runtime.ts';
import { resolveInput } from './step-input.ts';
import { ACTIVE, appendEvents, type ExecutionRow, lockExecution, type NewEvent } from './store.ts';
import type { StepSpec, TenantClient } from './types.ts';

export interface ChildDoneJob {
  w: string;
  /** The parent execution, its step and map item (null: a sub-plan step), and the child. */
  e: string;
  s: string;
  i: number | null;
  c: string;
}

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
    const input = await resolveInput(client, exec, step);
    const childId = await startChild(rt, client, exec, step, null, input);
    events.push({ type: 'step.child_started', stepId: step.id, data: { executionId: childId } });
    return { status: 'WAITING' };
  } catch (error) {
    if (!(error instanceof ChildStartError)) throw error;
    await finishComposite(rt, client, exec, step.id, { ok: false, error: error.message }, events);
    return { status: 'FAILED', error: error.message };
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
  await rt.advance(client, exec);
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
      const input = await resolveInput(client, exec, step);
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
