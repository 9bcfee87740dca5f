/**
 * Splits a request into clauses. Quoted strings and URLs are set aside first (as `⟦n⟧` tokens) so
 * that separators inside them do not split anything.
 */

export interface Clause {
  /** Clause text with protected spans as `⟦n⟧` tokens. */
  text: string;
  /** How the clause joins the one before: sequentially (`then`, `;`, `.`), or loosely (`and`, `,`). */
  joiner: 'start' | 'then' | 'and';
}

export interface SplitRequest {
  clauses: Clause[];
  /**
   * Spans set aside, by token index: quoted strings without their quotes, URLs as written, field
   * lists ("the fields id, name and email") as the words after the keyword.
   */
  spans: Array<{ kind: 'quoted' | 'url' | 'fields'; value: string }>;
  /** The request asks for loosely joined clauses to run at the same time. */
  parallel: boolean;
}

const QUOTED = /"([^"]*)"|“([^”]*)”|(?<=^|[\s(:])'([^']+)'(?=$|[\s,.;:!?)])/g;
const URL = /\bhttps?:\/\/[^\s"'<>]+[^\s"'<>.,;:!?)]/g;
// "fields a, b and c" (or "only a and b"): a list whose commas and "and" must not split clauses.
const IDENT = '[A-Za-z_][\\w.]*';
const FIELD_LIST = new RegExp(
  `\\b(?:(?:the\\s+)?(?:fields?|keys|properties|columns)(?:\\s+of)?\\s+(${IDENT}(?:\\s*,\\s*${IDENT})*(?:\\s*,?\\s*and\\s+${IDENT})?)` +
    `|only\\s+(?:the\\s+)?(${IDENT}(?:\\s*,\\s*${IDENT})*\\s*,?\\s*and\\s+${IDENT}))`,
  'gi',
);
const PARALLEL = /\b(in parallel|at the same time|simultaneously|concurrently|meanwhile|all at once)\b/i;
const THEN =
  /\s*(?:;|\.\s+|\.$|\b(?:and\s+then|then|after\s+that|afterwards|finally|once\s+(?:that|it)\s+is\s+done|when\s+(?:that|it)\s+is\s+done)\b)\s*/i;
const AND = /\s*(?:,\s*(?:and\s+)?|\band\s+also\b|\band\b|\bplus\b)\s*/i;

export function splitRequest(request: string): SplitRequest {
  const spans: SplitRequest['spans'] = [];
  let text = request.replace(QUOTED, (_m, a?: string, b?: string, c?: string) => {
    spans.push({ kind: 'quoted', value: a ?? b ?? c ?? '' });
    return ` ⟦${spans.length - 1}⟧ `;
  });
  text = text.replace(URL, (url) => {
    spans.push({ kind: 'url', value: url });
    return ` ⟦${spans.length - 1}⟧ `;
  });
  text = text.replace(FIELD_LIST, (match, a?: string, b?: string) => {
    spans.push({ kind: 'fields', value: a ?? b ?? '' });
    // Keep the keyword: it says what to do with the list ("pick the fields …", "only …").
    const keyword = match.slice(0, match.length - (a ?? b ?? '').length);
    return ` ${keyword} ⟦${spans.length - 1}⟧ `;
  });
  const parallel = PARALLEL.test(text);
  text = text.replace(PARALLEL, ' ').replace(/\s+/g, ' ').trim();

  const clauses: Clause[] = [];
  for (const [i, segment] of splitOn(text, THEN).entries()) {
    for (const [j, piece] of splitOn(segment, AND).entries()) {
      const clean = piece.replace(/^(?:and|then|first|also|please)\b\s*/i, '').trim();
      if (clean.length === 0) continue;
      const joiner = clauses.length === 0 ? 'start' : j === 0 && i > 0 ? 'then' : 'and';
      clauses.push({ text: clean, joiner });
    }
  }
  return { clauses, spans, parallel };
}

function splitOn(text: string, separator: RegExp): string[] {
  const global = new RegExp(separator.source, 'gi');
  return text
    .split(global)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The clause text with protected spans put back (for prompts and explanations). */
export function restore(text: string, spans: SplitRequest['spans']): string {
  return text.replace(/⟦(\d+)⟧/g, (_m, n: string) => {
    const span = spans[Number(n)];
    if (!span) return '';
    return span.kind === 'quoted' ? `"${span.value}"` : span.value;
  });
}
