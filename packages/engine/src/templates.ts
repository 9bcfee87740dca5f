/**
 * `{{ … }}` references in step inputs: `{{ input.a.b }}`, `{{ steps.<id>.output.a }}`,
 * `{{ context.key }}`; inside a map step's `input` also `{{ item.path }}` and `{{ index }}`. A string that is exactly one reference resolves to the raw value;
 * otherwise each reference is interpolated as text.
 */

/** @public A parsed reference. */
export type Reference =
  | { source: 'input'; path: string[] }
  | { source: 'steps'; stepId: string; path: string[] }
  | { source: 'context'; key: string; path: string[] }
  | { source: 'item'; path: string[] }
  | { source: 'index'; path: string[] };

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

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** @public Parses the inside of one `{{ }}`. */
export function parseReference(text: string): { reference: Reference } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'empty reference' };
  const parts = trimmed.split('.');
  if (parts.some((p) => !SEGMENT.test(p))) return { problem: `"${trimmed}" is not a dotted path` };
  const [head, ...rest] = parts;
  if (head === 'input') return { reference: { source: 'input', path: rest } };
  if (head === 'item') return { reference: { source: 'item', path: rest } };
  if (head === 'index') {
    if (rest.length > 0) return { problem: '{{ index }} is a number: it has no fields' };
    return { reference: { source: 'index', path: [] } };
  }
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
  return { problem: `"${trimmed}" must start with input., steps., context. (or item, index in a map's input)` };
}

/** One `{{ … }}` found in a string: where it starts and ends, and its inside. */
export interface TemplateMatch {
  start: number;
  /** Index just past the closing `}}`. */
  end: number;
  inner: string;
}

/** `.` in a regular expression does not match these: a reference never spans them. */
function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

/**
 * @public Every `{{ … }}` in `text`, left to right, in one pass. The grammar is that of
 * `/\{\{(.*?)\}\}/g`: at each `{{` (tried from left to right, overlapping ones included) the
 * reference ends at the first `}}` after it unless a line break comes first, and the search goes on
 * after that `}}`. The regular expression rescans to the end of the text from every `{{` that has
 * no close, which is quadratic (`"{{"` repeated a million times took minutes and blocked the
 * process); here the next `}}` and the next line break are each found once and reused until the
 * scan passes them, so the work is linear in the length of the text.
 */
export function scanTemplates(text: string): TemplateMatch[] {
  const matches: TemplateMatch[] = [];
  // The next "}}" and line terminator at or after the last position asked (-1: none left; -2: not
  // looked for yet). Positions asked only grow, so a found one stays valid until the scan passes it.
  let nextClose = -2;
  let nextBreak = -2;
  const closeFrom = (from: number): number => {
    if (nextClose === -1 || nextClose >= from) return nextClose;
    nextClose = text.indexOf('}}', from);
    return nextClose;
  };
  const breakFrom = (from: number): number => {
    if (nextBreak === -1 || nextBreak >= from) return nextBreak;
    let i = from;
    while (i < text.length && !isLineTerminator(text.charCodeAt(i))) i++;
    nextBreak = i < text.length ? i : -1;
    return nextBreak;
  };
  let at = text.indexOf('{{');
  while (at !== -1) {
    const close = closeFrom(at + 2);
    if (close === -1) break; // no "}}" after this "{{", hence after none of the later ones either
    const lineBreak = breakFrom(at + 2);
    if (lineBreak === -1 || lineBreak >= close) {
      matches.push({ start: at, end: close + 2, inner: text.slice(at + 2, close) });
      at = text.indexOf('{{', close + 2);
    } else {
      at = text.indexOf('{{', at + 1);
    }
  }
  return matches;
}

/** How many `{{` `text` holds, counted without overlap (as `split('{{')` does). */
function countOpenings(text: string): number {
  let count = 0;
  for (let at = text.indexOf('{{'); at !== -1; at = text.indexOf('{{', at + 2)) count++;
  return count;
}

/** Every template occurrence in a JSON value, with its path. */
export function findTemplates(value: unknown, path: string[] = []): TemplateOccurrence[] {
  const found: TemplateOccurrence[] = [];
  if (typeof value === 'string') {
    const matches = scanTemplates(value);
    if (countOpenings(value) !== matches.length) {
      found.push({ path, raw: value, reference: null, problem: 'unterminated "{{"', exact: false });
    }
    const exact = matches.length === 1 && matches[0] !== undefined && rawOf(value, matches[0]) === value.trim();
    for (const m of matches) {
      const raw = rawOf(value, m);
      const parsed = parseReference(m.inner);
      found.push(
        'reference' in parsed
          ? { path, raw, reference: parsed.reference, exact }
          : { path, raw, reference: null, problem: parsed.problem, exact },
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

function rawOf(text: string, match: TemplateMatch): string {
  return text.slice(match.start, match.end);
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
  /** Inside a map step's item input: the item and its position. */
  item?: unknown;
  index?: number;
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
    case 'item':
      return dig(scope.item, reference.path);
    case 'index':
      return scope.index;
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** @public Replaces every reference in `value` (deeply) with what it points at. */
export function resolveTemplates(value: unknown, scope: ResolveScope): unknown {
  if (typeof value === 'string') {
    const matches = scanTemplates(value);
    if (matches.length === 0) return value;
    const first = matches[0];
    if (matches.length === 1 && first !== undefined && rawOf(value, first) === value.trim()) {
      const parsed = parseReference(first.inner);
      return 'reference' in parsed ? lookup(parsed.reference, scope) : value;
    }
    let out = '';
    let last = 0;
    for (const m of matches) {
      const parsed = parseReference(m.inner);
      out += value.slice(last, m.start);
      out += 'reference' in parsed ? asText(lookup(parsed.reference, scope)) : rawOf(value, m);
      last = m.end;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplates(v, scope);
    return out;
  }
  return value;
}
