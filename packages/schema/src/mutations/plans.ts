import { hashPlan } from '@weft/engine';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer, type SchemaContext } from '../context.ts';
import { notFound, SchemaErrorCode, type UserError, userError } from '../errors.ts';
import { encodeTenantId, parseId, parseTenantId } from '../ids.ts';
import { specSizeErrors } from '../input-size.ts';
import { COLUMNS, type PlanRow, type PlanVersionRow, toRow } from '../rows.ts';
import { PlanRef, PlanVersionRef } from '../types/refs.ts';
import { planReferenceErrors } from './plan-references.ts';

interface PlanShape {
  plan?: PlanRow | null;
  version?: PlanVersionRow | null;
  userErrors: UserError[];
}
const PlanPayload = builder.objectRef<PlanShape>('PlanPayload').implement({
  fields: (t) => ({
    plan: t.field({ type: PlanRef, nullable: true, resolve: (p) => p.plan ?? null }),
    version: t.field({ type: PlanVersionRef, nullable: true, resolve: (p) => p.version ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const CreatePlanInput = builder.inputType('CreatePlanInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    name: t.string({ required: true }),
    spec: t.field({ type: 'JSON', required: true }),
    message: t.string({ required: false }),
  }),
});
const UpdatePlanInput = builder.inputType('UpdatePlanInput', {
  fields: (t) => ({
    planId: t.id({ required: true }),
    spec: t.field({ type: 'JSON', required: true }),
    message: t.string({ required: false }),
  }),
});

/**
 * The injected validator (the engine's); issues become userErrors under `spec`. The size limits
 * come first, whatever validator is injected, so an oversized spec costs one walk.
 */
async function validate(
  ctx: SchemaContext,
  workspaceId: string,
  spec: unknown,
  selfName: string | null = null,
): Promise<UserError[]> {
  const tooLarge = specSizeErrors(spec);
  if (tooLarge.length > 0) return tooLarge;
  const { spec: valid, issues } = await ctx.options.validatePlan(workspaceId, spec);
  if (valid !== null) return planReferenceErrors(ctx, workspaceId, valid, selfName);
  return issues.map((i) => userError(i.code, ['spec', ...i.path], i.message));
}

function checkMessage(message: string | null | undefined): UserError[] {
  return message !== null && message !== undefined && message.length > 2000
    ? [userError(SchemaErrorCode.INVALID_INPUT, ['message'], 'Keep the message under 2000 characters.')]
    : [];
}

builder.mutationFields((t) => ({
  createPlan: t.field({
    type: PlanPayload,
    authScopes: canIn(MUTATION_PERMISSIONS.createPlan, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    args: { input: t.arg({ type: CreatePlanInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<PlanShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const name = input.name.trim();
      const errors: UserError[] = [];
      if (name.length < 1 || name.length > 200)
        errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['name'], 'Name the plan (1 to 200 characters).'));
      errors.push(...checkMessage(input.message), ...(await validate(ctx, workspaceId, input.spec, name)));
      if (errors.length > 0) return { userErrors: errors };
      return inTenant(ctx, workspaceId, async (client) => {
        const { rows } = await client.query(
          `INSERT INTO plans (workspace_id, name, latest_version, created_by) VALUES ($1, $2, 1, $3)
           ON CONFLICT (workspace_id, name) DO NOTHING RETURNING ${COLUMNS.plan}`,
          [workspaceId, name, viewer.userId],
        );
        const planRow = rows[0];
        if (planRow === undefined)
          return { userErrors: [userError(SchemaErrorCode.TAKEN, ['name'], `A plan named "${name}" exists.`)] };
        const plan = toRow<PlanRow>(planRow);
        const hash = hashPlan(input.spec);
        const { rows: versions } = await client.query(
          `INSERT INTO plan_versions (workspace_id, plan_id, number, parent_number, spec, content_hash, message, created_by)
           VALUES ($1, $2, 1, NULL, $3, $4, $5, $6) RETURNING ${COLUMNS.planVersion}`,
          [workspaceId, plan.id, JSON.stringify(input.spec), hash, input.message ?? null, viewer.userId],
        );
        const version = versions[0] ? toRow<PlanVersionRow>(versions[0]) : null;
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'plan.create',
          targetId: encodeTenantId('Plan', workspaceId, plan.id),
          targetLabel: name,
          after: { name, version: 1, contentHash: hash },
        });
        return { plan, version, userErrors: [] };
      });
    },
  }),
  updatePlan: t.field({
    type: PlanPayload,
    description: 'Saves a new immutable version of the plan.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.updatePlan,
      (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
    ),
    args: { input: t.arg({ type: UpdatePlanInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<PlanShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id: planId } = parseTenantId(String(input.planId), 'Plan');
      const exists = await inTenant(ctx, workspaceId, (client) =>
        client.query<{ name: string }>('SELECT name FROM plans WHERE id = $1', [planId]),
      );
      const self = exists.rows[0];
      if (self === undefined) throw notFound();
      const errors = [...checkMessage(input.message), ...(await validate(ctx, workspaceId, input.spec, self.name))];
      if (errors.length > 0) return { userErrors: errors };
      return inTenant(ctx, workspaceId, async (client) => {
        // The row lock orders concurrent saves: each gets the next number, none is lost.
        const { rows } = await client.query<{ latest_version: number }>(
          'SELECT latest_version FROM plans WHERE id = $1 FOR UPDATE',
          [planId],
        );
        const latest = rows[0]?.latest_version;
        if (latest === undefined) throw notFound();
        const number = latest + 1;
        const hash = hashPlan(input.spec);
        const { rows: versions } = await client.query(
          `INSERT INTO plan_versions (workspace_id, plan_id, number, parent_number, spec, content_hash, message, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS.planVersion}`,
          [workspaceId, planId, number, latest, JSON.stringify(input.spec), hash, input.message ?? null, viewer.userId],
        );
        const { rows: plans } = await client.query(
          `UPDATE plans SET latest_version = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS.plan}`,
          [planId, number],
        );
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'plan.update',
          targetId: encodeTenantId('Plan', workspaceId, planId),
          targetLabel: self.name,
          before: { version: latest },
          after: { version: number, contentHash: hash },
        });
        return {
          plan: plans[0] ? toRow<PlanRow>(plans[0]) : null,
          version: versions[0] ? toRow<PlanVersionRow>(versions[0]) : null,
          userErrors: [],
        };
      });
    },
  }),
}));
