/**
 * Branches: which PENDING steps `advance` switches off before it dispatches. A step whose `if` is
 * false, or that has no `if` and a SKIPPED dependency, becomes SKIPPED (`step.skipped`); an `if`
 * that cannot be evaluated fails its step. A FAILED step with `continueOnError` counts as done for
 * its dependents (they read `null` for its output) and does not fail the run.
 */
import { conditionSteps, evaluateCondition } from './conditions.ts';
import type { LoadedPlan } from './runtime.ts';
import type { ExecutionRow, NewEvent, OpenStep } from './store.ts';
import type { TenantClient } from './types.ts';

/** Whether a step's unfinished row still holds back its dependents (a step without a row has SUCCEEDED). */
export function holdsBack(plan: LoadedPlan, row: OpenStep | undefined): boolean {
  if (row === undefined || row.status === 'SKIPPED') return false;
  return !(row.status === 'FAILED' && plan.steps.get(row.step_id)?.continueOnError === true);
}

/** Whether an unfinished row fails the run (a FAILED step without `continueOnError`, or a CANCELLED one). */
export function failsRun(plan: LoadedPlan, row: OpenStep): boolean {
  if (row.status === 'CANCELLED') return true;
  return row.status === 'FAILED' && plan.steps.get(row.step_id)?.continueOnError !== true;
}

const hasConditions = new WeakMap<LoadedPlan, boolean>();

function planHasConditions(plan: LoadedPlan): boolean {
  let known = hasConditions.get(plan);
  if (known === undefined) {
    known = plan.spec.steps.some((s) => s.if !== undefined);
    hasConditions.set(plan, known);
  }
  return known;
}

/**
 * Decides the PENDING steps whose dependencies are all done, in dependency order so that a skip
 * reaches the whole branch in one pass. Writes their new status, updates `unfinished` to match and
 * returns their events; the caller holds the execution's lock and appends them. Nothing is decided
 * while a step fails the run (no step starts after a failure).
 */
export async function settleBranches(
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  unfinished: Map<string, OpenStep>,
): Promise<NewEvent[]> {
  // Without any `if` nothing is ever skipped: the common plan pays nothing here.
  if (!planHasConditions(plan)) return [];
  for (const row of unfinished.values()) if (failsRun(plan, row)) return [];
  const events: NewEvent[] = [];
  const skipped: string[] = [];
  const failed: Array<{ id: string; error: string }> = [];
  for (const id of plan.order) {
    const row = unfinished.get(id);
    if (row?.status !== 'PENDING') continue;
    const deps = plan.deps.get(id) ?? [];
    if (deps.some((d) => holdsBack(plan, unfinished.get(d)))) continue;
    const condition = plan.steps.get(id)?.if;
    if (condition === undefined) {
      const off = deps.find((d) => unfinished.get(d)?.status === 'SKIPPED');
      if (off === undefined) continue;
      row.status = 'SKIPPED';
      skipped.push(id);
      events.push({ type: 'step.skipped', stepId: id, data: { reason: 'dependency', dependency: off } });
      continue;
    }
    let decision: boolean;
    try {
      decision = evaluateCondition(condition, await conditionScope(client, exec, condition, unfinished));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      row.status = 'FAILED';
      row.error = message;
      failed.push({ id, error: message });
      events.push({ type: 'step.failed', stepId: id, data: { attempt: 0, error: message, condition } });
      if (failsRun(plan, row)) break;
      continue;
    }
    if (!decision) {
      row.status = 'SKIPPED';
      skipped.push(id);
      events.push({ type: 'step.skipped', stepId: id, data: { reason: 'condition', condition } });
    }
  }
  if (skipped.length > 0) {
    await client.query(
      `UPDATE step_runs SET status = 'SKIPPED', finished_at = now()
        WHERE execution_id = $1 AND step_id = ANY($2::text[]) AND status = 'PENDING'`,
      [exec.id, skipped],
    );
  }
  for (const f of failed) {
    await client.query(
      `UPDATE step_runs SET status = 'FAILED', error = $3, finished_at = now()
        WHERE execution_id = $1 AND step_id = $2 AND status = 'PENDING'`,
      [exec.id, f.id, f.error],
    );
  }
  return events;
}

/**
 * The run as the expression sees it. Statuses come from `unfinished` where this pass has just
 * decided them (its writes go to the database at the end of the pass).
 */
async function conditionScope(
  client: TenantClient,
  exec: ExecutionRow,
  condition: string,
  unfinished: ReadonlyMap<string, OpenStep>,
): Promise<{
  input: unknown;
  context: Record<string, unknown>;
  steps: Record<string, { output: unknown; status: string }>;
}> {
  const refs = conditionSteps(condition);
  const steps: Record<string, { output: unknown; status: string }> = {};
  if (refs.length > 0) {
    const { rows } = await client.query<{ step_id: string; output: unknown; status: string }>(
      'SELECT step_id, output, status FROM step_runs WHERE execution_id = $1 AND step_id = ANY($2::text[])',
      [exec.id, refs],
    );
    for (const r of rows) {
      const decided = unfinished.get(r.step_id)?.status ?? r.status;
      steps[r.step_id] = { output: decided === r.status ? (r.output ?? null) : null, status: decided };
    }
  }
  return { input: exec.input, context: exec.context ?? {}, steps };
}
