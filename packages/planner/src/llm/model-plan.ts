import type { PlanIssue, PlanSpec, StepSpec } from '@weft/engine';
import { Ajv } from 'ajv';

/**
 * The shape the model answers in (OpenAI structured output, strict mode). Strict mode wants every
 * property required and no free-form objects, while tool inputs are free-form: so each step's
 * input travels as JSON text (`inputJson`) and optional fields are nullable.
 */
export const MODEL_PLAN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'explanation', 'steps'],
  properties: {
    name: { type: 'string', description: 'short kebab-case plan name' },
    explanation: { type: 'string', description: 'one or two sentences for the user: what the plan does and why' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type', 'tool', 'inputJson', 'after', 'message', 'retryMaxAttempts', 'timeoutMs'],
        properties: {
          id: { type: 'string', description: 'unique, ^[A-Za-z][A-Za-z0-9_-]*$' },
          type: { type: 'string', enum: ['tool', 'approval'] },
          tool: { type: ['string', 'null'], description: 'a tool name from the catalogue; null for approval steps' },
          inputJson: { type: 'string', description: 'the tool input as a JSON object text, "{}" when none' },
          after: { type: 'array', items: { type: 'string' }, description: 'ids of steps that must finish first' },
          message: { type: ['string', 'null'], description: 'approval steps: the question asked' },
          retryMaxAttempts: { type: ['integer', 'null'] },
          timeoutMs: { type: ['integer', 'null'] },
        },
      },
    },
  },
} as const;

export const MODEL_PLAN_FORMAT_NAME = 'weft_plan';

interface ModelStep {
  id: string;
  type: 'tool' | 'approval';
  tool: string | null;
  inputJson: string;
  after: string[];
  message: string | null;
  retryMaxAttempts: number | null;
  timeoutMs: number | null;
}

interface ModelPlan {
  name: string;
  explanation: string;
  steps: ModelStep[];
}

// Compatible servers do not all enforce strict structured output, so the answer is checked here too.
const checkShape = new Ajv({ allErrors: true, strict: false }).compile<ModelPlan>(MODEL_PLAN_SCHEMA);

/** Turns the model's answer into a plan spec, or the issues that make it unusable. */
export function readModelPlan(
  content: string,
): { ok: true; spec: PlanSpec; explanation: string } | { ok: false; issues: PlanIssue[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { ok: false, issues: [{ code: 'NOT_JSON', path: [], message: 'the answer is not valid JSON' }] };
  }
  if (!checkShape(parsed)) {
    return {
      ok: false,
      issues: (checkShape.errors ?? []).map((e) => ({
        code: 'BAD_SHAPE',
        path: e.instancePath.split('/').slice(1),
        message: `answer${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`,
      })),
    };
  }
  const issues: PlanIssue[] = [];
  const steps = parsed.steps.map((step, i): StepSpec => {
    let input: unknown = {};
    try {
      input = JSON.parse(step.inputJson || '{}');
    } catch {
      issues.push({
        code: 'INPUT_NOT_JSON',
        path: ['steps', String(i), 'input'],
        message: 'inputJson is not valid JSON',
      });
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      issues.push({
        code: 'INPUT_NOT_OBJECT',
        path: ['steps', String(i), 'input'],
        message: 'input must be a JSON object',
      });
      input = {};
    }
    const spec: StepSpec = { id: step.id };
    if (step.type === 'approval') {
      spec.type = 'approval';
      if (step.message) spec.message = step.message;
    } else if (step.tool !== null) {
      spec.tool = step.tool;
    }
    if (Object.keys(input as object).length > 0) spec.input = input as Record<string, unknown>;
    if (step.after.length > 0) spec.after = step.after;
    if (step.retryMaxAttempts !== null) spec.retry = { maxAttempts: step.retryMaxAttempts, backoff: 'exponential' };
    if (step.timeoutMs !== null) spec.timeoutMs = step.timeoutMs;
    return spec;
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, spec: { name: parsed.name, steps }, explanation: parsed.explanation };
}
