import type { PlanIssue, PlanSpec } from '@weft/engine';

/** Same shape as `EngineApi.validatePlan`, so the engine's validator replaces this one as is. */
export type PlanValidator = (
  workspaceId: string,
  spec: unknown,
) => Promise<{ spec: PlanSpec | null; issues: PlanIssue[] }>;

const STEP_KEYS = new Set([
  'id',
  'tool',
  'type',
  'input',
  'after',
  'retry',
  'timeoutMs',
  'cacheTtlMs',
  'compensate',
  'locks',
  'approvers',
  'message',
  'expiresInMs',
]);
const PLAN_KEYS = new Set(['name', 'concurrency', 'steps', 'mocks']);
const ROLES = new Set(['ADMIN', 'MEMBER', 'VIEWER']);
const STEP_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const TOOL = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*(@\S+)?$/i;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInt(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * The structural check of the contract's plan format (docs/contract.md "Plan specification"), used until the engine's validator (which also
 * knows the workspace's tools and their input schemas) is injected. Paths are relative to the spec.
 */
export const structuralPlanValidator: PlanValidator = async (_workspaceId, spec) => {
  const issues: PlanIssue[] = [];
  const issue = (path: string[], message: string, code = 'INVALID_PLAN') => issues.push({ code, path, message });
  if (!isObject(spec)) {
    issue([], 'A plan is a JSON object with a "steps" array.');
    return { spec: null, issues };
  }
  for (const key of Object.keys(spec)) if (!PLAN_KEYS.has(key)) issue([key], `Unknown plan field "${key}".`);
  if (spec.name !== undefined && typeof spec.name !== 'string') issue(['name'], 'name must be a string.');
  if (spec.concurrency !== undefined && !(isPositiveInt(spec.concurrency) && Number(spec.concurrency) >= 1)) {
    issue(['concurrency'], 'concurrency must be a whole number of at least 1.');
  }
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) {
    issue(['steps'], 'steps must be a non-empty array.');
    return { spec: null, issues };
  }
  const ids = new Set<string>();
  spec.steps.forEach((step: unknown, index: number) => {
    const at = ['steps', String(index)];
    if (!isObject(step)) {
      issue(at, 'A step is an object.');
      return;
    }
    for (const key of Object.keys(step)) if (!STEP_KEYS.has(key)) issue([...at, key], `Unknown step field "${key}".`);
    if (typeof step.id !== 'string' || !STEP_ID.test(step.id)) {
      issue([...at, 'id'], 'id must be a name of letters, digits, "_" or "-" (up to 64).');
    } else if (ids.has(step.id)) {
      issue([...at, 'id'], `Step id "${step.id}" is used twice.`, 'DUPLICATE_STEP');
    } else ids.add(step.id);
    const type = step.type ?? 'tool';
    if (type !== 'tool' && type !== 'approval') issue([...at, 'type'], 'type is "tool" or "approval".');
    if (type === 'tool' && (typeof step.tool !== 'string' || !TOOL.test(step.tool))) {
      issue([...at, 'tool'], 'A tool step names its tool, e.g. "core.echo".', 'UNKNOWN_TOOL');
    }
    if (step.input !== undefined && !isObject(step.input)) issue([...at, 'input'], 'input must be an object.');
    if (step.after !== undefined && !(Array.isArray(step.after) && step.after.every((a) => typeof a === 'string'))) {
      issue([...at, 'after'], 'after must be an array of step ids.');
    }
    if (step.retry !== undefined) {
      const retry = step.retry;
      if (!isObject(retry) || !(isPositiveInt(retry.maxAttempts) && Number(retry.maxAttempts) >= 1)) {
        issue([...at, 'retry', 'maxAttempts'], 'retry.maxAttempts must be a whole number of at least 1.');
      } else {
        if (retry.backoff !== undefined && retry.backoff !== 'fixed' && retry.backoff !== 'exponential') {
          issue([...at, 'retry', 'backoff'], 'retry.backoff is "fixed" or "exponential".');
        }
        if (retry.delayMs !== undefined && !isPositiveInt(retry.delayMs)) {
          issue([...at, 'retry', 'delayMs'], 'retry.delayMs must be a whole number of milliseconds.');
        }
      }
    }
    for (const key of ['timeoutMs', 'cacheTtlMs', 'expiresInMs'] as const) {
      if (step[key] !== undefined && !isPositiveInt(step[key]))
        issue([...at, key], `${key} must be whole milliseconds.`);
    }
    if (step.compensate !== undefined) {
      const c = step.compensate;
      if (!isObject(c) || typeof c.tool !== 'string' || !TOOL.test(c.tool)) {
        issue([...at, 'compensate', 'tool'], 'compensate names a tool.');
      }
    }
    if (step.locks !== undefined && !(Array.isArray(step.locks) && step.locks.every((l) => typeof l === 'string'))) {
      issue([...at, 'locks'], 'locks must be an array of strings.');
    }
    if (
      step.approvers !== undefined &&
      !(Array.isArray(step.approvers) && step.approvers.every((r) => typeof r === 'string' && ROLES.has(r)))
    ) {
      issue([...at, 'approvers'], 'approvers must be roles: ADMIN, MEMBER, VIEWER.');
    }
    if (step.message !== undefined && typeof step.message !== 'string') issue([...at, 'message'], 'message is text.');
  });
  spec.steps.forEach((step: unknown, index: number) => {
    if (!isObject(step) || !Array.isArray(step.after)) return;
    step.after.forEach((dep: unknown, i: number) => {
      if (typeof dep === 'string' && !ids.has(dep)) {
        issues.push({
          code: 'UNKNOWN_STEP',
          path: ['steps', String(index), 'after', String(i)],
          message: `after names "${dep}", which is not a step of this plan.`,
        });
      }
    });
  });
  return issues.length > 0 ? { spec: null, issues } : { spec: spec as unknown as PlanSpec, issues };
};
