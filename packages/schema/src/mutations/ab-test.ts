import { EngineError, EngineErrorCode } from '@weft/engine';
import { chooseVersion, compareVersions, type VersionResults } from '@weft/planner';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { runLabel, writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer, roleOf } from '../context.ts';
import { notFound, SchemaErrorCode, type UserError, userError } from '../errors.ts';
import { encodeTenantId, parseTenantId, tenantKey } from '../ids.ts';
import { inputSizeErrors } from '../input-size.ts';
import { COLUMNS, type ExecutionRow, type PlanVersionRow, toRow } from '../rows.ts';
import { ExecutionModeEnum } from '../types/execution.ts';
import { ExecutionRef, PlanRef, PlanVersionRef } from '../types/refs.ts';

// A/B testing of plan versions: a run picks version A or B by a share (sticky per `key`), and
// `Plan.compareVersions` reports how each version's runs went.

interface AbShape {
  execution?: ExecutionRow | null;
  version?: PlanVersionRow | null;
  arm?: 'A' | 'B' | null;
  userErrors: UserError[];
}

const AbArmEnum = builder.enumType('AbArm', { values: ['A', 'B'] as const });

const AbExecutionPayload = builder.objectRef<AbShape>('AbExecutionPayload').implement({
  fields: (t) => ({
    execution: t.field({ type: ExecutionRef, nullable: true, resolve: (p) => p.execution ?? null }),
    version: t.field({
      type: PlanVersionRef,
      nullable: true,
      description: 'The version chosen.',
      resolve: (p) => p.version ?? null,
    }),
    arm: t.field({ type: AbArmEnum, nullable: true, resolve: (p) => p.arm ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const StartAbExecutionInput = builder.inputType('StartAbExecutionInput', {
  fields: (t) => ({
    planId: t.id({ required: true }),
    versionA: t.int({ required: true, description: 'Version number of arm A (the control).' }),
    versionB: t.int({ required: true, description: 'Version number of arm B.' }),
    percentB: t.float({ required: true, description: 'Share of runs that get B, 0 to 100.' }),
    key: t.string({
      required: false,
      description: 'A stable key (customer id, delivery id): the same key always gets the same arm.',
    }),
    input: t.field({ type: 'JSON', required: false }),
    mode: t.field({ type: ExecutionModeEnum, required: false, description: 'Defaults to LIVE.' }),
  }),
});

builder.mutationFields((t) => ({
  startAbExecution: t.field({
    type: AbExecutionPayload,
    description:
      'Starts an execution of version A or B of a plan, B with probability `percentB` % (deterministic per `key`). Compare the arms with `Plan.compareVersions`.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.startAbExecution,
      (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
    ),
    args: { input: t.arg({ type: StartAbExecutionInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<AbShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id: planId } = parseTenantId(String(input.planId), 'Plan');
      const engine = ctx.options.engine;
      const role = await roleOf(ctx, workspaceId);
      const tooLarge = inputSizeErrors(input.input);
      if (tooLarge.length > 0) return { userErrors: tooLarge };
      return inTenant(ctx, workspaceId, async (client) => {
        const plan = await client.query('SELECT 1 FROM plans WHERE id = $1', [planId]);
        if (plan.rowCount === 0) throw notFound();
        const { rows } = await client.query(
          `SELECT ${COLUMNS.planVersion} FROM plan_versions WHERE plan_id = $1 AND number = ANY($2::int[])`,
          [planId, [input.versionA, input.versionB]],
        );
        const versions = rows.map((r) => toRow<PlanVersionRow>(r));
        const errors: UserError[] = [];
        const byNumber = (n: number) => versions.find((v) => v.number === n);
        for (const field of ['versionA', 'versionB'] as const) {
          if (byNumber(input[field]) === undefined)
            errors.push(userError(SchemaErrorCode.INVALID_INPUT, [field], `the plan has no version ${input[field]}`));
        }
        if (!(input.percentB >= 0 && input.percentB <= 100))
          errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['percentB'], 'percentB must be between 0 and 100'));
        const a = byNumber(input.versionA);
        const b = byNumber(input.versionB);
        if (errors.length > 0 || a === undefined || b === undefined) return { userErrors: errors };

        const choice = chooseVersion({ versionA: a.id, versionB: b.id, percentB: input.percentB }, input.key ?? null);
        const version = choice.arm === 'B' ? b : a;
        let executionId: string;
        try {
          ({ executionId } = await engine.startExecution(client, workspaceId, {
            planVersionId: version.id,
            input: input.input ?? null,
            mode: input.mode ?? 'LIVE',
            actor: { userId: viewer.userId, role },
            traceParent: ctx.traceParent,
          }));
        } catch (error) {
          // A version saved before a plugin was uninstalled may no longer validate: that is the
          // caller's to fix, not an unexpected failure.
          if (error instanceof EngineError && error.code === EngineErrorCode.INVALID_PLAN) {
            return {
              userErrors: [
                userError(EngineErrorCode.INVALID_PLAN, [choice.arm === 'B' ? 'versionB' : 'versionA'], error.message),
              ],
            };
          }
          throw error;
        }
        const { rows: executions } = await client.query(`SELECT ${COLUMNS.execution} FROM executions WHERE id = $1`, [
          executionId,
        ]);
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'execution.start',
          targetId: encodeTenantId('Execution', workspaceId, executionId),
          targetLabel: await runLabel(client, executionId),
          after: {
            plan: encodeTenantId('Plan', workspaceId, planId),
            version: version.number,
            abTest: {
              versionA: a.number,
              versionB: b.number,
              percentB: input.percentB,
              arm: choice.arm,
            },
          },
        });
        const row = executions[0];
        return { execution: row ? toRow<ExecutionRow>(row) : null, version, arm: choice.arm, userErrors: [] };
      });
    },
  }),
}));

interface ResultsShape extends VersionResults {
  workspaceId: string;
  planId: string;
  number: number;
}

const VersionResultsRef = builder.objectRef<ResultsShape>('VersionResults').implement({
  description: "One version's executions in an A/B comparison.",
  fields: (t) => ({
    version: t.field({
      type: PlanVersionRef,
      resolve: (r) => tenantKey(r.workspaceId, r.versionId),
    }),
    number: t.exposeInt('number'),
    runs: t.exposeInt('runs', { description: 'Executions created.' }),
    finished: t.exposeInt('finished', { description: 'Executions in a terminal state.' }),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'succeeded / finished.' }),
    p50Ms: t.exposeFloat('p50Ms', { nullable: true, description: 'Median start-to-finish time.' }),
    p95Ms: t.exposeFloat('p95Ms', { nullable: true }),
  }),
});

const VersionComparisonRef = builder
  .objectRef<{ a: ResultsShape; b: ResultsShape; zScore: number | null; significant: boolean }>('VersionComparison')
  .implement({
    fields: (t) => ({
      a: t.field({ type: VersionResultsRef, resolve: (c) => c.a }),
      b: t.field({ type: VersionResultsRef, resolve: (c) => c.b }),
      zScore: t.exposeFloat('zScore', {
        nullable: true,
        description: "Two-proportion z statistic of B's success rate against A's (positive: B better).",
      }),
      significant: t.exposeBoolean('significant', { description: '|z| ≥ 1.96 (95 %).' }),
    }),
  });

builder.objectFields(PlanRef, (t) => ({
  compareVersions: t.field({
    type: VersionComparisonRef,
    nullable: true,
    description: "Runs, success rate and latency of two versions' executions; null when either version is missing.",
    args: {
      a: t.arg.int({ required: true }),
      b: t.arg.int({ required: true }),
      since: t.arg({ type: 'DateTime', required: false, description: 'Only executions created since.' }),
    },
    resolve: (p, args, ctx) =>
      inTenant(ctx, p.workspaceId, async (client) => {
        const { rows } = await client.query<{ id: string; number: number }>(
          'SELECT id, number FROM plan_versions WHERE plan_id = $1 AND number = ANY($2::int[])',
          [p.id, [args.a, args.b]],
        );
        const a = rows.find((r) => r.number === args.a);
        const b = rows.find((r) => r.number === args.b);
        if (a === undefined || b === undefined) return null;
        const result = await compareVersions(client, a.id, b.id, args.since ? { since: args.since } : {});
        const shape = (r: VersionResults, number: number) => ({
          ...r,
          workspaceId: p.workspaceId,
          planId: p.id,
          number,
        });
        return { ...result, a: shape(result.a, a.number), b: shape(result.b, b.number) };
      }),
  }),
}));
