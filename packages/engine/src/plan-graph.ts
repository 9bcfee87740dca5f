import { conditionSteps } from './conditions.ts';
import { parkedTemplated } from './parked-plan.ts';
import { referencedSteps } from './templates.ts';
import type { PlanSpec, StepSpec } from './types.ts';

/**
 * @public Each step's direct dependencies: steps its `input`, its `if`, its map's `over`, its fallback's
 * input, a sleep's `until` and a wait's `match` reference, plus its `after` list.
 * Ids that do not exist in the plan are kept (validation reports them).
 */
export function inferDependencies(spec: Pick<PlanSpec, 'steps'>): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const step of spec.steps) deps.set(step.id, stepDependencies(step));
  return deps;
}

export function stepDependencies(step: StepSpec): string[] {
  const set = new Set<string>([
    ...(step.after ?? []),
    ...referencedSteps(step.input ?? {}),
    ...referencedSteps(step.over ?? ''),
    ...conditionSteps(step.if),
    // A fallback's input is resolved when its step runs: what it reads must have run before.
    ...referencedSteps(step.fallback?.input ?? {}),
    ...referencedSteps(parkedTemplated(step)),
  ]);
  set.delete(step.id);
  return [...set];
}

/** The first cycle found, as a list of ids that starts and ends with the same id. */
export function findCycle(deps: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const s = state.get(dep);
      if (s === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep];
      if (s === undefined) {
        const found = visit(dep);
        if (found !== null) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of deps.keys()) {
    if (state.get(id) === undefined) {
      const found = visit(id);
      // Dependencies point backwards (step → what it waits for); show the flow forwards.
      if (found !== null) return found.reverse();
    }
  }
  return null;
}

/** Every step `id` depends on, directly or not. */
export function upstreamOf(id: string, deps: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(deps.get(id) ?? [])];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(deps.get(next) ?? []));
  }
  return seen;
}

/** Step ids in an order where every step comes after its dependencies (acyclic graphs). */
export function topologicalOrder(deps: Map<string, string[]>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const dep of deps.get(id) ?? []) if (deps.has(dep)) visit(dep);
    order.push(id);
  };
  for (const id of deps.keys()) visit(id);
  return order;
}
