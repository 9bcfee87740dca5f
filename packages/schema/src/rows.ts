import type { DryRunOptions, ExecutionMode, ExecutionStatus, Role, StepStatus } from '@weft/engine';
import type { PluginInstallationRecord, PluginVersionRecord } from '@weft/plugin-host';

// Shapes the GraphQL types resolve from: database rows in camelCase.

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
}
export interface WorkspaceRow {
  id: string;
  slug: string;
  name: string;
}
export interface MembershipRow {
  workspaceId: string;
  userId: string;
  role: Role;
}
export interface PlanRow {
  workspaceId: string;
  id: string;
  name: string;
  latestVersion: number;
}
export interface PlanVersionRow {
  workspaceId: string;
  id: string;
  planId: string;
  number: number;
  parentNumber: number | null;
  spec: unknown;
  contentHash: string;
  message: string | null;
  createdBy: string | null;
  createdAt: Date;
}
export interface ExecutionRow {
  workspaceId: string;
  id: string;
  planId: string;
  planVersionId: string;
  status: ExecutionStatus;
  mode: ExecutionMode;
  input: unknown;
  output: unknown;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The OpenTelemetry trace of the run (absent where a query did not select it). */
  traceId?: string | null;
  /** The run whose plan or map step started this one (sub-plans). */
  parentExecutionId?: string | null;
  /** How the run was started (absent where a query did not select it). */
  trigger?: string;
  /** What a dry run was started with (regression fixture, chaos); null for other runs. */
  dryRunOptions?: DryRunOptions | null;
  /** Orders the run's queued steps within its workspace (-10..10). */
  priority: number;
  /** Who started the run by hand (null for schedules, webhooks, events, and absent where not selected). */
  createdBy?: string | null;
}
export interface StepRunRow {
  stepId: string;
  status: StepStatus;
  attempts: number;
  input: unknown;
  output: unknown;
  error: string | null;
  /** `error_detail` (migration 21); null on rows written before it and on unfailed steps. */
  errorDetail: unknown;
  cacheHit: boolean;
  fellBack: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
}
export interface EventRow {
  seq: number;
  type: string;
  stepId: string | null;
  at: Date;
  data: unknown;
}
export interface ApprovalRow {
  workspaceId: string;
  id: string;
  executionId: string;
  stepId: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED';
  message: string | null;
  decidedBy: string | null;
  comment: string | null;
  approvers: Role[];
  createdAt: Date;
  decidedAt: Date | null;
}
export interface WebhookRow {
  workspaceId: string;
  id: string;
  planId: string;
  createdAt: Date;
  /** Only right after creation: the secret is shown once. */
  secret?: string | null;
}
export interface AuditRow {
  workspaceId: string;
  id: string;
  actorId: string | null;
  action: string;
  targetId: string | null;
  /** The target's name when the row was written (migration 26); null on older rows. */
  targetLabel: string | null;
  before: unknown;
  after: unknown;
  at: Date;
}
export interface PluginRow {
  id: string;
  name: string;
  publisher: string;
  description: string | null;
}
/** The plugin host's records are the rows: the API reads them through its queries or its answers. */
export type PluginVersionRow = Omit<PluginVersionRecord, 'manifest' | 'createdAt'> & { manifest: unknown };
export type InstallationRow = Pick<
  PluginInstallationRecord,
  'workspaceId' | 'id' | 'pluginVersionId' | 'grantedCapabilities' | 'enabled'
>;

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Maps a snake_case row to its camelCase shape (the SQL selects exactly the shape's columns). */
export function toRow<T>(row: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) as T;
}

export const COLUMNS = {
  plan: 'workspace_id, id, name, latest_version',
  planVersion: 'workspace_id, id, plan_id, number, parent_number, spec, content_hash, message, created_by, created_at',
  execution:
    'workspace_id, id, plan_id, plan_version_id, status, mode, input, output, error, created_at, started_at, finished_at, trace_id, parent_execution_id, trigger, dry_run_options, priority, created_by',
  approval:
    'workspace_id, id, execution_id, step_id, status, message, decided_by, comment, approvers, created_at, decided_at',
  webhook: 'workspace_id, id, plan_id, created_at',
  audit: 'workspace_id, id, actor_id, action, target_id, target_label, before, after, at',
  installation: 'workspace_id, id, plugin_version_id, granted_capabilities, enabled',
  pluginVersion: `v.id, v.plugin_id, p.name AS plugin_name, v.version, v.capabilities, v.optional_capabilities,
    v.integrity, v.manifest`,
} as const;
