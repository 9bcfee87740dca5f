import type { PlanIssue, PlanSpec, StepSpec } from '@weft/engine';
import { Ajv } from 'ajv';
import { nextRunsOf, type ScheduleSuggestion } from '../schedule-phrase.ts';

/** Fields a model may leave out when the server does not enforce strict output: they mean null. */
const OPTIONAL_STEP_FIELDS = [
  'durationMs',
  'until',
  'event',
  'matchJson',
  'plan',
  'over',
  'concurrency',
  'if',
  'continueOnError',
] as const;

/**
 * The shape the model answers in (OpenAI structured output, strict mode). Strict mode wants every
 * property required and no free-form objects, while tool inputs are free-form: so each step's
 * input travels as JSON text (`inputJson`) and optional fields are nullable.
 */
export const MODEL_PLAN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'explanation', 'schedule', 'steps'],
  properties: {
    name: { type: 'string', description: 'short kebab-case plan name' },
    schedule: {
      type: ['object', 'null'],
      description: 'when the request says the plan should run on a rhythm ("every Monday at 9"); null otherwise',
      additionalProperties: false,
      required: ['cron', 'timezone'],
      properties: {
        cron: { type: 'string', description: '5 fields, or 6 with seconds first, e.g. "0 9 * * 1"' },
        timezone: { type: 'string', description: 'IANA time zone, "UTC" when none is named' },
      },
    },
    explanation: { type: 'string', description: 'one or two sentences for the user: what the plan does and why' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'id',
          'type',
          'tool',
          'inputJson',
          'after',
          'message',
          'retryMaxAttempts',
          'timeoutMs',
          ...OPTIONAL_STEP_FIELDS,
        ],
        properties: {
          id: { type: 'string', description: 'unique, ^[A-Za-z][A-Za-z0-9_-]*$' },
          type: { type: 'string', enum: ['tool', 'approval', 'sleep', 'wait', 'plan', 'map'] },
          tool: {
            type: ['string', 'null'],
            description: 'tool steps and map steps over a tool: a tool name from the catalogue; null otherwise',
          },
          inputJson: { type: 'string', description: 'the tool input as a JSON object text, "{}" when none' },
          after: { type: 'array', items: { type: 'string' }, description: 'ids of steps that must finish first' },
          message: { type: ['string', 'null'], description: 'approval steps: the question asked' },
          retryMaxAttempts: { type: ['integer', 'null'] },
          timeoutMs: {
            type: ['integer', 'null'],
            description: 'tool steps: per attempt; wait steps: how long to wait',
          },
          durationMs: { type: ['integer', 'null'], description: 'sleep steps: how long (or use until)' },
          until: { type: ['string', 'null'], description: 'sleep steps: ISO 8601 date-time to sleep until' },
          event: { type: ['string', 'null'], description: 'wait steps: the event name to wait for' },
          matchJson: {
            type: ['string', 'null'],
            description: 'wait steps: JSON object text of fields the event data must equal; null for any',
          },
          plan: { type: ['string', 'null'], description: 'plan steps, or map steps over a plan: the plan name' },
          over: { type: ['string', 'null'], description: 'map steps: a template yielding an array' },
          concurrency: { type: ['integer', 'null'], description: 'map steps: items in flight (default 5)' },
          if: { type: ['string', 'null'], description: 'an expression; false skips the step' },
          continueOnError: { type: ['boolean', 'null'], description: 'true: the run goes on if this step fails' },
        },
      },
    },
  },
} as const;

export const MODEL_PLAN_FORMAT_NAME = 'weft_plan';

interface ModelStep {
  id: string;
  type: 'tool' | 'approval' | 'sleep' | 'wait' | 'plan' | 'map';
  tool: string | null;
  inputJson: string;
  after: string[];
  message: string | null;
  retryMaxAttempts: number | null;
  timeoutMs: number | null;
  durationMs: number | null;
  until: string | null;
  event: string | null;
  matchJson: string | null;
  plan: string | null;
  over: string | null;
  concurrency: number | null;
  if: string | null;
  continueOnError: boolean | null;
}

interface ModelPlan {
  name: string;
  explanation: string;
  schedule: { cron: string; timezone: string } | null;
  steps: ModelStep[];
}

// Compatible servers do not all enforce strict structured output, so the answer is checked here too.
const checkShape = new Ajv({ allErrors: true, strict: false }).compile<ModelPlan>(MODEL_PLAN_SCHEMA);

/** Turns the model's answer into a plan spec, or the issues that make it unusable. */
export function readModelPlan(
  content: string,
):
  | { ok: true; spec: PlanSpec; explanation: string; schedule: ScheduleSuggestion | null }
  | { ok: false; issues: PlanIssue[] } {
  let parsed: unknown;
  try {
    parsed = withNullDefaults(JSON.parse(content));
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
    } else if (step.type === 'tool') {
      if (step.tool !== null) spec.tool = step.tool;
    } else {
      spec.type = step.type;
      copyKindFields(spec, step, i, issues);
    }
    if (step.if !== null) spec.if = step.if;
    if (step.continueOnError === true) spec.continueOnError = true;
    if (Object.keys(input as object).length > 0) spec.input = input as Record<string, unknown>;
    if (step.after.length > 0) spec.after = step.after;
    const calls = step.type === 'tool' || step.type === 'plan' || step.type === 'map';
    if (step.retryMaxAttempts !== null && calls)
      spec.retry = { maxAttempts: step.retryMaxAttempts, backoff: 'exponential' };
    if (step.timeoutMs !== null && (step.type === 'tool' || step.type === 'wait')) spec.timeoutMs = step.timeoutMs;
    return spec;
  });
  let schedule: ScheduleSuggestion | null = null;
  if (parsed.schedule !== null) {
    const { cron, timezone } = parsed.schedule;
    const nextRuns = nextRunsOf(cron, timezone);
    if (nextRuns === null)
      issues.push({
        code: 'BAD_SCHEDULE',
        path: ['schedule'],
        message: `"${cron}" in "${timezone}" is not a cron expression with a known IANA time zone`,
      });
    else schedule = { cron, timezone, description: `cron ${cron} (${timezone})`, nextRuns };
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, spec: { name: parsed.name, steps }, explanation: parsed.explanation, schedule };
}

function withNullDefaults(answer: unknown): unknown {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return answer;
  const plan = answer as Record<string, unknown>;
  if (!('schedule' in plan)) plan.schedule = null;
  if (Array.isArray(plan.steps))
    for (const step of plan.steps)
      if (typeof step === 'object' && step !== null)
        for (const field of OPTIONAL_STEP_FIELDS) if (!(field in step)) (step as Record<string, unknown>)[field] = null;
  return answer;
}

/** The fields of sleep, wait, plan and map steps, from the model's flat answer. */
function copyKindFields(spec: StepSpec, step: ModelStep, i: number, issues: PlanIssue[]): void {
  if (step.durationMs !== null) spec.durationMs = step.durationMs;
  if (step.until !== null) spec.until = step.until;
  if (step.event !== null) spec.event = step.event;
  if (step.plan !== null) spec.plan = step.plan;
  if (step.over !== null) spec.over = step.over;
  if (step.concurrency !== null) spec.concurrency = step.concurrency;
  if (step.type === 'map' && step.tool !== null) spec.tool = step.tool;
  if (step.matchJson !== null) {
    try {
      const match: unknown = JSON.parse(step.matchJson);
      if (typeof match === 'object' && match !== null && !Array.isArray(match))
        spec.match = match as Record<string, unknown>;
      else throw new Error('not an object');
    } catch {
      issues.push({
        code: 'MATCH_NOT_JSON',
        path: ['steps', String(i), 'match'],
        message: 'matchJson must be a JSON object text',
      });
    }
  }
}
