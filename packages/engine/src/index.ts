export {
  type ApprovalPolicy,
  type ApprovalPolicyInput,
  defaultApprovalPolicy,
  planApprovalRefusal,
} from './approval-policy.ts';
export { builtinTools } from './builtin-tools.ts';
export { canonicalJson, hashPlan } from './canonical-json.ts';
export { CHAOS_LIMITS, type ChaosOptions, chaosIssues } from './chaos.ts';
export { DEFAULT_MAX_PLAN_DEPTH } from './child-runs.ts';
export { MAP_DEFAULT_CONCURRENCY, MAP_MAX_ITEMS } from './composite-steps.ts';
export { createEngine, type Engine, type EngineOptions } from './engine.ts';
export {
  type EngineApi,
  EXECUTION_PRIORITY,
  type ExecutionStatusChange,
  type StartExecutionInput,
  type ToolStats,
} from './engine-api.ts';
export { EngineError, EngineErrorCode, PlanIssueCode, StaleAttemptError, toEngineError } from './errors.ts';
export { eventMatches } from './events/match.ts';
export type {
  ExecutionEventData,
  ExecutionEventType,
  StepSucceededData,
} from './events.ts';
export { IDEMPOTENCY_WINDOW_HOURS, MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency.ts';
export { type Logger, silentLogger } from './logger.ts';
export { CORE_SLEEP_MAX_MS } from './parked-plan.ts';
export { diffPlans } from './plan-diff.ts';
export { inferDependencies } from './plan-graph.ts';
export { planSpecJsonSchema } from './plan-schema.ts';
export {
  PLAN_STATS_MAX_BUCKETS,
  type PlanStatsBucket,
  type PlanStatsBucketSize,
  type PlanStatsWindow,
  type PlanTotals,
  planStats,
  planStatsWindowIssue,
  planTotals,
} from './plan-stats.ts';
export { prepareQueue, QUEUE_SCHEMA_VERSION } from './queue.ts';
export {
  compareToFixture,
  fixtureIssues,
  type RegressionChange,
  type RegressionFixture,
} from './regression.ts';
export type { RateLimit, RateLimitOptions } from './runtime.ts';
export {
  CRON_MAX_LENGTH,
  nextRunAfter,
  nextRunsAfter,
  type ScheduleIssue,
  type ScheduleTiming,
  scheduleIssues,
  TIMEZONE_MAX_LENGTH,
} from './schedules/cron.ts';
export type { OverlapPolicy, TickOutcome } from './schedules/fire.ts';
export type { TickerOptions } from './schedules/ticker.ts';
export {
  type ControlResult,
  type DeliveredEvent,
  type DryRunOptions,
  EXECUTION_TRIGGERS,
  type ExecutionTrigger,
} from './service-types.ts';
export {
  EXECUTION_INPUT_LIMITS,
  executionInputSizeIssues,
  type JsonLimits,
  jsonSizeIssues,
  PLAN_LIMITS,
  planSizeIssues,
} from './size-limits.ts';
export {
  CAUSE_LIMITS,
  type CodedError,
  type StepError,
  type StepErrorCause,
  StepErrorCode,
  stepErrorOf,
  storedStepError,
  withStepErrorCode,
} from './step-error.ts';
export { STEP_LOG_MAX_BYTES, STEP_LOG_MAX_LINES } from './step-logs.ts';
// The LISTEN/NOTIFY channel names, for tools that watch announcements as the API does (bench/api).
export { Channel } from './store.ts';
export { parseReference, type Reference, resolveTemplates, scanTemplates, type TemplateMatch } from './templates.ts';
export { parseToolRef, resolveToolRef } from './tool-ref.ts';
export { type ToolStatsWindow, toolStats } from './tool-stats.ts';
export { traceParentOf } from './tracing.ts';
export {
  type Actor,
  EXECUTION_STATUSES,
  type ExecutionEvent,
  type ExecutionMode,
  type ExecutionStatus,
  type JsonSchema,
  NonRetriableToolError,
  type PlanDiff,
  type PlanIssue,
  type PlanSpec,
  RetryAfterToolError,
  type Role,
  STEP_STATUSES,
  type StepSpec,
  type StepStatus,
  type TenantClient,
  type ToolContext,
  type ToolDefinition,
  type ToolProvider,
} from './types.ts';
export { validatePlanSpec } from './validate-plan.ts';
