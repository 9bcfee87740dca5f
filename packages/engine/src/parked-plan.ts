/**
 * The plan side of parked steps (`type: "sleep"` and `type: "wait"`): which fields they take, what
 * validation says about them, and the `core.sleep` cap that sends long waits to them. The run side
 * is `parked-steps.ts`.
 */
import { PlanIssueCode } from './errors.ts';
import { findTemplates } from './templates.ts';
import type { PlanIssue, StepSpec } from './types.ts';

/**
 * `core.sleep` holds a worker slot while it sleeps; above this a plan must use `type: "sleep"`,
 * which holds none.
 */
export const CORE_SLEEP_MAX_MS = 60_000;

export type ParkedKind = 'sleep' | 'wait';

export function parkedKind(step: Pick<StepSpec, 'type'>): ParkedKind | null {
  return step.type === 'sleep' || step.type === 'wait' ? step.type : null;
}

/** The fields of a parked step that may hold templates (their references are dependencies). */
export function parkedTemplated(step: StepSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (step.until !== undefined) out.until = step.until;
  if (step.match !== undefined) out.match = step.match;
  return out;
}

/** Fields only a tool step (or an approval) means something with. */
const TOOL_ONLY = [
  'tool',
  'input',
  'retry',
  'cacheTtlMs',
  'compensate',
  'locks',
  'approvers',
  'message',
  'expiresInMs',
];
const OWN: Record<ParkedKind, string[]> = {
  sleep: ['durationMs', 'until'],
  wait: ['event', 'match', 'timeoutMs'],
};

/**
 * Issues of one step that are about parked-step fields: fields that do not apply to its kind,
 * exactly one of `durationMs` / `until`, a literal `until` that is no ISO date-time. References in
 * `until` and `match` are checked by the caller like any other.
 */
export function parkedFieldIssues(step: StepSpec, at: string[]): PlanIssue[] {
  const kind = parkedKind(step);
  const fields = step as unknown as Record<string, unknown>;
  const issues: PlanIssue[] = [];
  const misplaced = (field: string, why: string): void => {
    issues.push({ code: PlanIssueCode.SCHEMA, path: [...at, field], message: `"${field}" ${why}` });
  };
  if (kind === null) {
    for (const f of [...OWN.sleep, 'event', 'match']) {
      if (fields[f] !== undefined)
        misplaced(f, `applies only to ${f === 'event' || f === 'match' ? 'wait' : 'sleep'} steps (set "type")`);
    }
    return issues;
  }
  const other = kind === 'sleep' ? OWN.wait : OWN.sleep;
  for (const f of [...TOOL_ONLY, ...other]) {
    if (fields[f] !== undefined) misplaced(f, `does not apply to a ${kind} step`);
  }
  // Kind-dependent requirements are checked here rather than in the JSON Schema: clearer messages.
  if (kind === 'wait' && step.event === undefined) {
    issues.push({ code: PlanIssueCode.SCHEMA, path: [...at, 'event'], message: 'a wait step needs "event"' });
  }
  if (kind === 'sleep') {
    if ((step.durationMs === undefined) === (step.until === undefined)) {
      issues.push({
        code: PlanIssueCode.SCHEMA,
        path: [...at, step.durationMs === undefined ? 'durationMs' : 'until'],
        message: 'a sleep step takes exactly one of "durationMs" and "until"',
      });
    }
    if (step.until !== undefined && findTemplates(step.until).length === 0 && parseUntil(step.until) === null) {
      issues.push({
        code: PlanIssueCode.SCHEMA,
        path: [...at, 'until'],
        message: `"until" must be an ISO 8601 date-time with a time zone (e.g. "2030-01-01T09:00:00Z"), or a template`,
      });
    }
  }
  return issues;
}

// Date-time with an explicit offset: a bare local time would depend on the server's zone.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** An `until` value (rendered) as a time, or null when it is no ISO date-time with a zone. */
export function parseUntil(value: unknown): Date | null {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * The `core.sleep` cap as a plan issue on the step's `input.ms`, pointing at `type: "sleep"`
 * (null when the input is within it or templated: the tool refuses at run time then).
 */
export function coreSleepIssue(step: StepSpec, at: string[]): PlanIssue | null {
  if (step.tool === undefined || step.tool.split('@')[0] !== 'core.sleep') return null;
  const ms = step.input?.ms;
  if (typeof ms !== 'number' || ms <= CORE_SLEEP_MAX_MS) return null;
  return {
    code: PlanIssueCode.INVALID_TOOL_INPUT,
    path: [...at, 'input', 'ms'],
    message: `core.sleep holds a worker slot and is capped at ${CORE_SLEEP_MAX_MS} ms; for longer waits use a durable sleep step: { "id": "${step.id}", "type": "sleep", "durationMs": ${ms} }`,
  };
}
