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

/** @public Normalises anything thrown into an Error (tools may throw non-errors). */
export function toEngineError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new Error(typeof error === 'string' ? error : JSON.stringify(error));
}
