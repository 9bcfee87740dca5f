/**
 * Sub-plan references of a plan being saved: every `plan` a plan or map step names must be a plan
 * of the workspace, and not the plan itself. The engine's validator sees one spec alone, so this
 * check lives where the workspace's plans can be read (RLS-scoped: another workspace's plan of the
 * same name does not count). A plan deleted later fails its caller's step at run time instead.
 */
import type { PlanSpec } from '@weft/engine';
import { inTenant, type SchemaContext } from '../context.ts';
import { type UserError, userError } from '../errors.ts';

export async function planReferenceErrors(
  ctx: SchemaContext,
  workspaceId: string,
  spec: PlanSpec,
  selfName: string | null,
): Promise<UserError[]> {
  const named = spec.steps.flatMap((step, i) => (step.plan === undefined ? [] : [{ i, name: step.plan }]));
  if (named.length === 0) return [];
  const found = await inTenant(ctx, workspaceId, async (client) => {
    const { rows } = await client.query<{ name: string }>('SELECT name FROM plans WHERE name = ANY($1::text[])', [
      [...new Set(named.map((n) => n.name))],
    ]);
    return new Set(rows.map((r) => r.name));
  });
  return named.flatMap(({ i, name }) => {
    const field = ['spec', 'steps', String(i), 'plan'];
    if (name === selfName) return [userError('SELF_REFERENCE', field, `Plan "${name}" cannot run itself.`)];
    if (!found.has(name)) return [userError('UNKNOWN_PLAN', field, `No plan "${name}" in this workspace.`)];
    return [];
  });
}
