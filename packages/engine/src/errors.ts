import { NonRetriableToolError } from './types.ts';

/** @public Machine codes of plan validation issues (`PlanIssue.code`). */
export const PlanIssueCode = {
  SCHEMA: 'SCHEMA',
  DUPLICATE_STEP_ID: 'DUPLICATE_STEP_ID',
  UNKNOWN_STEP: 'UNKNOWN_STEP',
  CYCLE: 'CYCLE',
  MISSING_TOOL: 'MISSING_TOOL',
  UNKNOWN_TOOL: 'UNKNOWN_TOOL',
  INVALID_TOOL_INPUT: 'INVALID_TOOL_INPUT',
  BAD_REFERENCE: 'BAD_REFERENCE',
  UNKNOWN_REFERENCE: 'UNKNOWN_REFERENCE',
  STEP_NOT_UPSTREAM: 'STEP_NOT_UPSTREAM',
  /** A plan or map step names its own plan. */
  SELF_REFERENCE: 'SELF_REFERENCE',
  /** A plan or map step names a plan the workspace does not have (when the caller knows them). */
  UNKNOWN_PLAN: 'UNKNOWN_PLAN',
  /** An `if` expression that does not parse as CEL. */
  BAD_CONDITION: 'BAD_CONDITION',
  /** `fallback` or `continueOnError` on a step that is not a tool step. */
  NOT_A_TOOL_STEP: 'NOT_A_TOOL_STEP',
  /** Beyond a size limit (`PLAN_LIMITS`, `EXECUTION_INPUT_LIMITS`): nothing else was checked. */
  TOO_LARGE: 'TOO_LARGE',
} as const;
export type PlanIssueCode = (typeof PlanIssueCode)[keyof typeof PlanIssueCode];

/** @public Machine codes of engine errors, thrown or recorded on failed steps. */
export const EngineErrorCode = {
  INVALID_PLAN: 'INVALID_PLAN',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_STATE: 'INVALID_STATE',
  FORBIDDEN: 'FORBIDDEN',
  TOOL_NOT_FOUND: 'TOOL_NOT_FOUND',
  STEP_TIMEOUT: 'STEP_TIMEOUT',
  OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE',
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  APPROVAL_REJECTED: 'APPROVAL_REJECTED',
  REFERENCE_UNRESOLVED: 'REFERENCE_UNRESOLVED',
  /** An argument out of bounds (e.g. an idempotency key too long). */
  INVALID_INPUT: 'INVALID_INPUT',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** @public An unexpected engine failure or a rejected call, with a machine code. */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * @public Rejects `ctx.context.set` / `ctx.messages.post` from an attempt that no longer owns its
 * step: its lease was lost and the step dispatched again (new fence), or the step was cancelled or
 * has finished. Nothing was written. Non-retriable: the attempt's result is rejected anyway, and a
 * live attempt never sees this.
 */
export class StaleAttemptError extends NonRetriableToolError {
  override name = 'StaleAttemptError';
  constructor(
    readonly executionId: string,
    readonly stepId: string,
    readonly fence: number,
  ) {
    super(`attempt (fence ${fence}) no longer owns step "${stepId}": late write rejected`);
  }
}

/** @public Normalises anything thrown into an Error (tools may throw non-errors). */
export function toEngineError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new Error(typeof error === 'string' ? error : JSON.stringify(error));
}
