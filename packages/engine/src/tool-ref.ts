import semver from 'semver';
import type { ToolDefinition } from './types.ts';

/** @public Splits `name@range` into its parts (`range` null when absent). */
export function parseToolRef(ref: string): { name: string; range: string | null } {
  const at = ref.indexOf('@');
  if (at === -1) return { name: ref, range: null };
  return { name: ref.slice(0, at), range: ref.slice(at + 1) };
}

/**
 * @public The tool a step's `tool` names: same name, version inside the range when one is given;
 * the highest matching version wins.
 */
export function resolveToolRef(tools: readonly ToolDefinition[], ref: string): ToolDefinition | null {
  const { name, range } = parseToolRef(ref);
  let best: ToolDefinition | null = null;
  for (const tool of tools) {
    if (tool.name !== name) continue;
    if (range !== null && !semver.satisfies(tool.version, range, { includePrerelease: true })) continue;
    if (best === null || semver.gt(tool.version, best.version)) best = tool;
  }
  return best;
}

/** Whether `ref`'s range (if any) is a valid semver range. */
export function isValidRange(ref: string): boolean {
  const { range } = parseToolRef(ref);
  return range === null || semver.validRange(range) !== null;
}
