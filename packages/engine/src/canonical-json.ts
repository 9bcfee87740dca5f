import { createHash } from 'node:crypto';

/** @public JSON with object keys sorted at every level, so equal documents serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** @public sha256 (hex) of a value's canonical JSON. */
export function sha256Json(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** @public A plan's content hash: sha256 of its canonical JSON, prefixed `sha256:`. */
export function hashPlan(spec: unknown): string {
  return `sha256:${sha256Json(spec)}`;
}
