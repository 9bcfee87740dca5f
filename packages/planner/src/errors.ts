import type { PlanIssue } from '@weft/engine';

/** Why a draft failed. Every expected failure of the planner is one of these, returned as a value. */
export const PlannerErrorCode = {
  /** The model did not answer within the configured timeout. */
  LLM_TIMEOUT: 'LLM_TIMEOUT',
  /** The provider kept answering 429, or asked to wait longer than we allow. */
  LLM_RATE_LIMITED: 'LLM_RATE_LIMITED',
  /** The workspace used its LLM tokens for today (LLM_TOKENS_PER_DAY); the model was not called. */
  LLM_QUOTA_EXCEEDED: 'LLM_QUOTA_EXCEEDED',
  /** The provider failed (5xx, bad key, unreachable, refusal, unreadable answer). */
  LLM_ERROR: 'LLM_ERROR',
  /** No valid plan after the allowed repairs; `issues` are the last validation errors. */
  PLAN_INVALID: 'PLAN_INVALID',
  /** Without a model, the request could not be matched to the workspace's tools. */
  NEEDS_LLM: 'NEEDS_LLM',
  /** The model says no tool of the workspace can do what is asked (its reason is the message). */
  NO_SUITABLE_TOOLS: 'NO_SUITABLE_TOOLS',
  /** The request itself is unusable (empty, too long). */
  BAD_REQUEST: 'BAD_REQUEST',
} as const;

export type PlannerErrorCode = (typeof PlannerErrorCode)[keyof typeof PlannerErrorCode];

export interface PlannerError {
  code: PlannerErrorCode;
  message: string;
  /** For PLAN_INVALID: the validation issues of the last attempt. */
  issues?: PlanIssue[];
}

export function plannerError(code: PlannerErrorCode, message: string, issues?: PlanIssue[]): PlannerError {
  return issues ? { code, message, issues } : { code, message };
}
