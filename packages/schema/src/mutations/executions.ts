import {
  type Actor,
  type ChaosOptions,
  type ControlResult,
  chaosIssues,
  type DryRunOptions,
  EngineError,
  EXECUTION_PRIORITY,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from '@weft/engine';
import { GraphQLError } from 'graphql';
import type pg from 'pg';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { runLabel, writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder } from '../builder.ts';
import { inTenant, requireViewer, roleOf, type SchemaContext } from '../context.ts';
import { forbidden, notFound, SchemaErrorCode, type UserError, userError } from '../errors.ts';
import { encodeTenantId, parseTenantId } from '../ids.ts';
import { inputSizeErrors } from '../input-size.ts';
import { type ApprovalRow, COLUMNS, type ExecutionRow, toRow } from '../rows.ts';
import {
  ApprovalPayload,
  type ApprovalPayloadShape,
  DecideApprovalInput,
  ExecutionIdInput,
  ExecutionIdsInput,
  ExecutionPayload,
  type ExecutionPayloadShape,
  ExecutionsPayload,
  type ExecutionsPayloadShape,
  RerunExecutionInput,
  StartExecutionInput,
} from '../types/engine-payloads.ts';

/** The engine's controls that take an execution id, by mutation name. */
const CONTROLS = {
  pauseExecution: { action: 'execution.pause', description: 'Stops dispatching new steps; running ones finish.' },
  resumeExecution: { action: 'execution.resume', description: 'Continues a paused run from its checkpoint.' },
  cancelExecution: {
    action: 'execution.cancel',
    description: 'Ends the run: steps not started never start, running ones get their abort signal.',
  },
  retryExecution: {
    action: 'execution.retry',
    description:
      'Re-runs the failed steps of a FAILED run; completed outputs are kept. A cancelled run is final: retrying it is the userError INVALID_STATE (start a new run instead).',
  },
  rollbackExecution: {
    action: 'execution.rollback',
    description: "Runs the `compensate` of the run's completed steps in reverse dependency order.",
  },
} as const;
type ControlName = keyof typeof CONTROLS;

/** Who acts: the viewer with their current role in the workspace (the engine checks approvers with it). */
async function actorIn(ctx: SchemaContext, workspaceId: string): Promise<Actor> {
  const viewer = requireViewer(ctx);
  const role = await roleOf(ctx, workspaceId);
  if (role === null) throw notFound();
  return { userId: viewer.userId, role };
}

async function readExecution(client: pg.PoolClient, executionId: string): Promise<ExecutionRow> {
  const { rows } = await client.query(`SELECT ${COLUMNS.execution} FROM executions WHERE id = $1`, [executionId]);
  const row = rows[0];
  if (row === undefined) throw notFound();
  return toRow<ExecutionRow>(row);
}

/**
 * A refused control is a value: wrong state → a userError (nothing was written); an id the engine
 * cannot see → NOT_FOUND; the engine's own role rule → FORBIDDEN.
 */
function refusal(result: Extract<ControlResult, { ok: false }>, field: string): UserError[] {
  if (result.code === 'NOT_FOUND') throw notFound();
  if (result.code === 'FORBIDDEN') throw forbidden(result.message);
  return [userError(SchemaErrorCode.INVALID_STATE, [field], result.message)];
}

async function control(ctx: SchemaContext, name: ControlName, id: string): Promise<ExecutionPayloadShape> {
  const { workspaceId, id: executionId } = parseTenantId(id, 'Execution');
  const actor = await actorIn(ctx, workspaceId);
  return controlAs(ctx, name, workspaceId, executionId, actor);
}

/** One control of one run, in its own transaction, audited. */
async function controlAs(
  ctx: SchemaContext,
  name: ControlName,
  workspaceId: string,
  executionId: string,
  actor: Actor,
): Promise<ExecutionPayloadShape> {
  const engine = ctx.options.engine;
  return inTenant(ctx, workspaceId, async (client) => {
    // Locked first, so the status recorded as "before" is the one the engine acts on.
    const { rows } = await client.query<{ status: string }>('SELECT status FROM executions WHERE id = $1 FOR UPDATE', [
      executionId,
    ]);
    const before = rows[0]?.status;
    if (before === undefined) throw notFound();
    const result = await engine[name](client, workspaceId, executionId, actor);
    if (!result.ok) return { userErrors: refusal(result, 'id') };
    const execution = await readExecution(client, executionId);
    await writeAudit(client, {
      workspaceId,
      actorId: actor.userId,
      action: CONTROLS[name].action,
      targetId: encodeTenantId('Execution', workspaceId, executionId),
      targetLabel: await runLabel(client, executionId),
      before: { status: before },
      after: { status: execution.status },
    });
    return { execution, userErrors: [] };
  });
}

const MAX_BULK = 100;

/** A run id's workspace and uuid, or null when it is not a run id at all. */
function tryParseExecution(id: string): { workspaceId: string; id: string } | null {
  try {
    return parseTenantId(id, 'Execution');
  } catch {
    return null;
  }
}

/** The plan version to run: the given number, else the latest. */
async function planVersionOf(
  client: pg.PoolClient,
  planId: string,
  version: number | null | undefined,
): Promise<{ id: string; number: number } | UserError> {
  const { rows: plans } = await client.query<{ latest_version: number }>(
    'SELECT latest_version FROM plans WHERE id = $1',
    [planId],
  );
  const plan = plans[0];
  if (plan === undefined) throw notFound();
  const number = version ?? plan.latest_version;
  const { rows } = await client.query<{ id: string }>(
    'SELECT id FROM plan_versions WHERE plan_id = $1 AND number = $2',
    [planId, number],
  );
  const found = rows[0];
  if (found === undefined) {
    return userError(
      SchemaErrorCode.NOT_FOUND,
      ['version'],
      `The plan has no version ${number} (latest is ${plan.latest_version}).`,
    );
  }
  return { id: found.id, number };
}

/**
 * Starts a run inside the caller's transaction. The engine checks the version against today's
 * tools; a refusal is rolled back to a savepoint so it leaves nothing behind, and comes back as
 * userErrors on the spec (or the version).
 */
async function startIn(
  ctx: SchemaContext,
  client: pg.PoolClient,
  workspaceId: string,
  run: {
    planVersionId: string;
    versionNumber: number;
    input: unknown;
    mode: 'LIVE' | 'DRY_RUN';
    actor: Actor;
    dryRun?: DryRunOptions;
    idempotencyKey?: string;
    priority?: number;
    rerunFrom?: { executionId: string; stepId: string };
  },
): Promise<{ executionId: string; reused: boolean } | { userErrors: UserError[] }> {
  await client.query('SAVEPOINT start_execution');
  try {
    return await ctx.options.engine.startExecution(client, workspaceId, {
      planVersionId: run.planVersionId,
      input: run.input,
      mode: run.mode,
      actor: run.actor,
      traceParent: ctx.traceParent,
      ...(run.dryRun === undefined ? {} : { dryRun: run.dryRun }),
      ...(run.idempotencyKey === undefined ? {} : { idempotencyKey: run.idempotencyKey }),
      ...(run.priority === undefined ? {} : { priority: run.priority }),
      ...(run.rerunFrom === undefined ? {} : { rerunFrom: run.rerunFrom }),
    });
  } catch (error) {
    if (!(error instanceof EngineError) || error.code !== 'INVALID_PLAN') throw error;
    await client.query('ROLLBACK TO SAVEPOINT start_execution');
    const issues = Array.isArray(error.details)
      ? (error.details as { code: string; path: string[]; message: string }[])
      : [];
    return {
      userErrors:
        issues.length > 0
          ? issues.map((i) =>
              userError(i.code, ['spec', ...i.path], `Version ${run.versionNumber} cannot run: ${i.message}`),
            )
          : [userError(error.code, ['version'], error.message)],
    };
  }
}

/** `chaos` on a start: dry runs only, rates 0..1, bounded latency (the engine's rules). */
function chaosErrors(chaos: ChaosOptions, mode: string): UserError[] {
  if (mode !== 'DRY_RUN') {
    return [userError(SchemaErrorCode.INVALID_INPUT, ['chaos'], 'Fault injection is for dry runs: set mode DRY_RUN.')];
  }
  return chaosIssues(chaos).map((i) => userError(SchemaErrorCode.INVALID_INPUT, ['chaos', i.field], i.message));
}

/**
 * Starts a run in the caller's workspace and audits it as `action`, in one transaction; a version
 * the engine refuses leaves nothing behind. Shared by `startExecution` and `startRegressionTest`.
 */
export async function startRun(
  ctx: SchemaContext,
  request: {
    planId: string;
    version: number | null | undefined;
    input: unknown;
    mode: 'LIVE' | 'DRY_RUN';
    dryRun?: DryRunOptions;
    /** The same key for the same plan within 24 h returns the first execution (startExecution only). */
    idempotencyKey?: string;
    /** -10..10, checked by the caller (startExecution only). */
    priority?: number;
    action: string;
  },
): Promise<ExecutionPayloadShape> {
  const { workspaceId, id: planId } = parseTenantId(request.planId, 'Plan');
  const actor = await actorIn(ctx, workspaceId);
  const tooLarge = inputSizeErrors(request.input);
  if (tooLarge.length > 0) return { userErrors: tooLarge };
  const mode = request.mode;
  return inTenant(ctx, workspaceId, async (client) => {
    const version = await planVersionOf(client, planId, request.version);
    if ('code' in version) return { userErrors: [version] };
    const started = await startIn(ctx, client, workspaceId, {
      planVersionId: version.id,
      versionNumber: version.number,
      input: request.input ?? null,
      mode,
      actor,
      ...(request.dryRun === undefined ? {} : { dryRun: request.dryRun }),
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      ...(request.priority === undefined ? {} : { priority: request.priority }),
    });
    if ('userErrors' in started) return started;
    const { executionId, reused } = started;
    const execution = await readExecution(client, executionId);
    await writeAudit(client, {
      workspaceId,
      actorId: actor.userId,
      action: request.action,
      targetId: encodeTenantId('Execution', workspaceId, executionId),
      targetLabel: await runLabel(client, executionId),
      after: {
        status: execution.status,
        mode,
        plan: encodeTenantId('Plan', workspaceId, planId),
        version: version.number,
        ...(request.dryRun?.chaos === undefined ? {} : { chaos: request.dryRun.chaos }),
        ...(request.dryRun?.fixture === undefined
          ? {}
          : { fixtureSteps: Object.keys(request.dryRun.fixture.steps).length }),
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey, reused }),
        ...(request.priority === undefined ? {} : { priority: request.priority }),
      },
    });
    return { execution, userErrors: [] };
  });
}

builder.mutationFields((t) => {
  const controlField = (name: ControlName) =>
    t.field({
      type: ExecutionPayload,
      description: CONTROLS[name].description,
      authScopes: canIn(
        MUTATION_PERMISSIONS[name],
        (args: { input: { id: string } }) => parseTenantId(args.input.id, 'Execution').workspaceId,
      ),
      args: { input: t.arg({ type: ExecutionIdInput, required: true }) },
      resolve: (_root, { input }, ctx) => control(ctx, name, String(input.id)),
    });
  /** One control over several runs of one workspace: each in its own transaction, a userError per refusal. */
  const bulkControlField = (bulk: 'cancelExecutions' | 'retryExecutions', name: ControlName, description: string) =>
    t.field({
      type: ExecutionsPayload,
      description,
      authScopes: canIn(MUTATION_PERMISSIONS[bulk], (args: { input: { ids: readonly string[] } }) => {
        const first = args.input.ids[0];
        if (first === undefined) throw notFound();
        return parseTenantId(String(first), 'Execution').workspaceId;
      }),
      args: { input: t.arg({ type: ExecutionIdsInput, required: true }) },
      resolve: async (_root, { input }, ctx): Promise<ExecutionsPayloadShape> => {
        const ids = input.ids.map(String);
        if (ids.length === 0 || ids.length > MAX_BULK) {
          return {
            executions: [],
            userErrors: [userError(SchemaErrorCode.INVALID_INPUT, ['ids'], `Give 1 to ${MAX_BULK} run ids.`)],
          };
        }
        const { workspaceId } = parseTenantId(ids[0] ?? '', 'Execution');
        const actor = await actorIn(ctx, workspaceId);
        const executions: ExecutionRow[] = [];
        const userErrors: UserError[] = [];
        // One after the other, in a fixed order, so two bulk controls never wait on each other's locks.
        for (const [index, id] of ids.entries()) {
          const key = tryParseExecution(id);
          if (key === null || key.workspaceId !== workspaceId) {
            userErrors.push(userError(SchemaErrorCode.NOT_FOUND, ['ids', String(index)], 'No such run.'));
            continue;
          }
          try {
            const result = await controlAs(ctx, name, workspaceId, key.id, actor);
            if (result.execution) executions.push(result.execution);
            for (const e of result.userErrors) userErrors.push({ ...e, field: ['ids', String(index)] });
          } catch (error) {
            if (!(error instanceof GraphQLError) || error.extensions.code !== 'NOT_FOUND') throw error;
            userErrors.push(userError(SchemaErrorCode.NOT_FOUND, ['ids', String(index)], 'No such run.'));
          }
        }
        return { executions, userErrors };
      },
    });
  return {
    startExecution: t.field({
      type: ExecutionPayload,
      description: 'Starts a run of a plan version (the latest unless `version` is given), live or as a dry run.',
      authScopes: canIn(
        MUTATION_PERMISSIONS.startExecution,
        (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
      ),
      args: { input: t.arg({ type: StartExecutionInput, required: true }) },
      resolve: async (_root, { input }, ctx): Promise<ExecutionPayloadShape> => {
        const priority = input.priority ?? 0;
        if (priority < EXECUTION_PRIORITY.min || priority > EXECUTION_PRIORITY.max) {
          return {
            userErrors: [
              userError(
                SchemaErrorCode.INVALID_INPUT,
                ['priority'],
                `priority must be from ${EXECUTION_PRIORITY.min} to ${EXECUTION_PRIORITY.max}`,
              ),
            ],
          };
        }
        const mode = input.mode ?? 'LIVE';
        const key = input.idempotencyKey ?? undefined;
        if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
          return {
            userErrors: [
              userError(
                SchemaErrorCode.INVALID_INPUT,
                ['idempotencyKey'],
                `An idempotency key has 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`,
              ),
            ],
          };
        }
        const chaos: ChaosOptions | undefined =
          input.chaos === null || input.chaos === undefined
            ? undefined
            : {
                failRate: input.chaos.failRate,
                timeoutRate: input.chaos.timeoutRate ?? 0,
                latencyMs: input.chaos.latencyMs ?? 0,
                seed: input.chaos.seed ?? 1,
              };
        if (chaos !== undefined) {
          const refused = chaosErrors(chaos, mode);
          if (refused.length > 0) return { userErrors: refused };
        }
        return startRun(ctx, {
          planId: String(input.planId),
          version: input.version,
          input: input.input,
          mode,
          ...(chaos === undefined ? {} : { dryRun: { chaos } }),
          ...(priority === 0 ? {} : { priority }),
          ...(input.idempotencyKey === null || input.idempotencyKey === undefined
            ? {}
            : { idempotencyKey: input.idempotencyKey }),
          action: 'execution.start',
        });
      },
    }),
    rerunExecution: t.field({
      type: ExecutionPayload,
      description:
        "Starts a new run of the same plan version and mode as `id`, with `input` (the old run's input when omitted), from `fromStepId` if given. The old run is left as it is.",
      authScopes: canIn(
        MUTATION_PERMISSIONS.rerunExecution,
        (args: { input: { id: string } }) => parseTenantId(args.input.id, 'Execution').workspaceId,
      ),
      args: { input: t.arg({ type: RerunExecutionInput, required: true }) },
      resolve: async (_root, { input }, ctx): Promise<ExecutionPayloadShape> => {
        const { workspaceId, id: fromId } = parseTenantId(String(input.id), 'Execution');
        const actor = await actorIn(ctx, workspaceId);
        if (input.input !== undefined && input.input !== null) {
          const tooLarge = inputSizeErrors(input.input);
          if (tooLarge.length > 0) return { userErrors: tooLarge };
        }
        const fromStepId = input.fromStepId ?? undefined;
        if (fromStepId !== undefined && (fromStepId.length === 0 || fromStepId.length > 200)) {
          return {
            userErrors: [
              userError(SchemaErrorCode.INVALID_INPUT, ['fromStepId'], "Give the id of one of the plan's steps."),
            ],
          };
        }
        return inTenant(ctx, workspaceId, async (client) => {
          const from = await readExecution(client, fromId);
          const { rows } = await client.query<{ number: number; spec: { steps?: { id?: unknown }[] } }>(
            'SELECT number, spec FROM plan_versions WHERE id = $1',
            [from.planVersionId],
          );
          const versionNumber = rows[0]?.number ?? 0;
          const stepIds = (rows[0]?.spec.steps ?? []).map((s) => String(s.id));
          if (fromStepId !== undefined && !stepIds.includes(fromStepId)) {
            return {
              userErrors: [
                userError(
                  SchemaErrorCode.NOT_FOUND,
                  ['fromStepId'],
                  `Version ${versionNumber} has no step "${fromStepId}".`,
                ),
              ],
            };
          }
          const started = await startIn(ctx, client, workspaceId, {
            planVersionId: from.planVersionId,
            versionNumber,
            input: input.input === undefined || input.input === null ? from.input : input.input,
            mode: from.mode,
            actor,
            // The same run again: its queue priority and a dry run's mocks and faults come along.
            ...(from.priority === 0 ? {} : { priority: from.priority }),
            ...(from.mode === 'DRY_RUN' && from.dryRunOptions != null ? { dryRun: from.dryRunOptions } : {}),
            ...(fromStepId === undefined ? {} : { rerunFrom: { executionId: fromId, stepId: fromStepId } }),
          });
          if ('userErrors' in started) return started;
          const execution = await readExecution(client, started.executionId);
          await writeAudit(client, {
            workspaceId,
            actorId: actor.userId,
            action: 'execution.rerun',
            targetId: encodeTenantId('Execution', workspaceId, started.executionId),
            targetLabel: await runLabel(client, started.executionId),
            after: {
              status: execution.status,
              mode: from.mode,
              from: encodeTenantId('Execution', workspaceId, fromId),
              plan: encodeTenantId('Plan', workspaceId, from.planId),
              version: versionNumber,
              inputEdited: input.input !== undefined && input.input !== null,
              fromStepId: fromStepId ?? null,
            },
          });
          return { execution, userErrors: [] };
        });
      },
    }),
    cancelExecutions: bulkControlField(
      'cancelExecutions',
      'cancelExecution',
      'Cancels several runs of one workspace, each in its own transaction and audited like cancelExecution. A run that cannot be cancelled (already finished, unknown, of another workspace) is a userError on ["ids", index] and the others are still cancelled.',
    ),
    retryExecutions: bulkControlField(
      'retryExecutions',
      'retryExecution',
      'Retries several FAILED runs of one workspace (their failed steps only), each in its own transaction and audited like retryExecution. A run that cannot be retried (not FAILED, unknown, of another workspace) is a userError on ["ids", index] and the others are still retried.',
    ),
    pauseExecution: controlField('pauseExecution'),
    resumeExecution: controlField('resumeExecution'),
    cancelExecution: controlField('cancelExecution'),
    retryExecution: controlField('retryExecution'),
    rollbackExecution: controlField('rollbackExecution'),
    decideApproval: t.field({
      type: ApprovalPayload,
      description: "Approves or rejects a pending approval; the step's `approvers` roles decide who may.",
      authScopes: canIn(
        MUTATION_PERMISSIONS.decideApproval,
        (args: { input: { approvalId: string } }) => parseTenantId(args.input.approvalId, 'Approval').workspaceId,
      ),
      args: { input: t.arg({ type: DecideApprovalInput, required: true }) },
      resolve: async (_root, { input }, ctx): Promise<ApprovalPayloadShape> => {
        const engine = ctx.options.engine;
        const { workspaceId, id: approvalId } = parseTenantId(String(input.approvalId), 'Approval');
        const actor = await actorIn(ctx, workspaceId);
        const comment = input.comment ?? undefined;
        if (comment !== undefined && comment.length > 2000) {
          return {
            userErrors: [
              userError(SchemaErrorCode.INVALID_INPUT, ['comment'], 'Keep the comment under 2000 characters.'),
            ],
          };
        }
        return inTenant(ctx, workspaceId, async (client) => {
          const { rows } = await client.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [
            approvalId,
          ]);
          const before = rows[0]?.status;
          if (before === undefined) throw notFound();
          const result = await engine.decideApproval(client, workspaceId, approvalId, {
            approve: input.approve,
            ...(comment === undefined ? {} : { comment }),
            actor,
          });
          if (!result.ok) return { userErrors: refusal(result, 'approvalId') };
          const { rows: after } = await client.query(`SELECT ${COLUMNS.approval} FROM approvals WHERE id = $1`, [
            approvalId,
          ]);
          const row = after[0];
          if (row === undefined) throw notFound();
          const approval = toRow<ApprovalRow>(row);
          await writeAudit(client, {
            workspaceId,
            actorId: actor.userId,
            action: 'approval.decide',
            targetId: encodeTenantId('Approval', workspaceId, approvalId),
            targetLabel: approval.stepId,
            before: { status: before },
            after: {
              status: approval.status,
              comment: approval.comment,
              execution: encodeTenantId('Execution', workspaceId, approval.executionId),
              executionStatus: result.status,
            },
          });
          return { approval, userErrors: [] };
        });
      },
    }),
  };
});
