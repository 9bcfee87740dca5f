import { canonicalJson } from './canonical-json.ts';
import type { PlanDiff, PlanSpec } from './types.ts';

/** @public Structural difference by step id: added, removed, and changed (with the fields that differ). */
export function diffPlans(a: Pick<PlanSpec, 'steps'>, b: Pick<PlanSpec, 'steps'>): PlanDiff {
  const before = new Map(a.steps.map((s) => [s.id, s]));
  const after = new Map(b.steps.map((s) => [s.id, s]));
  const diff: PlanDiff = { added: [], removed: [], changed: [], changedFields: {} };
  for (const id of after.keys()) if (!before.has(id)) diff.added.push(id);
  for (const [id, old] of before) {
    const now = after.get(id);
    if (now === undefined) {
      diff.removed.push(id);
      continue;
    }
    const fields = new Set([...Object.keys(old), ...Object.keys(now)]);
    const changed = [...fields]
      .filter(
        (f) =>
          canonicalJson((old as unknown as Record<string, unknown>)[f]) !==
          canonicalJson((now as unknown as Record<string, unknown>)[f]),
      )
      .sort();
    if (changed.length > 0) {
      diff.changed.push(id);
      diff.changedFields[id] = changed;
    }
  }
  return diff;
}
