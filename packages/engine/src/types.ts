/**
 * The engine's public vocabulary. Other packages (schema, plugin host, planner) code against these
 * types; the engine's implementation lives in the modules `index.ts` exports.
 */
import type { Queryable } from '@weft/db';

/** @public A workspace role, as plans' `approvers` and the API name them. */
export type Role = 'ADMIN' | 'MEMBER' | 'VIEWER';

/** @public A JSON Schema document (draft 2020-12 subset understood by ajv). */
export type JsonSchema = Record<string, unknown>;

/** @public One step of a plan (docs/contract.md "Plan specification"). */
export interface StepSpec {
  id: string;
  /** `name` or `name@range` (semver range of the providing plugin). Required for tool steps; a map's item tool. */
  tool?: string;
  type?: 'tool' | 'approval' | 'sleep' | 'wait' | 'plan' | 'map';
  /** Sub-plan steps, and maps over a sub-plan: the plan's name in the same workspace. */
  plan?: string;
  /** With `plan`: pins that version number (else the latest when the step opens). */
  version?: number;
  /** Map steps: a template yielding the array to map over. */
  over?: string;
  /** Map steps: items in flight at once (default 5). */
  concurrency?: number;
  input?: Record<string, unknown>;
  after?: string[];
  retry?: { maxAttempts: number; backoff?: 'fixed' | 'exponential'; delayMs?: number };
  timeoutMs?: number;
  cacheTtlMs?: number;
  compensate?: { tool: string; input?: Record<string, unknown> };
  locks?: string[];
  approvers?: Role[];
  message?: string;
  /** Approval steps: the request expires (step fails) after this long. */
  expiresInMs?: number;
  /**
   * A CEL expression over `input`, `steps` and `context`; false: the step is SKIPPED. A step without
   * one is SKIPPED when a dependency was (conditions.ts, branching.ts).
   */
  if?: string;
  /** Tool steps: runs instead once the step's attempts are exhausted; its output becomes the step's. */
  fallback?: { tool: string; input?: Record<string, unknown> };
  /** Tool steps: a step that still fails is FAILED but the run goes on; dependents read `null`. */
  continueOnError?: boolean;
  /** Sleep steps: how long to sleep (exactly one of `durationMs` and `until`). */
  durationMs?: number;
  /** Sleep steps: an ISO date-time to sleep until (templates allowed). */
  until?: string;
  /** Wait steps: the name of the event to wait for. */
  event?: string;
  /** Wait steps: fields the event's `data` must hold with equal values (values may be templates). */
  match?: Record<string, unknown>;
}

/** @public A plan version's document. */
export interface PlanSpec {
  name?: string;
  concurrency?: number;
  steps: StepSpec[];
  /** Dry-run and tests: fixed outputs per step id, used instead of calling the tool. */
  mocks?: Record<string, unknown>;
  /** Rules for every approval step of the plan. */
  approval?: {
    /** false: whoever started a run may not approve its gates (four-eyes). Default true. */
    selfApproval?: boolean;
  };
}

/** @public One validation problem, addressed by its path in the spec (e.g. ["steps","2","tool"]). */
export interface PlanIssue {
  code: string;
  path: string[];
  message: string;
}

/** @public Structural difference between two specs, by step id. */
export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: string[];
  /** For each changed step, the top-level fields that differ. */
  changedFields: Record<string, string[]>;
}

/** @public Every state of an execution (docs/engine.md "State machine and transactions"), in lifecycle order. */
export const EXECUTION_STATUSES = [
  'QUEUED',
  'RUNNING',
  'PAUSED',
  'WAITING_APPROVAL',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'ROLLING_BACK',
  'ROLLED_BACK',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export type ExecutionMode = 'LIVE' | 'DRY_RUN';
/** @public Every state of a step run. */
export const STEP_STATUSES = [
  'PENDING',
  'QUEUED',
  'RUNNING',
  'WAITING',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'WAITING_APPROVAL',
  'CANCELLED',
  'COMPENSATED',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** @public A row of `execution_events`: `seq` starts at 1 with no gaps per execution. */
export interface ExecutionEvent {
  workspaceId: string;
  executionId: string;
  seq: number;
  type: string;
  stepId: string | null;
  at: Date;
  data: unknown;
}

/** @public What a running tool can use. Everything is scoped to one step attempt. */
export interface ToolContext {
  workspaceId: string;
  executionId: string;
  stepId: string;
  attempt: number;
  mode: ExecutionMode;
  /** Aborted on cancel and on timeout; tools must stop promptly. */
  signal: AbortSignal;
  /** The run's shared context (persisted with the checkpoint). */
  context: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void> };
  /** Messages between steps of one run, on named channels. */
  messages: { post(channel: string, body: unknown): Promise<void>; read(channel: string): Promise<unknown[]> };
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: unknown): void;
}

/** @public A callable tool, from the built-ins or a provider (the plugin host). */
export interface ToolDefinition {
  /** Dotted name, e.g. `core.echo`, `http.request`. */
  name: string;
  /** Semver of the providing plugin; built-ins use the engine's version. */
  version: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  /** Outputs may be cached by (tool, version, resolved input) when a step sets `cacheTtlMs`. */
  cacheable?: boolean;
  /** Dry-run behaviour: run for real (side-effect free tools), or answer a mock shaped by outputSchema. */
  dryRun?: 'run' | 'mock';
  /** A capability key several tools may share (e.g. `email.send`); the learning engine picks among them. */
  provides?: string;
  /** Set by providers: which plugin version the tool comes from. */
  plugin?: { name: string; version: string; pluginVersionId: string; installationId: string };
  run(input: unknown, ctx: ToolContext): Promise<unknown>;
}

/**
 * @public Where tools come from besides the built-ins. The plugin host registers one; the engine
 * asks it for a workspace's tools on discovery and before running a step.
 */
export interface ToolProvider {
  readonly name: string;
  listTools(workspaceId: string): Promise<ToolDefinition[]>;
}

/** @public Thrown by a tool: fail the step now, do not retry. */
export class NonRetriableToolError extends Error {
  override name = 'NonRetriableToolError';
}

/** @public Thrown by a tool: retry, but not before `retryAfterMs`. */
export class RetryAfterToolError extends Error {
  override name = 'RetryAfterToolError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** @public Who asks the engine to do something; recorded on events and approvals. */
export interface Actor {
  userId: string | null;
  role: Role | null;
}

/** A database client inside a tenant transaction (see `withTenant` in @weft/db). */
export type TenantClient = Queryable;
