import { executionInputSizeIssues, planSizeIssues } from '@weft/engine';
import { type UserError, userError } from './errors.ts';

// The engine owns the size limits (PLAN_LIMITS, EXECUTION_INPUT_LIMITS); these put its issues at
// the mutation's field so every mutation that takes a spec or an input answers the same way.

/** A spec beyond `PLAN_LIMITS`, as userErrors under `field` (e.g. `spec`). */
export function specSizeErrors(spec: unknown, field = 'spec'): UserError[] {
  return planSizeIssues(spec).map((i) => userError(i.code, [field, ...i.path], i.message));
}

/** An execution input beyond `EXECUTION_INPUT_LIMITS`, as userErrors under `input`. */
export function inputSizeErrors(input: unknown): UserError[] {
  return executionInputSizeIssues(input ?? null).map((i) => userError(i.code, ['input', ...i.path], i.message));
}
