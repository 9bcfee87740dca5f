import { EXECUTION_STATUSES, STEP_STATUSES } from '@weft/engine';
import { builder, RoleEnum } from '../builder.ts';
import { inTenant } from '../context.ts';
import { parseTenantKey, tenantKey } from '../ids.ts';
import { type ApprovalRow, COLUMNS, type EventRow, type StepRunRow, toRow } from '../rows.ts';
import { ApprovalRef, ExecutionRef, PlanRef, PlanVersionRef, UserRef } from './refs.ts';

export const ExecutionStatusEnum = builder.enumType('ExecutionStatus', { values: EXECUTION_STATUSES });
export const ExecutionModeEnum = builder.enumType('ExecutionMode', { values: ['LIVE', 'DRY_RUN'] as const });
export const StepStatusEnum = builder.enumType('StepStatus', { values: STEP_STATUSES });
export const ApprovalStatusEnum = builder.enumType('ApprovalStatus', {
  values: ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'] as const,
});

export const StepRunRef = builder.objectRef<StepRunRow>('StepRun').implement({
  fields: (t) => ({
    stepId: t.exposeString('stepId'),
    status: t.field({ type: StepStatusEnum, resolve: (s) => s.status }),
    attempts: t.exposeInt('attempts'),
    output: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.output }),
    error: t.exposeString('error', { nullable: true }),
    cacheHit: t.exposeBoolean('cacheHit'),
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

const STEP_COLUMNS = 'execution_id, step_id, status, attempts, output, error, cache_hit, started_at, finished_at';

builder.objectFields(ExecutionRef, (t) => ({
  status: t.field({ type: ExecutionStatusEnum, resolve: (e) => e.status }),
  mode: t.field({ type: ExecutionModeEnum, resolve: (e) => e.mode }),
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
  createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.startedAt }),
  finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.finishedAt }),
  // Batched: a page of executions loads all their steps with one query per workspace.
  steps: t.loadableList({
    type: StepRunRef,
    resolve: (e) => tenantKey(e.workspaceId, e.id),
    load: async (keys: string[], ctx) => {
      const byWorkspace = new Map<string, string[]>();
      for (const key of keys) {
        const k = parseTenantKey(key);
        byWorkspace.set(k.workspaceId, [...(byWorkspace.get(k.workspaceId) ?? []), k.id]);
      }
      const steps = new Map<string, StepRunRow[]>();
      await Promise.all(
        [...byWorkspace].map(([workspaceId, ids]) =>
          inTenant(ctx, workspaceId, async (client) => {
            const { rows } = await client.query(
              `SELECT ${STEP_COLUMNS} FROM step_runs WHERE execution_id = ANY($1::uuid[])
                ORDER BY started_at NULLS LAST, step_id`,
              [ids],
            );
            for (const row of rows) {
              const key = tenantKey(workspaceId, String(row.execution_id));
              steps.set(key, [...(steps.get(key) ?? []), toRow<StepRunRow>(row)]);
            }
          }),
        ),
      );
      return keys.map((key) => steps.get(key) ?? []);
    },
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
  approvers: t.field({
    type: [RoleEnum],
    description: 'Roles that may decide; empty means ADMIN or MEMBER.',
    resolve: (a) => a.approvers,
  }),
  createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
  decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.decidedAt }),
}));
