import {
  EXECUTION_STATUSES,
  EXECUTION_TRIGGERS,
  STEP_STATUSES,
  type StepError,
  type StepErrorCause,
  StepErrorCode,
  storedStepError,
} from '@weft/engine';
import { builder, RoleEnum } from '../builder.ts';
import { inTenant } from '../context.ts';
import { tenantKey } from '../ids.ts';
import { loadTenantLists } from '../loaders.ts';
import { type ApprovalRow, COLUMNS, type EventRow, type StepRunRow, toRow } from '../rows.ts';
import { ApprovalRef, ExecutionRef, PlanRef, PlanVersionRef, UserRef } from './refs.ts';

export const ExecutionStatusEnum = builder.enumType('ExecutionStatus', { values: EXECUTION_STATUSES });
/** For filtering by what started a run; `Execution.trigger` stays a String (the contract names it so). */
export const ExecutionTriggerEnum = builder.enumType('ExecutionTrigger', { values: EXECUTION_TRIGGERS });
export const ExecutionModeEnum = builder.enumType('ExecutionMode', { values: ['LIVE', 'DRY_RUN'] as const });
// The states whose meaning is easy to mistake are described in the schema (docs/engine.md).
const STEP_STATUS_DESCRIPTIONS: Partial<Record<(typeof STEP_STATUSES)[number], string>> = {
  QUEUED: 'Dispatched: waiting in the queue; no worker has begun an attempt yet.',
  RUNNING: 'A worker began an attempt.',
  WAITING: 'Parked in the database without a worker slot: a sleep or a wait for an event.',
};
export const StepStatusEnum = builder.enumType('StepStatus', {
  values: Object.fromEntries(
    STEP_STATUSES.map((s) => [s, { value: s, description: STEP_STATUS_DESCRIPTIONS[s] }]),
  ) as Record<(typeof STEP_STATUSES)[number], { value: (typeof STEP_STATUSES)[number]; description?: string }>,
});
export const ApprovalStatusEnum = builder.enumType('ApprovalStatus', {
  values: ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'] as const,
});

export const StepErrorCodeEnum = builder.enumType('StepErrorCode', {
  values: Object.values(StepErrorCode),
  description: 'Why a step attempt failed (docs/events.md lists each).',
});

const StepErrorCauseRef = builder.objectRef<StepErrorCause>('StepErrorCause').implement({
  description: "What the tool gave as its error's cause: its name, code and message (size-capped).",
  fields: (t) => ({
    name: t.exposeString('name', { nullable: true }),
    code: t.exposeString('code', { nullable: true }),
    message: t.exposeString('message'),
  }),
});

const StepErrorRef = builder.objectRef<StepError>('StepError').implement({
  description: 'A failed step as data; `message` is what `StepRun.error` holds.',
  fields: (t) => ({
    code: t.field({ type: StepErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
    retriable: t.exposeBoolean('retriable', {
      description: 'Whether the engine retries a failure of this kind (while the step has attempts left).',
    }),
    cause: t.field({ type: StepErrorCauseRef, nullable: true, resolve: (e) => e.cause ?? null }),
  }),
});

export const StepRunRef = builder.objectRef<StepRunRow>('StepRun').implement({
  fields: (t) => ({
    stepId: t.exposeString('stepId'),
    status: t.field({ type: StepStatusEnum, resolve: (s) => s.status }),
    attempts: t.exposeInt('attempts'),
    input: t.field({
      type: 'JSON',
      nullable: true,
      description: "The step's resolved input, as its latest attempt received it (null before it starts).",
      resolve: (s) => s.input,
    }),
    output: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.output }),
    error: t.exposeString('error', { nullable: true }),
    errorDetail: t.field({
      type: StepErrorRef,
      nullable: true,
      description: 'The last failure of the step as data (code, retriable, cause); null when it has none.',
      resolve: (s) => storedStepError(s.errorDetail, s.error),
    }),
    cacheHit: t.exposeBoolean('cacheHit'),
    fellBack: t.exposeBoolean('fellBack', {
      description: "The step's attempts were exhausted and its `fallback` tool produced its output.",
    }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.finishedAt }),
  }),
});

export const ExecutionEventRef = builder.objectRef<EventRow>('ExecutionEvent').implement({
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    type: t.exposeString('type'),
    stepId: t.exposeString('stepId', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    data: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.data }),
  }),
});

interface StepAttemptRow {
  workspaceId: string;
  executionId: string;
  stepId: string;
  kind: string;
  attempt: number;
  status: string;
  tool: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  workerId: string | null;
  cacheHit: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
}

interface StepLogRow {
  line: number;
  level: string;
  message: string;
  data: unknown;
  at: Date;
}

export const StepLogLineRef = builder.objectRef<StepLogRow>('StepLogLine').implement({
  description: 'A line a tool wrote with `ctx.log` during one attempt (at most 200 lines / 64 KB an attempt).',
  fields: (t) => ({
    line: t.exposeInt('line', { description: 'Position in the attempt, from 1.' }),
    level: t.exposeString('level', { description: 'debug, info, warn or error.' }),
    message: t.exposeString('message'),
    data: t.field({ type: 'JSON', nullable: true, resolve: (l) => l.data }),
    at: t.field({ type: 'DateTime', resolve: (l) => l.at }),
  }),
});

export const StepAttemptRef = builder.objectRef<StepAttemptRow>('StepAttempt').implement({
  description: 'One try of a step (or of its compensation): what it was given, what came of it, what it logged.',
  fields: (t) => ({
    stepId: t.exposeString('stepId'),
    attempt: t.exposeInt('attempt'),
    kind: t.exposeString('kind', { description: '`run`, or `compensate` during a rollback.' }),
    status: t.exposeString('status', { description: 'RUNNING, SUCCEEDED, FAILED, LOST, CANCELLED or REJECTED.' }),
    tool: t.exposeString('tool', { nullable: true, description: 'The tool and its version, `name@version`.' }),
    input: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.input }),
    output: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.output }),
    error: t.exposeString('error', { nullable: true }),
    workerId: t.exposeString('workerId', { nullable: true }),
    cacheHit: t.exposeBoolean('cacheHit'),
    startedAt: t.field({ type: 'DateTime', resolve: (a) => a.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.finishedAt }),
    durationMs: t.float({ nullable: true, resolve: (a) => a.durationMs }),
    logs: t.field({
      type: [StepLogLineRef],
      description: 'The lines logged by this attempt after line `afterLine` (for a live tail), in order.',
      args: { afterLine: t.arg.int({ required: false }) },
      resolve: (a, args, ctx) =>
        inTenant(ctx, a.workspaceId, async (client) => {
          const { rows } = await client.query(
            `SELECT line, level, message, data, at FROM step_logs
              WHERE execution_id = $1 AND step_id = $2 AND kind = $3 AND attempt = $4 AND line > $5
              ORDER BY line`,
            [a.executionId, a.stepId, a.kind, a.attempt, args.afterLine ?? 0],
          );
          return rows.map((r) => toRow<StepLogRow>(r));
        }),
    }),
  }),
});

const STEP_COLUMNS =
  'execution_id, step_id, status, attempts, input, output, error, error_detail, cache_hit, fell_back, started_at, finished_at';

builder.objectFields(ExecutionRef, (t) => ({
  status: t.field({ type: ExecutionStatusEnum, resolve: (e) => e.status }),
  mode: t.field({ type: ExecutionModeEnum, resolve: (e) => e.mode }),
  priority: t.int({
    description: "Orders the run's queued steps within its workspace: -10 (first) to 10, as started.",
    resolve: (e) => e.priority,
  }),
  planVersion: t.field({ type: PlanVersionRef, resolve: (e) => tenantKey(e.workspaceId, e.planVersionId) }),
  plan: t.field({ type: PlanRef, resolve: (e) => tenantKey(e.workspaceId, e.planId) }),
  input: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.input }),
  output: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.output }),
  error: t.exposeString('error', { nullable: true }),
  traceId: t.string({
    nullable: true,
    description: 'The OpenTelemetry trace id of the run: its start and every step attempt are spans of this trace.',
    resolve: (e) => e.traceId ?? null,
  }),
  trigger: t.string({
    description: 'What started the run: MANUAL, SCHEDULE, WEBHOOK, EVENT or PARENT.',
    resolve: (e) => e.trigger ?? 'MANUAL',
  }),
  startedBy: t.field({
    type: UserRef,
    nullable: true,
    description: 'Who started the run (by hand, a re-run or an A/B start); null for schedules, webhooks and events.',
    resolve: (e) => e.createdBy ?? null,
  }),
  createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.startedAt }),
  finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.finishedAt }),
  // Batched: a page of executions loads all their steps with one query per workspace.
  steps: t.loadableList({
    type: StepRunRef,
    resolve: (e) => tenantKey(e.workspaceId, e.id),
    load: (keys: string[], ctx) =>
      loadTenantLists(ctx, keys, async (client, _workspaceId, ids) => {
        const { rows } = await client.query(
          `SELECT ${STEP_COLUMNS} FROM step_runs WHERE execution_id = ANY($1::uuid[])
            ORDER BY started_at NULLS LAST, step_id`,
          [ids],
        );
        return rows.map((row) => ({ ownerId: String(row.execution_id), item: toRow<StepRunRow>(row) }));
      }),
  }),
  attempts: t.field({
    type: [StepAttemptRef],
    description: "Every attempt of the run's steps and compensations, in the order they started (the timeline).",
    resolve: (e, _args, ctx) =>
      inTenant(ctx, e.workspaceId, async (client) => {
        const { rows } = await client.query(
          `SELECT workspace_id, execution_id, step_id, kind, attempt, status, tool, input, output, error, worker_id,
                  cache_hit, started_at, finished_at, duration_ms
             FROM step_attempts WHERE execution_id = $1 ORDER BY started_at, step_id, kind, attempt LIMIT 2000`,
          [e.id],
        );
        return rows.map((r) => toRow<StepAttemptRow>(r));
      }),
  }),
  parent: t.field({
    type: ExecutionRef,
    nullable: true,
    description: 'The run whose plan or map step started this one (its trigger is PARENT).',
    resolve: (e) => (e.parentExecutionId == null ? null : tenantKey(e.workspaceId, e.parentExecutionId)),
  }),
  // Batched like `steps`: a page of executions loads all their children with one query per workspace.
  children: t.loadableList({
    type: ExecutionRef,
    description: "Runs this run's plan and map steps started, in the order they started (map items by index).",
    resolve: (e) => tenantKey(e.workspaceId, e.id),
    load: (keys: string[], ctx) =>
      loadTenantLists(ctx, keys, async (client, workspaceId, ids) => {
        const { rows } = await client.query<{ id: string; parent_execution_id: string }>(
          `SELECT id, parent_execution_id FROM executions WHERE parent_execution_id = ANY($1::uuid[])
            ORDER BY created_at, parent_step_id, parent_item NULLS FIRST, id LIMIT 5000`,
          [ids],
        );
        return rows.map((row) => ({ ownerId: row.parent_execution_id, item: tenantKey(workspaceId, row.id) }));
      }),
  }),
  events: t.field({
    type: [ExecutionEventRef],
    args: { afterSeq: t.arg.int({ required: false }) },
    resolve: (e, args, ctx) =>
      inTenant(ctx, e.workspaceId, async (client) => {
        const { rows } = await client.query(
          `SELECT seq, type, step_id, at, data FROM execution_events WHERE execution_id = $1 AND seq > $2
            ORDER BY seq LIMIT 1000`,
          [e.id, args.afterSeq ?? 0],
        );
        return rows.map((r) => toRow<EventRow>(r));
      }),
  }),
  approvals: t.field({
    type: [ApprovalRef],
    description: "The run's approval gates, oldest first.",
    resolve: (e, _args, ctx) =>
      inTenant(ctx, e.workspaceId, async (client) => {
        const { rows } = await client.query(
          `SELECT ${COLUMNS.approval} FROM approvals WHERE execution_id = $1 ORDER BY created_at, step_id`,
          [e.id],
        );
        return rows.map((r) => toRow<ApprovalRow>(r));
      }),
  }),
}));

builder.objectFields(ApprovalRef, (t) => ({
  execution: t.field({ type: ExecutionRef, resolve: (a) => tenantKey(a.workspaceId, a.executionId) }),
  stepId: t.exposeString('stepId'),
  status: t.field({ type: ApprovalStatusEnum, resolve: (a) => a.status }),
  message: t.exposeString('message', { nullable: true }),
  decidedBy: t.field({ type: UserRef, nullable: true, resolve: (a) => a.decidedBy }),
  comment: t.exposeString('comment', { nullable: true }),
  stepInput: t.field({
    type: 'JSON',
    nullable: true,
    description: "The gate step's input: as the run resolved it, else as the plan version writes it.",
    resolve: (a, _args, ctx) =>
      inTenant(ctx, a.workspaceId, async (client) => {
        const { rows } = await client.query<{ input: unknown }>(
          `SELECT coalesce(r.input, (SELECT s -> 'input' FROM jsonb_array_elements(v.spec -> 'steps') AS s
                                      WHERE s ->> 'id' = $2 LIMIT 1)) AS input
             FROM executions e JOIN plan_versions v ON v.id = e.plan_version_id
             LEFT JOIN step_runs r ON r.execution_id = e.id AND r.step_id = $2
            WHERE e.id = $1`,
          [a.executionId, a.stepId],
        );
        return rows[0]?.input ?? null;
      }),
  }),
  approvers: t.field({
    type: [RoleEnum],
    description: 'Roles that may decide; empty means ADMIN or MEMBER.',
    resolve: (a) => a.approvers,
  }),
  createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
  decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.decidedAt }),
}));
