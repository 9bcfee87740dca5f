/**
 * Validation of the steps that run other work: `plan` (a sub-plan, as a child execution) and `map`
 * (a tool or sub-plan once per array item). Which plans exist is not part of a spec: callers that
 * know the workspace's plan names pass them (`knownPlans`); at run time a missing plan fails the
 * step with a clear error.
 */
import { PlanIssueCode } from './errors.ts';
import { findTemplates } from './templates.ts';
import type { PlanIssue, PlanSpec, StepSpec } from './types.ts';

/** @public Items one map step may run: beyond it the step fails (the array is not cut). */
export const MAP_MAX_ITEMS = 1000;
/** @public Items of one map step in flight at once, unless the step sets `concurrency`. */
export const MAP_DEFAULT_CONCURRENCY = 5;

export function isComposite(step: StepSpec | undefined): boolean {
  return step?.type === 'plan' || step?.type === 'map';
}

/** Issues of a plan or map step's own fields; tool and reference checks are the caller's. */
export function compositeIssues(
  plan: PlanSpec,
  step: StepSpec,
  at: string[],
  knownPlans: ReadonlySet<string> | undefined,
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const issue = (code: string, field: string, message: string) => issues.push({ code, path: [...at, field], message });
  const kind = step.type ?? 'tool';
  if (kind !== 'map') {
    if (step.over !== undefined) issue(PlanIssueCode.SCHEMA, 'over', '"over" belongs to map steps');
    if (step.concurrency !== undefined)
      issue(PlanIssueCode.SCHEMA, 'concurrency', '"concurrency" belongs to map steps');
  }
  if (kind !== 'map' && kind !== 'plan') {
    if (step.plan !== undefined) issue(PlanIssueCode.SCHEMA, 'plan', '"plan" belongs to plan and map steps');
  }
  if (step.version !== undefined && step.plan === undefined) {
    issue(PlanIssueCode.SCHEMA, 'version', '"version" pins a version of "plan": name the plan too');
  }
  if (kind === 'plan') {
    if (step.plan === undefined) issue(PlanIssueCode.MISSING_TOOL, 'plan', 'a plan step needs "plan" (a plan name)');
    if (step.tool !== undefined) issue(PlanIssueCode.SCHEMA, 'tool', 'a plan step runs a plan, not a tool');
  }
  if (kind === 'map') {
    if ((step.tool === undefined) === (step.plan === undefined)) {
      issue(PlanIssueCode.MISSING_TOOL, 'tool', 'a map step needs exactly one of "tool" or "plan"');
    }
    if (step.over === undefined) issue(PlanIssueCode.SCHEMA, 'over', 'a map step needs "over" (a template)');
    else {
      const found = findTemplates(step.over);
      if (found.length !== 1 || found[0]?.exact !== true) {
        issue(PlanIssueCode.BAD_REFERENCE, 'over', '"over" must be exactly one reference, e.g. "{{ input.items }}"');
      }
    }
  }
  if (step.plan !== undefined && (kind === 'plan' || kind === 'map')) {
    if (plan.name !== undefined && step.plan === plan.name) {
      issue(PlanIssueCode.SELF_REFERENCE, 'plan', `plan "${plan.name}" cannot run itself`);
    } else if (knownPlans !== undefined && !knownPlans.has(step.plan)) {
      issue(PlanIssueCode.UNKNOWN_PLAN, 'plan', `no plan "${step.plan}" in this workspace`);
    }
  }
  return issues;
}
