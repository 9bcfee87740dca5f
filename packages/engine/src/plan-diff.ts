import { canonicalJson } from './canonical-json.ts';
import type { PlanDiff, PlanSpec } from './types.ts';

/**
 * @public Structural difference by step id: added, removed, and changed (with the fields that
 * differ). Added and changed follow the order of `b`'s steps, removed that of `a`'s.
 */
export function diffPlans(a: Pick<PlanSpec, 'steps'>, b: Pick<PlanSpec, 'steps'>): PlanDiff {
  const before = new Map(a.steps.map((s) => [s.id, s]));
  const after = new Map(b.steps.map((s) => [s.id, s]));
  const diff: PlanDiff = { added: [], removed: [], changed: [], changedFields: {} };
  for (const id of before.keys()) if (!after.has(id)) diff.removed.push(id);
  for (const [id, now] of after) {
    const old = before.get(id);
    if (old === undefined) {
      diff.added.push(id);
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
