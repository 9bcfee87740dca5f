/**
 * `{{ … }}` references in step inputs: `{{ input.a.b }}`, `{{ steps.<id>.output.a }}`,
 * `{{ context.key }}`. A string that is exactly one reference resolves to the raw value;
 * otherwise each reference is interpolated as text.
 */

/** @public A parsed reference. */
export type Reference =
  | { source: 'input'; path: string[] }
  | { source: 'steps'; stepId: string; path: string[] }
  | { source: 'context'; key: string; path: string[] };

/** A template occurrence: where it is in the input and what it says. */
export interface TemplateOccurrence {
  /** Path inside the input object (e.g. ["body"]). */
  path: string[];
  raw: string;
  reference: Reference | null;
  /** Why it does not parse, when `reference` is null. */
  problem?: string;
  /** The whole string is this one reference. */
  exact: boolean;
}

const TEMPLATE = /\{\{(.*?)\}\}/g;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** @public Parses the inside of one `{{ }}`. */
export function parseReference(text: string): { reference: Reference } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'empty reference' };
  const parts = trimmed.split('.');
  if (parts.some((p) => !SEGMENT.test(p))) return { problem: `"${trimmed}" is not a dotted path` };
  const [head, ...rest] = parts;
  if (head === 'input') return { reference: { source: 'input', path: rest } };
  if (head === 'context') {
    const [key, ...path] = rest;
    if (key === undefined) return { problem: 'context references need a key: {{ context.key }}' };
    return { reference: { source: 'context', key, path } };
  }
  if (head === 'steps') {
    const [stepId, output, ...path] = rest;
    if (stepId === undefined || output !== 'output') {
      return { problem: `step references look like {{ steps.<id>.output.path }}, got "${trimmed}"` };
    }
    return { reference: { source: 'steps', stepId, path } };
  }
  return { problem: `"${trimmed}" must start with input., steps. or context.` };
}

/** Every template occurrence in a JSON value, with its path. */
export function findTemplates(value: unknown, path: string[] = []): TemplateOccurrence[] {
  const found: TemplateOccurrence[] = [];
  if (typeof value === 'string') {
    const matches = [...value.matchAll(TEMPLATE)];
    const openings = value.split('{{').length - 1;
    if (openings !== matches.length) {
      found.push({ path, raw: value, reference: null, problem: 'unterminated "{{"', exact: false });
    }
    const exact = matches.length === 1 && matches[0]?.[0] === value.trim();
    for (const m of matches) {
      const parsed = parseReference(m[1] ?? '');
      found.push(
        'reference' in parsed
          ? { path, raw: m[0], reference: parsed.reference, exact }
          : { path, raw: m[0], reference: null, problem: parsed.problem, exact },
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      found.push(...findTemplates(v, [...path, String(i)]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) found.push(...findTemplates(v, [...path, k]));
  }
  return found;
}

/** Step ids a value references. */
export function referencedSteps(value: unknown): string[] {
  const ids = new Set<string>();
  for (const t of findTemplates(value)) if (t.reference?.source === 'steps') ids.add(t.reference.stepId);
  return [...ids];
}

/** What references resolve against. */
export interface ResolveScope {
  input: unknown;
  steps: Record<string, unknown>;
  context: Record<string, unknown>;
}

function dig(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function lookup(reference: Reference, scope: ResolveScope): unknown {
  switch (reference.source) {
    case 'input':
      return dig(scope.input, reference.path);
    case 'steps':
      return dig(scope.steps[reference.stepId], reference.path);
    case 'context':
      return dig(scope.context[reference.key], reference.path);
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** @public Replaces every reference in `value` (deeply) with what it points at. */
export function resolveTemplates(value: unknown, scope: ResolveScope): unknown {
  if (typeof value === 'string') {
    const matches = [...value.matchAll(TEMPLATE)];
    if (matches.length === 0) return value;
    const first = matches[0];
    if (matches.length === 1 && first !== undefined && first[0] === value.trim()) {
      const parsed = parseReference(first[1] ?? '');
      return 'reference' in parsed ? lookup(parsed.reference, scope) : value;
    }
    return value.replace(TEMPLATE, (whole, inner: string) => {
      const parsed = parseReference(inner);
      return 'reference' in parsed ? asText(lookup(parsed.reference, scope)) : whole;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplates(v, scope);
    return out;
  }
  return value;
}
