import { createHash } from 'node:crypto';

/**
 * @public JSON with object keys sorted at every level (by UTF-16 code units), so equal documents
 * serialise equally. Built as text rather than through a key-sorted object: JavaScript objects
 * list integer-like keys ("2", "10") first and numerically, which would not be a sorted order.
 * Stored plan hashes were computed this way, so the output must not change.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item) ?? 'null').join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** @public sha256 (hex) of a value's canonical JSON. */
export function sha256Json(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** @public A plan's content hash: sha256 of its canonical JSON, prefixed `sha256:`. */
export function hashPlan(spec: unknown): string {
  return `sha256:${sha256Json(spec)}`;
}
