import MiniSearch from 'minisearch';
import type { ToolCatalogueEntry } from '../catalogue.ts';

/**
 * Full-text index of the catalogue (BM25+ through MiniSearch) over tool names and descriptions.
 * Words go through a light stemmer and a small workflow thesaurus, on both sides, so "download"
 * finds a tool described as "HTTP request" and "summarise" one described as "completion".
 */

const STOP = new Set(
  'a an the to of in on at by for from with into onto it its them their this that these those my me our us i we you your please and or then also is are be was were do does did can could would should will just some any all each every me via using use as under'.split(
    ' ',
  ),
);

// Groups of words that mean the same thing in a workflow request; each word also indexes as its
// group's first word.
const THESAURUS: string[][] = [
  [
    'request',
    'fetch',
    'download',
    'retrieve',
    'http',
    'https',
    'call',
    'hit',
    'ping',
    'api',
    'endpoint',
    'url',
    'webpage',
    'website',
    'page',
    'grab',
    'get',
    'post',
    'web',
  ],
  ['sleep', 'wait', 'pause', 'delay', 'hold', 'idle', 'nap', 'timer'],
  ['echo', 'print', 'repeat', 'say', 'return', 'log', 'display', 'respond'],
  ['fail', 'failure', 'error', 'throw', 'crash', 'break', 'simulate'],
  ['store', 'set', 'save', 'remember', 'put', 'write', 'record', 'stash', 'persist'],
  ['read', 'recall', 'lookup', 'look', 'load', 'restore'],
  ['context', 'memory', 'share', 'shared', 'variable', 'state'],
  ['pick', 'select', 'extract', 'take', 'filter', 'field', 'only', 'subset', 'choose', 'keep', 'property'],
  ['merge', 'combine', 'join', 'union', 'unite', 'concatenate', 'together', 'mix'],
  ['template', 'format', 'render', 'fill', 'interpolate', 'compose', 'placeholder'],
  ['event', 'meeting', 'appointment', 'calendar', 'standup', 'sync', 'invite', 'invitation', 'agenda', 'session'],
  ['create', 'add', 'make', 'new', 'book', 'schedule', 'arrange', 'setup', 'organise', 'organize'],
  ['list', 'show', 'upcoming', 'enumerate', 'view', 'see', 'what', 'which'],
  ['free', 'available', 'availability', 'open', 'slot', 'gap', 'spare', 'busy'],
  [
    'complete',
    'llm',
    'summarise',
    'summarize',
    'summary',
    'generate',
    'ask',
    'translate',
    'draft',
    'explain',
    'classify',
    'completion',
    'answer',
    'rewrite',
    'describe',
    'ai',
    'gpt',
    'model',
    'prompt',
    'tldr',
    'analyse',
    'analyze',
    'sentiment',
    'poem',
    'text',
    'language',
  ],
];

/** Words too common in requests to make a tool match on their own. */
const WEAK = new Set([
  'create',
  'list',
  'get',
  'make',
  'new',
  'show',
  'see',
  'what',
  'which',
  'take',
  'page',
  'open',
  'text',
  'say',
  'look',
  'view',
  'message',
  'value',
  'data',
  'result',
  'time',
  'report',
  'send',
]);

export function stem(word: string): string {
  let w = word.toLowerCase().replace(/'s$/, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && /(ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  return w;
}

const CANONICAL = new Map<string, string>();
for (const group of THESAURUS) {
  const head = group[0] ?? '';
  for (const word of group) {
    CANONICAL.set(word, head);
    CANONICAL.set(stem(word), head);
  }
}

export function processTerm(term: string): string[] | null {
  const lower = term.toLowerCase();
  if (STOP.has(lower) || /^⟦?\d+⟧?$/.test(lower) || lower.length < 2) return null;
  const stemmed = stem(lower);
  // Weak words index as themselves only, so they cannot pull in a whole group of tools.
  const head = WEAK.has(stemmed) ? undefined : (CANONICAL.get(lower) ?? CANONICAL.get(stemmed));
  return head ? [stemmed, `~${head}`] : [stemmed];
}

/**
 * A word too common to choose a tool on its own ("get", "show", "create"): it neither counts for
 * nor against a match's confidence.
 */
export function isWeak(word: string): boolean {
  return WEAK.has(stem(word.toLowerCase().replace(/'s$/, '')));
}

/**
 * Indexing: a tool's own name words always stand for their group, weak or not, so that
 * "book" and "schedule" reach `create_event` and "upcoming" reaches `list_events`; in
 * descriptions and queries weak words stay themselves.
 */
function indexTerm(term: string, field?: string): string[] | null {
  const terms = processTerm(term);
  if (field !== 'words' || terms === null || terms.length > 1) return terms;
  const head = CANONICAL.get(term.toLowerCase()) ?? CANONICAL.get(terms[0] ?? '');
  return head ? [...terms, `~${head}`] : terms;
}

export interface ToolMatch {
  tool: ToolCatalogueEntry;
  score: number;
  terms: string[];
  /** The matched terms found in the tool's own name (`echo` for core.echo), not only its description. */
  nameTerms: string[];
}

interface Doc {
  name: string;
  words: string;
  description: string;
}

export class ToolIndex {
  private readonly search: MiniSearch<Doc>;
  private readonly byName: Map<string, ToolCatalogueEntry>;

  constructor(tools: ToolCatalogueEntry[]) {
    this.byName = new Map([...tools].reverse().map((t) => [t.name, t]));
    this.search = new MiniSearch<Doc>({
      idField: 'name',
      fields: ['words', 'description'],
      // MiniSearch passes the field name when indexing, though its type declares only the term.
      processTerm: indexTerm as (term: string) => string[] | null,
      searchOptions: { boost: { words: 2 }, combineWith: 'OR', processTerm },
    });
    // MiniSearch refuses duplicate ids; the first tool of a name is the one kept.
    this.search.addAll(
      [...this.byName.values()].map((t) => ({
        name: t.name,
        words: t.name.replace(/[._-]+/g, ' '),
        description: t.description,
      })),
    );
  }

  /** Tools ranked for a clause; only matches on at least one distinctive word count. */
  match(text: string, extraTerms: string[] = []): ToolMatch[] {
    const query = `${text.replace(/⟦\d+⟧/g, ' ')} ${extraTerms.join(' ')}`;
    return this.search
      .search(query)
      .filter((r) => r.terms.some((t) => !WEAK.has(t.replace(/^~/, ''))))
      .flatMap((r) => {
        const tool = this.byName.get(String(r.id));
        const nameTerms = Object.entries(r.match)
          .filter(([, fields]) => fields.includes('words'))
          .map(([term]) => term);
        return tool ? [{ tool, score: r.score, terms: r.terms, nameTerms }] : [];
      });
  }
}
