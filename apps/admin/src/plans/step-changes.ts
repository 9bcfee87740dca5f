/** A plan spec's steps by id, as the API returns them (JSON). */
export function stepsById(spec: unknown): Map<string, Record<string, unknown>> {
  const steps = typeof spec === 'object' && spec !== null && 'steps' in spec ? spec.steps : [];
  const byId = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(steps)) return byId;
  for (const step of steps) {
    if (typeof step === 'object' && step !== null && !Array.isArray(step) && 'id' in step) {
      byId.set(String(step.id), step as Record<string, unknown>);
    }
  }
  return byId;
}

/**
 * The fields of a step that differ between two versions (`input`, `retry`, `after`…), so a
 * "changed" mark says what changed. Compared as JSON: both sides come from the same store, which
 * orders keys the same way.
 */
export function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}
