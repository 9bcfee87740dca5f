/**
 * Whether an event's data satisfies a trigger's `match`: every field of `match` is present in the
 * data with an equal value (deep equality of JSON values, key order ignored). No `match` (or an
 * empty one) matches every event of the name.
 */
import { canonicalJson } from '../canonical-json.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function eventMatches(match: unknown, data: unknown): boolean {
  if (match === null || match === undefined) return true;
  if (!isObject(match)) return false;
  const entries = Object.entries(match);
  if (entries.length === 0) return true;
  if (!isObject(data)) return false;
  return entries.every(
    ([key, expected]) => Object.hasOwn(data, key) && canonicalJson(data[key]) === canonicalJson(expected),
  );
}
