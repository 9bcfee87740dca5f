/** A step's input with its `{{ }}` references resolved against the run's current state. */
import type { ExecutionRow } from './store.ts';
import { referencedSteps, resolveTemplates } from './templates.ts';
import type { StepSpec, TenantClient } from './types.ts';

export async function resolveInput(client: TenantClient, exec: ExecutionRow, step: StepSpec): Promise<unknown> {
  const refs = referencedSteps(step.input ?? {});
  const steps: Record<string, unknown> = {};
  if (refs.length > 0) {
    const { rows } = await client.query<{ step_id: string; output: unknown }>(
      'SELECT step_id, output FROM step_runs WHERE execution_id = $1 AND step_id = ANY($2::text[])',
      [exec.id, refs],
    );
    for (const r of rows) steps[r.step_id] = r.output;
  }
  return resolveTemplates(step.input ?? {}, { input: exec.input, steps, context: exec.context });
}
