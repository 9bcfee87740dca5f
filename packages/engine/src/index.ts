export { builtinTools } from './builtin-tools.ts';
export { canonicalJson, hashPlan } from './canonical-json.ts';
export {
  type ApprovalPolicy,
  type ApprovalPolicyInput,
  defaultApprovalPolicy,
  planApprovalRefusal,
} from './controls.ts';
export { createEngine, type Engine, type EngineOptions } from './engine.ts';
export type {
  ControlResult,
  EngineApi,
  ExecutionStatusChange,
  StartExecutionInput,
  ToolStats,
} from './engine-api.ts';
export { EngineError, EngineErrorCode, PlanIssueCode, StaleAttemptError, toEngineError } from './errors.ts';
export { type Logger, silentLogger } from './logger.ts';
export { diffPlans } from './plan-diff.ts';
export { inferDependencies } from './plan-graph.ts';
export { planSpecJsonSchema } from './plan-schema.ts';
export { prepareQueue, QUEUE_SCHEMA_VERSION } from './queue.ts';
export type { RateLimit, RateLimitOptions } from './runtime.ts';
export {
  EXECUTION_INPUT_LIMITS,
  executionInputSizeIssues,
  type JsonLimits,
  jsonSizeIssues,
  PLAN_LIMITS,
  planSizeIssues,
} from './size-limits.ts';
export { STEP_LOG_MAX_BYTES, STEP_LOG_MAX_LINES } from './step-logs.ts';
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
