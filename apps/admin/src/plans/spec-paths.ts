import { findNodeAtLocation, type Node, type ParseError, parseTree, type Segment } from 'jsonc-parser';
import type { UserError } from '../errors.ts';

/** A server error placed in the editor's text: the 1-based line its `field` path points at. */
export interface PlacedError {
  line: number;
  path: string;
  message: string;
}

/**
 * The API names a spec error by its path under `spec` (`["spec","steps","2","tool"]`). Array
 * indexes arrive as strings; jsonc-parser wants numbers for them.
 */
function segments(path: readonly string[]): Segment[] {
  return path.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The line of the value at `path` in `text`, or of its nearest ancestor when the value is missing
 * (a required property that is absent is reported on the object that lacks it); null when the
 * text is not JSON.
 */
export function lineOfPath(text: string, path: readonly string[]): number | null {
  // jsonc-parser recovers from broken text; a path in a guess is no place to point at.
  const problems: ParseError[] = [];
  const root = parseTree(text, problems, { disallowComments: true });
  if (root === undefined || problems.length > 0) return null;
  const segs = segments(path);
  for (let n = segs.length; n >= 0; n--) {
    const node: Node | undefined = findNodeAtLocation(root, segs.slice(0, n));
    if (node === undefined) continue;
    // A property's value: mark the line of its key, where the reader looks.
    const at = node.parent?.type === 'property' ? node.parent.offset : node.offset;
    return lineAt(text, at);
  }
  return lineAt(text, root.offset);
}

/**
 * Splits a save's userErrors: those under `spec` placed on the editor's lines, the others
 * (name, message, anything not about the spec) left for their own fields.
 */
export function placeSpecErrors(
  text: string,
  errors: readonly UserError[],
): { inSpec: PlacedError[]; others: UserError[] } {
  const inSpec: PlacedError[] = [];
  const others: UserError[] = [];
  for (const e of errors) {
    if (e.field?.[0] !== 'spec') {
      others.push(e);
      continue;
    }
    const path = e.field.slice(1);
    inSpec.push({ line: lineOfPath(text, path) ?? 1, path: path.join('.'), message: e.message });
  }
  return { inSpec, others };
}

/** The editor's text as a spec, or why it is not JSON (said before anything is sent). */
export function parseSpecText(text: string): { ok: true; spec: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, spec: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** How specs are shown in the editor: two-space JSON, the same for every version. */
export const formatSpec = (spec: unknown): string => JSON.stringify(spec, null, 2);
