/**
 * Step conditions (`if`): CEL expressions over `input`, `steps` and `context`, parsed and evaluated
 * by @marcbachmann/cel-js (no `eval`). A parse is cached per expression text: plan versions are
 * immutable and the same few expressions are evaluated on every `advance` of their runs.
 */
import { type ASTNode, parse } from '@marcbachmann/cel-js';
import { LRUCache } from 'lru-cache';

type Compiled = ReturnType<typeof parse>;

/** Parsed expressions by text; a bounded cache, since plans come from tenants. */
const compiled = new LRUCache<string, { fn: Compiled; steps: string[] }>({ max: 2000 });

/** Longest `if` accepted (also in the plan schema): an expression, not a program. */
export const MAX_CONDITION_LENGTH = 2000;

function compile(expression: string): { fn: Compiled; steps: string[] } {
  const hit = compiled.get(expression);
  if (hit !== undefined) return hit;
  const fn = parse(expression);
  const unbounded = unboundedWork(fn.ast, false);
  if (unbounded !== null) throw new Error(unbounded);
  const entry = { fn, steps: [...stepsIn(fn.ast)] };
  compiled.set(expression, entry);
  return entry;
}

/** Step ids the expression reads as `steps.<id>` or `steps["<id>"]`. */
function stepsIn(node: ASTNode, found = new Set<string>()): Set<string> {
  const isSteps = (n: ASTNode) => n.op === 'id' && n.args === 'steps';
  if ((node.op === '.' || node.op === '.?') && isSteps(node.args[0])) found.add(node.args[1]);
  if ((node.op === '[]' || node.op === '[?]') && isSteps(node.args[0])) {
    const key = node.args[1];
    if (key.op === 'value' && typeof key.args === 'string') found.add(key.args);
  }
  visitChildren(node, (child) => stepsIn(child, found));
  return found;
}

/** CEL's comprehension macros: each iterates over a list or map. */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/**
 * Work an expression could make unbounded, refused up front: conditions run under the execution's
 * lock, and plans come from tenants. Nested comprehensions multiply (n^k iterations over a large
 * input); `matches` takes a tenant's regular expression (catastrophic backtracking). A single
 * comprehension is bounded by the input's size limit.
 */
function unboundedWork(node: ASTNode, inComprehension: boolean): string | null {
  const name = node.op === 'call' || node.op === 'rcall' ? node.args[0] : null;
  if (name === 'matches') return 'matches() is not available in conditions';
  const iterates = name !== null && COMPREHENSIONS.has(name);
  if (iterates && inComprehension) return `${name}() inside another comprehension is not available in conditions`;
  let problem: string | null = null;
  visitChildren(node, (child) => {
    problem ??= unboundedWork(child, inComprehension || iterates);
  });
  return problem;
}

function visitChildren(node: ASTNode, visit: (child: ASTNode) => void): void {
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) walk(v);
    else if (value !== null && typeof value === 'object' && 'op' in value && 'args' in value) visit(value as ASTNode);
  };
  if (node.op !== 'value' && node.op !== 'id') walk(node.args);
}

/** @public The parse error of an `if` expression, or null when it parses. */
export function conditionProblem(expression: string): string | null {
  if (expression.length > MAX_CONDITION_LENGTH) return `longer than ${MAX_CONDITION_LENGTH} characters`;
  try {
    compile(expression);
    return null;
  } catch (error) {
    // The library's message carries a caret diagram after the first line; the first line says it.
    return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'cannot be parsed';
  }
}

/** Step ids an `if` expression references (none when it does not parse: validation reports that). */
export function conditionSteps(expression: string | undefined): string[] {
  if (expression === undefined) return [];
  try {
    return compile(expression).steps;
  } catch {
    return [];
  }
}

/** What an `if` expression sees: the run's input and context, and each referenced step's output and status. */
export interface ConditionScope {
  input: unknown;
  context: Record<string, unknown>;
  steps: Record<string, { output: unknown; status: string }>;
}

/** Evaluates an `if`: true or false, or throws an Error saying why it could not decide. */
export function evaluateCondition(expression: string, scope: ConditionScope): boolean {
  let result: unknown;
  try {
    result = compile(expression).fn({ input: scope.input ?? null, context: scope.context ?? {}, steps: scope.steps });
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(`condition "${expression}" could not be evaluated: ${first}`);
  }
  if (typeof result !== 'boolean') {
    throw new Error(`condition "${expression}" must be true or false, got ${typeof result}`);
  }
  return result;
}
