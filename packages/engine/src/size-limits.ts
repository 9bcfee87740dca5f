import { PlanIssueCode } from './errors.ts';
import type { PlanIssue } from './types.ts';

/** Bounds on a JSON document, checked in one walk before anything parses or validates it. */
export interface JsonLimits {
  /** UTF-8 bytes of the document serialized as JSON. */
  maxBytes: number;
  /** UTF-8 bytes of any one string (object keys included). */
  maxStringBytes: number;
  /** Nesting of objects and arrays; the document itself is level 1. */
  maxDepth: number;
  /** Values (object members and array elements) in the whole document. */
  maxValues: number;
}

/**
 * @public The size of a plan spec: the one source of truth for the limits, used by
 * `validatePlanSpec` and by every mutation that takes a spec before it does any other work. Far
 * above any real plan (the largest example plans are a few KB), low enough that validating one
 * costs milliseconds.
 */
export const PLAN_LIMITS = {
  maxBytes: 256 * 1024,
  maxStringBytes: 64 * 1024,
  maxDepth: 32,
  maxValues: 20_000,
  maxSteps: 1000,
} as const satisfies JsonLimits & { maxSteps: number };

/**
 * @public The size of an execution's input (`startExecution`, `startAbExecution`): the same as an
 * inbound webhook's body, the other way an input arrives.
 */
export const EXECUTION_INPUT_LIMITS = {
  maxBytes: 1024 * 1024,
  maxStringBytes: 1024 * 1024,
  maxDepth: 64,
  maxValues: 100_000,
} as const satisfies JsonLimits;

/** How much longer JSON escaping can make a text: a control character becomes `\u00XX`. */
const MAX_ESCAPE_GROWTH = 6;

/** Issues past this many are not worth reporting: the document is refused either way. */
const MAX_REPORTED = 20;

function tooLarge(path: string[], message: string): PlanIssue {
  return { code: PlanIssueCode.TOO_LARGE, path, message };
}

/**
 * @public Where `value` exceeds `limits`, each with its path. One iterative walk that stops at the
 * first bound the whole document breaks (depth, values, bytes), so its cost is bounded by the
 * limits, not by the input, and deep nesting cannot overflow the stack. Serialized bytes are
 * counted without escapes while walking (a lower bound, enough to stop early); the exact count is
 * taken once the walk has shown the document is shallow and small enough to serialize cheaply, and
 * only when escapes could carry it over the limit.
 */
export function jsonSizeIssues(value: unknown, limits: JsonLimits): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const stack: { value: unknown; path: string[]; depth: number }[] = [{ value, path: [], depth: 1 }];
  let bytes = 0;
  let values = 0;
  const string = (text: string, path: string[]): void => {
    const size = Buffer.byteLength(text, 'utf8');
    bytes += size + 2;
    if (size > limits.maxStringBytes && issues.length < MAX_REPORTED) {
      issues.push(tooLarge(path, `This text is ${size} bytes; the limit is ${limits.maxStringBytes}.`));
    }
  };
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    const { value: current, path, depth } = item;
    if (typeof current === 'string') string(current, path);
    else if (current !== null && typeof current === 'object') {
      if (depth > limits.maxDepth) {
        issues.push(tooLarge(path, `This is nested more than ${limits.maxDepth} levels deep.`));
        return issues;
      }
      const entries: [string, unknown][] = Array.isArray(current)
        ? current.map((v, i) => [String(i), v])
        : Object.entries(current);
      values += entries.length;
      const isArray = Array.isArray(current);
      // Brackets, commas between entries and, in an object, a colon after each key.
      bytes += 2 + Math.max(entries.length - 1, 0) + (isArray ? 0 : entries.length);
      if (values > limits.maxValues) {
        issues.push(tooLarge([], `This holds more than ${limits.maxValues} values.`));
        return issues;
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        if (!isArray) string(key, [...path, key]);
        stack.push({ value: child, path: [...path, key], depth: depth + 1 });
      }
    } else bytes += String(current).length;
    if (bytes > limits.maxBytes) break;
  }
  // An escape turns one byte into at most six (`\u001f`): below a sixth of the limit, no need to look.
  const exactNeeded = bytes * MAX_ESCAPE_GROWTH > limits.maxBytes;
  if (
    bytes > limits.maxBytes ||
    (exactNeeded && Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') > limits.maxBytes)
  ) {
    issues.push(tooLarge([], `This is larger than ${limits.maxBytes} bytes as JSON.`));
  }
  return issues;
}

/** @public Where a plan spec exceeds `PLAN_LIMITS`; empty when it is within them. */
export function planSizeIssues(spec: unknown): PlanIssue[] {
  const steps = (spec as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps) && steps.length > PLAN_LIMITS.maxSteps) {
    return [tooLarge(['steps'], `A plan has at most ${PLAN_LIMITS.maxSteps} steps; this one has ${steps.length}.`)];
  }
  return jsonSizeIssues(spec, PLAN_LIMITS);
}

/** @public Where an execution's input exceeds `EXECUTION_INPUT_LIMITS`; empty when it is within them. */
export function executionInputSizeIssues(input: unknown): PlanIssue[] {
  return jsonSizeIssues(input, EXECUTION_INPUT_LIMITS);
}
