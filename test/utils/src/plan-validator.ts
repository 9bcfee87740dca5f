import type { JsonSchema, PlanIssue, PlanSpec } from '@weft/engine';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * A stand-in for the engine's `validatePlan`, for tests of code that only needs "is this plan
 * valid for these tools": the contract's plan format (docs/contract.md "Plan specification") (ids unique, references and `after` to known
 * steps, no cycles, known tools, inputs matching the tool's input schema). Values holding a
 * `{{ … }}` reference are resolved at run time, so their schema errors are not counted.
 */
export function createTestPlanValidator(
  tools: ReadonlyArray<{ name: string; inputSchema: JsonSchema }>,
): (spec: PlanSpec) => Promise<PlanIssue[]> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  for (const tool of tools) validators.set(tool.name, ajv.compile(tool.inputSchema));
  return async (spec) => validatePlanForTest(spec, validators);
}

const STEP_FIELDS = new Set([
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
const ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const REFERENCE = /\{\{\s*([^}]*?)\s*\}\}/g;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown, path: string[], out: Array<{ text: string; path: string[] }>): void {
  if (typeof value === 'string') out.push({ text: value, path });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) strings(v, [...path, String(i)], out);
  } else if (isRecord(value)) for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

function holdsReference(value: unknown): boolean {
  const found: Array<{ text: string; path: string[] }> = [];
  strings(value, [], found);
  return found.some((s) => s.text.includes('{{'));
}

async function validatePlanForTest(spec: unknown, validators: Map<string, ValidateFunction>): Promise<PlanIssue[]> {
  const issues: PlanIssue[] = [];
  if (!isRecord(spec)) return [{ code: 'INVALID_SPEC', path: [], message: 'the plan must be an object' }];
  if (spec.name !== undefined && typeof spec.name !== 'string')
    issues.push({ code: 'INVALID_SPEC', path: ['name'], message: 'name must be a string' });
  if (spec.concurrency !== undefined && !(Number.isInteger(spec.concurrency) && Number(spec.concurrency) >= 1))
    issues.push({ code: 'INVALID_SPEC', path: ['concurrency'], message: 'concurrency must be an integer ≥ 1' });
  if (!Array.isArray(spec.steps) || spec.steps.length === 0)
    return [...issues, { code: 'INVALID_SPEC', path: ['steps'], message: 'steps must be a non-empty array' }];

  const ids = new Map<string, number>();
  spec.steps.forEach((step, i) => {
    if (isRecord(step) && typeof step.id === 'string') {
      if (ids.has(step.id))
        issues.push({
          code: 'DUPLICATE_STEP_ID',
          path: ['steps', String(i), 'id'],
          message: `duplicate id "${step.id}"`,
        });
      else ids.set(step.id, i);
    }
  });
  const deps = new Map<string, Set<string>>();
  spec.steps.forEach((step, i) => {
    const at = ['steps', String(i)];
    if (!isRecord(step)) {
      issues.push({ code: 'INVALID_SPEC', path: at, message: 'a step must be an object' });
      return;
    }
    for (const key of Object.keys(step))
      if (!STEP_FIELDS.has(key))
        issues.push({ code: 'INVALID_SPEC', path: [...at, key], message: `unknown field "${key}"` });
    if (typeof step.id !== 'string' || !ID.test(step.id)) {
      issues.push({ code: 'INVALID_SPEC', path: [...at, 'id'], message: 'id must match ^[A-Za-z][A-Za-z0-9_-]*$' });
      return;
    }
    const mine = new Set<string>();
    deps.set(step.id, mine);
    const type = step.type ?? 'tool';
    if (type !== 'tool' && type !== 'approval')
      issues.push({ code: 'INVALID_SPEC', path: [...at, 'type'], message: 'type must be "tool" or "approval"' });
    if (step.input !== undefined && !isRecord(step.input))
      issues.push({ code: 'INVALID_SPEC', path: [...at, 'input'], message: 'input must be an object' });
    if (type === 'tool') {
      if (typeof step.tool !== 'string') {
        issues.push({ code: 'INVALID_SPEC', path: [...at, 'tool'], message: 'a tool step needs a tool' });
      } else {
        const name = step.tool.split('@')[0] ?? step.tool;
        const validate = validators.get(name);
        if (!validate) {
          issues.push({ code: 'UNKNOWN_TOOL', path: [...at, 'tool'], message: `unknown tool "${name}"` });
        } else {
          const input = step.input ?? {};
          if (!validate(input)) {
            for (const error of (validate.errors ?? []) as ErrorObject[]) {
              if (holdsReference(valueAt(input, error.instancePath))) continue;
              const where = error.instancePath.split('/').slice(1);
              issues.push({
                code: 'INVALID_INPUT',
                path: [...at, 'input', ...where],
                message: `input${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is invalid'}`,
              });
            }
          }
        }
      }
    }
    if (step.after !== undefined) {
      if (!Array.isArray(step.after)) {
        issues.push({ code: 'INVALID_SPEC', path: [...at, 'after'], message: 'after must be an array of step ids' });
      } else {
        step.after.forEach((dep, j) => {
          if (typeof dep !== 'string' || !ids.has(dep) || dep === step.id)
            issues.push({
              code: 'UNKNOWN_STEP',
              path: [...at, 'after', String(j)],
              message: `unknown step "${String(dep)}"`,
            });
          else mine.add(dep);
        });
      }
    }
    const found: Array<{ text: string; path: string[] }> = [];
    strings(step.input, [...at, 'input'], found);
    for (const { text, path } of found) {
      for (const match of text.matchAll(REFERENCE)) {
        const expr = match[1] ?? '';
        const ref = /^steps\.([A-Za-z][A-Za-z0-9_-]*)\.output(\.[A-Za-z0-9_.-]+)?$/.exec(expr);
        if (ref?.[1]) {
          if (!ids.has(ref[1]) || ref[1] === step.id)
            issues.push({ code: 'UNKNOWN_STEP', path, message: `reference to unknown step "${ref[1]}"` });
          else mine.add(ref[1]);
        } else if (!/^(input|context)(\.[A-Za-z0-9_.-]+)?$/.test(expr)) {
          issues.push({
            code: 'INVALID_REFERENCE',
            path,
            message: `"{{ ${expr} }}" is not input.*, steps.<id>.output.* or context.*`,
          });
        }
      }
    }
  });
  // Depth-first search for a cycle among the dependencies.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): boolean => {
    if (state.get(id) === 'done') return false;
    if (state.get(id) === 'visiting') return true;
    state.set(id, 'visiting');
    for (const dep of deps.get(id) ?? []) if (visit(dep)) return true;
    state.set(id, 'done');
    return false;
  };
  for (const id of deps.keys()) {
    if (visit(id)) {
      issues.push({
        code: 'CYCLE',
        path: ['steps', String(ids.get(id) ?? 0)],
        message: `step "${id}" depends on itself`,
      });
      break;
    }
  }
  return issues;
}
