/**
 * The engine's service interface, as the API and the planner call it. Every method that changes
 * state takes a client already inside the caller's tenant transaction (`withTenant`), so the
 * caller's audit row, the state change, its event and the queued job commit together or not at all.
 */
import type { ControlResult, DeliveredEvent, DryRunOptions, ExecutionTrigger } from './service-types.ts';
import type {
  Actor,
  ExecutionEvent,
  ExecutionMode,
  ExecutionStatus,
  PlanIssue,
  PlanSpec,
  TenantClient,
  ToolDefinition,
  ToolProvider,
} from './types.ts';

export interface StartExecutionInput {
  planVersionId: string;
  input?: unknown;
  mode?: ExecutionMode;
  actor: Actor;
  /**
   * W3C `traceparent` of the caller's span (a GraphQL operation, a webhook delivery): the run's
   * trace continues it. Without it, the run's span is a child of whatever span is active.
   */
  traceParent?: string | null;
  /**
   * Re-run from a step of an earlier run of the same version: `stepId` and every step downstream of
   * it run again; the other steps that SUCCEEDED in `executionId` start SUCCEEDED with their output.
   */
  rerunFrom?: { executionId: string; stepId: string };
  /**
   * The same key for the same plan within 24 h answers the first execution (`reused: true`) and
   * starts nothing (idempotency.ts). At most `MAX_IDEMPOTENCY_KEY_LENGTH` characters.
   */
  idempotencyKey?: string;
  /** What started the run (default MANUAL). */
  trigger?: ExecutionTrigger;
  /** Only for DRY_RUN (ignored otherwise): recorded outputs to answer with, and fault injection. */
  dryRun?: DryRunOptions;
  /**
   * Orders this run's steps among the workspace's other queued steps: lower runs first, from -10
   * to 10, default 0. Its weight is bounded (it counts the workspace's queue as at most 16 times
   * shorter), so fair dispatch across workspaces still decides (docs/operations.md "Fairness").
   * Outside the range: INVALID_INPUT.
   */
  priority?: number;
}

/** @public The range of `StartExecutionInput.priority`. */
export const EXECUTION_PRIORITY = { min: -10, max: 10 } as const;

/** @public Per-tool statistics from recorded step attempts. */
export interface ToolStats {
  tool: string;
  calls: number;
  failures: number;
  retries: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** @public A status change of an execution, as `workspaceExecutions` streams it. */
export interface ExecutionStatusChange {
  workspaceId: string;
  executionId: string;
  status: ExecutionStatus;
}

export interface EngineApi {
  /** Checks a spec (schema, ids, references, cycles, tools, tool inputs) against a workspace's tools. */
  validatePlan(workspaceId: string, spec: unknown): Promise<{ spec: PlanSpec | null; issues: PlanIssue[] }>;
  /** Built-ins plus every provider's tools for the workspace. */
  listTools(workspaceId: string): Promise<ToolDefinition[]>;
  /** Adds a source of tools (the plugin host). */
  registerProvider(provider: ToolProvider): void;
  toolStats(client: TenantClient, workspaceId: string): Promise<ToolStats[]>;

  startExecution(
    client: TenantClient,
    workspaceId: string,
    input: StartExecutionInput,
  ): Promise<{ executionId: string; reused: boolean }>;
  pauseExecution(client: TenantClient, workspaceId: string, executionId: string, actor: Actor): Promise<ControlResult>;
  resumeExecution(client: TenantClient, workspaceId: string, executionId: string, actor: Actor): Promise<ControlResult>;
  cancelExecution(client: TenantClient, workspaceId: string, executionId: string, actor: Actor): Promise<ControlResult>;
  /**
   * Re-runs the failed steps of a FAILED run (and the steps its failure stopped before they
   * started); completed outputs are kept. Any other run, a CANCELLED one included, is INVALID_STATE.
   */
  retryExecution(client: TenantClient, workspaceId: string, executionId: string, actor: Actor): Promise<ControlResult>;
  /** Runs `compensate` of completed steps in reverse dependency order, durably. */
  rollbackExecution(
    client: TenantClient,
    workspaceId: string,
    executionId: string,
    actor: Actor,
  ): Promise<ControlResult>;
  /** `EngineOptions.approvalPolicy` decides whether `actor` may (default: its role against the step's `approvers`). */
  decideApproval(
    client: TenantClient,
    workspaceId: string,
    approvalId: string,
    decision: { approve: boolean; comment?: string; actor: Actor },
  ): Promise<ControlResult>;

  /**
   * Resumes, in the caller's tenant transaction, every `wait` step of the workspace parked on an
   * event named `name` whose `match` fields all equal `data`'s and that began waiting no later than
   * `sentAt`; each finishes with output `data`. Returns how many were resumed.
   */
  deliverEvent(client: TenantClient, event: DeliveredEvent): Promise<{ resumed: number }>;

  /** Replays events after `afterSeq` from the database, then tails live, with no gap or duplicate. */
  subscribe(
    workspaceId: string,
    executionId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncIterable<ExecutionEvent>;
  /** Every status change of the workspace's executions, live. */
  subscribeWorkspace(workspaceId: string, signal: AbortSignal): AsyncIterable<ExecutionStatusChange>;

  /** Starts `count` in-process workers (graphile-worker runners plus the lease sweeper). */
  startWorkers(count: number): Promise<void>;
  /** Stops workers (running steps get their abort signal) and closes listeners. Idempotent. */
  stop(): Promise<void>;
}
