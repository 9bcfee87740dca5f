/**
 * Re-running a run from one of its steps: that step and everything downstream of it run again;
 * every other step that SUCCEEDED in the old run starts SUCCEEDED in the new one with the same
 * output (no call, no attempt), so `advance` dispatches from the chosen step on.
 */
import { EngineError } from './errors.ts';
import type { LoadedPlan } from './runtime.ts';
import type { TenantClient } from './types.ts';

/** `stepId` and every step that depends on it, directly or not. */
export function downstreamOf(plan: LoadedPlan, stepId: string): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const [id, deps] of plan.deps) {
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), id]);
  }
  const seen = new Set<string>([stepId]);
  const queue = [stepId];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const child of dependents.get(next) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return seen;
}

/** The outputs the new run takes over from `from.executionId`, by step id (read under the caller's RLS). */
export async function reusedOutputs(
  client: TenantClient,
  plan: LoadedPlan,
  from: { executionId: string; stepId: string },
): Promise<Record<string, unknown>> {
  if (!plan.steps.has(from.stepId)) throw new EngineError('NOT_FOUND', `the plan has no step "${from.stepId}"`);
  const rerun = downstreamOf(plan, from.stepId);
  const { rows } = await client.query<{ step_id: string; output: unknown }>(
    `SELECT step_id, output FROM step_runs WHERE execution_id = $1 AND status = 'SUCCEEDED'`,
    [from.executionId],
  );
  const reused: Record<string, unknown> = {};
  for (const row of rows) {
    if (plan.steps.has(row.step_id) && !rerun.has(row.step_id)) reused[row.step_id] = row.output;
  }
  return reused;
}
