/** Validation of the branching fields of a step: `if`, and `fallback`/`continueOnError` on tool steps only. */
import { conditionProblem, conditionSteps } from './conditions.ts';
import { PlanIssueCode } from './errors.ts';
import type { PlanIssue, StepSpec } from './types.ts';

export function conditionIssues(step: StepSpec, at: string[], index: ReadonlyMap<string, number>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  if (step.type !== undefined && step.type !== 'tool') {
    for (const field of ['fallback', 'continueOnError'] as const) {
      if (step[field] !== undefined) {
        issues.push({
          code: PlanIssueCode.NOT_A_TOOL_STEP,
          path: [...at, field],
          message: `"${field}" applies to tool steps only`,
        });
      }
    }
  }
  if (step.if === undefined) return issues;
  const path = [...at, 'if'];
  const problem = conditionProblem(step.if);
  if (problem !== null) {
    issues.push({ code: PlanIssueCode.BAD_CONDITION, path, message: `"if" is not a valid CEL expression: ${problem}` });
    return issues;
  }
  for (const id of conditionSteps(step.if)) {
    if (id === step.id) {
      issues.push({ code: PlanIssueCode.STEP_NOT_UPSTREAM, path, message: `"if" cannot read the step's own output` });
    } else if (!index.has(id)) {
      issues.push({ code: PlanIssueCode.UNKNOWN_REFERENCE, path, message: `"if" references unknown step "${id}"` });
    }
  }
  return issues;
}
