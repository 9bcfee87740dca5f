import type { ScheduleSuggestion } from '@weft/planner';
import { builder, UserErrorRef } from '../builder.ts';
import type { UserError } from '../errors.ts';
import type { ApprovalRow, ExecutionRow, InstallationRow, PluginVersionRow } from '../rows.ts';
import { ExecutionModeEnum } from './execution.ts';
import { ApprovalRef, ExecutionRef, PluginInstallationRef, PluginVersionRef } from './refs.ts';

// Inputs and payloads of the contract's mutations (docs/contract.md) served by the engine, the
// plugin host and the planner; the mutation fields live in `mutations/`.

export interface ExecutionPayloadShape {
  execution?: ExecutionRow | null;
  userErrors: UserError[];
}
export const ExecutionPayload = builder.objectRef<ExecutionPayloadShape>('ExecutionPayload').implement({
  fields: (t) => ({
    execution: t.field({ type: ExecutionRef, nullable: true, resolve: (p) => p.execution ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export interface ExecutionsPayloadShape {
  executions: ExecutionRow[];
  userErrors: UserError[];
}
export const ExecutionsPayload = builder.objectRef<ExecutionsPayloadShape>('ExecutionsPayload').implement({
  fields: (t) => ({
    executions: t.field({
      type: [ExecutionRef],
      description: 'The runs the control was applied to; the others are in userErrors, by index.',
      resolve: (p) => p.executions,
    }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export interface ApprovalPayloadShape {
  approval?: ApprovalRow | null;
  userErrors: UserError[];
}
export const ApprovalPayload = builder.objectRef<ApprovalPayloadShape>('ApprovalPayload').implement({
  fields: (t) => ({
    approval: t.field({ type: ApprovalRef, nullable: true, resolve: (p) => p.approval ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export interface DraftPlanPayloadShape {
  spec?: unknown;
  explanation?: string | null;
  userErrors: UserError[];
  /** Which planner answered ('llm' | 'deterministic'); see mutations/draft-plan.ts. */
  planner?: string;
  attempts?: number;
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number; requests: number } | null;
  schedule?: ScheduleSuggestion | null;
}
export const ScheduleSuggestionRef = builder.objectRef<ScheduleSuggestion>('ScheduleSuggestion').implement({
  description:
    'When a request says it should run on a rhythm ("every Monday at 9"): the schedule to create for the saved plan with createSchedule.',
  fields: (t) => ({
    cron: t.exposeString('cron', { description: '5 fields, or 6 with seconds first.' }),
    timezone: t.exposeString('timezone', { description: 'IANA time zone; UTC when the request names none.' }),
    description: t.exposeString('description', { description: 'The rhythm in words.' }),
    nextRuns: t.field({
      type: ['DateTime'],
      description: 'The next three times it would fire, from the moment of drafting.',
      resolve: (s) => s.nextRuns.map((iso) => new Date(iso)),
    }),
  }),
});

export const DraftPlanPayload = builder.objectRef<DraftPlanPayloadShape>('DraftPlanPayload').implement({
  fields: (t) => ({
    spec: t.field({ type: 'JSON', nullable: true, resolve: (p) => p.spec ?? null }),
    explanation: t.string({ nullable: true, resolve: (p) => p.explanation ?? null }),
    schedule: t.field({ type: ScheduleSuggestionRef, nullable: true, resolve: (p) => p.schedule ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export interface PluginVersionPayloadShape {
  pluginVersion?: PluginVersionRow | null;
  userErrors: UserError[];
}
export const PluginVersionPayload = builder.objectRef<PluginVersionPayloadShape>('PluginVersionPayload').implement({
  fields: (t) => ({
    pluginVersion: t.field({ type: PluginVersionRef, nullable: true, resolve: (p) => p.pluginVersion ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export interface PluginInstallationPayloadShape {
  installation?: InstallationRow | null;
  userErrors: UserError[];
}
export const PluginInstallationPayload = builder
  .objectRef<PluginInstallationPayloadShape>('PluginInstallationPayload')
  .implement({
    fields: (t) => ({
      installation: t.field({ type: PluginInstallationRef, nullable: true, resolve: (p) => p.installation ?? null }),
      userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
    }),
  });

export interface SecretShape {
  name: string;
  updatedAt: Date;
  allowedHosts?: string[] | null;
}
export interface SecretPayloadShape {
  secret?: SecretShape | null;
  userErrors: UserError[];
}
export const SecretRef = builder.objectRef<SecretShape>('Secret').implement({
  description: 'A stored secret: its name only; the value is never readable back.',
  fields: (t) => ({
    name: t.exposeString('name'),
    updatedAt: t.field({ type: 'DateTime', resolve: (s) => s.updatedAt }),
    allowedHosts: t.stringList({
      nullable: true,
      description:
        "Hosts plugins may send this secret to (as `http:` grants name them). Null: the hosts the installation's `http:` grants name, never the catch-all `http:*`.",
      resolve: (s) => s.allowedHosts ?? null,
    }),
  }),
});
export const SecretPayload = builder.objectRef<SecretPayloadShape>('SecretPayload').implement({
  fields: (t) => ({
    secret: t.field({ type: SecretRef, nullable: true, resolve: (p) => p.secret ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export const ChaosInput = builder.inputType('ChaosInput', {
  description:
    'Faults injected into each step attempt of a dry run, drawn per (seed, step, attempt): the same seed fails the same way.',
  fields: (t) => ({
    failRate: t.float({ required: true, description: 'Chance (0..1) an attempt fails like a tool error.' }),
    timeoutRate: t.float({ required: false, defaultValue: 0, description: 'Chance (0..1) an attempt times out.' }),
    latencyMs: t.int({ required: false, defaultValue: 0, description: 'Added to every attempt (0..10000 ms).' }),
    seed: t.int({ required: false, defaultValue: 1 }),
  }),
});
export const StartRegressionTestInput = builder.inputType('StartRegressionTestInput', {
  fields: (t) => ({
    planId: t.id({ required: true }),
    version: t.int({ required: false, description: 'Defaults to the latest version.' }),
    fixture: t.field({
      type: 'JSON',
      required: true,
      description:
        'A recorded run `{ input, output, steps: { <id>: { input, output } } }`, as `weft test record` writes it.',
    }),
  }),
});
export const StartExecutionInput = builder.inputType('StartExecutionInput', {
  fields: (t) => ({
    planId: t.id({ required: true }),
    version: t.int({ required: false, description: 'Defaults to the latest version.' }),
    input: t.field({ type: 'JSON', required: false }),
    mode: t.field({ type: ExecutionModeEnum, required: false, description: 'Defaults to LIVE.' }),
    idempotencyKey: t.string({
      required: false,
      description:
        'At most 200 characters. The same key for the same plan within 24 h returns the first execution and starts nothing.',
    }),
    chaos: t.field({
      type: ChaosInput,
      required: false,
      description: 'Fault injection; DRY_RUN only.',
    }),
    priority: t.int({
      required: false,
      description:
        "Orders this run's steps among the workspace's queued steps: -10 (first) to 10, default 0. Bounded, so fair dispatch across workspaces still applies.",
    }),
  }),
});
export const RerunExecutionInput = builder.inputType('RerunExecutionInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The run to start again (any status).' }),
    fromStepId: t.string({
      required: false,
      description:
        "Re-run from this step: it and every step downstream of it run again; the old run's other SUCCEEDED steps keep their output. Without it, the whole plan runs.",
    }),
    input: t.field({
      type: 'JSON',
      required: false,
      description: "The new run's input; the old run's input when omitted.",
    }),
  }),
});
export const ExecutionIdsInput = builder.inputType('ExecutionIdsInput', {
  fields: (t) => ({
    ids: t.idList({ required: true, description: 'Runs of one workspace, 1 to 100.' }),
  }),
});
export const ExecutionIdInput = builder.inputType('ExecutionIdInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});
export const DecideApprovalInput = builder.inputType('DecideApprovalInput', {
  fields: (t) => ({
    approvalId: t.id({ required: true }),
    approve: t.boolean({ required: true }),
    comment: t.string({ required: false }),
  }),
});
export const DraftPlanInput = builder.inputType('DraftPlanInput', {
  fields: (t) => ({ workspaceId: t.id({ required: true }), request: t.string({ required: true }) }),
});
export const PublishPluginInput = builder.inputType('PublishPluginInput', {
  fields: (t) => ({ manifest: t.field({ type: 'JSON', required: true }), bundle: t.string({ required: true }) }),
});
export const InstallPluginInput = builder.inputType('InstallPluginInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    pluginVersionId: t.id({ required: true }),
    grantedCapabilities: t.stringList({ required: true }),
  }),
});
export const UninstallPluginInput = builder.inputType('UninstallPluginInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});
export const SetSecretInput = builder.inputType('SetSecretInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    name: t.string({ required: true }),
    value: t.string({ required: true }),
    allowedHosts: t.stringList({
      required: false,
      description:
        "Hosts a plugin may send the value to: `api.example.com`, `*.example.com`, `host:port` or `*`; a request carrying it anywhere else is refused. Absent: unchanged on replace; null: the hosts the installation's `http:` grants name (not `http:*`); []: no host.",
    }),
  }),
});
