/** A step's input with its `{{ }}` references resolved against the run's current state. */
import type { ExecutionRow } from './store.ts';
import { referencedSteps, resolveTemplates } from './templates.ts';
import type { StepSpec, TenantClient } from './types.ts';

export interface TemplateScope {
  input: unknown;
  steps: Record<string, unknown>;
  context: Record<string, unknown>;
}

/**
 * The run's input and context and the outputs of only the steps `values` reference: every
 * template of a step (input, `over`, `until`, `match`) resolves against this one scope.
 */
export async function templateScope(
  client: TenantClient,
  exec: ExecutionRow,
  ...values: unknown[]
): Promise<TemplateScope> {
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

export async function resolveInput(client: TenantClient, exec: ExecutionRow, step: StepSpec): Promise<unknown> {
  return resolveTemplates(step.input ?? {}, await templateScope(client, exec, step.input));
}
