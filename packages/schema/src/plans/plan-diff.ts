import { createHash } from 'node:crypto';

/** Canonical JSON (sorted keys) so equal specs hash and compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(spec: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(spec)).digest('hex')}`;
}

function stepsById(spec: unknown): Map<string, string> {
  const map = new Map<string, string>();
  const steps = typeof spec === 'object' && spec !== null ? (spec as { steps?: unknown }).steps : undefined;
  if (!Array.isArray(steps)) return map;
  for (const step of steps) {
    const id = typeof step === 'object' && step !== null ? (step as { id?: unknown }).id : undefined;
    if (typeof id === 'string') map.set(id, canonicalJson(step));
  }
  return map;
}

/** Step ids added, removed and changed going from `base` to `target`. */
export function diffSpecs(base: unknown, target: unknown): { added: string[]; removed: string[]; changed: string[] } {
  const from = stepsById(base);
  const to = stepsById(target);
  const added = [...to.keys()].filter((id) => !from.has(id));
  const removed = [...from.keys()].filter((id) => !to.has(id));
  const changed = [...to.keys()].filter((id) => from.has(id) && from.get(id) !== to.get(id));
  return { added, removed, changed };
}
