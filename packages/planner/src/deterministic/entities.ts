import { NUMBER_WORD_PATTERN, NUMBER_WORDS } from '../number-words.ts';
import type { SplitRequest } from './clauses.ts';

/** What a clause says concretely, for filling tool inputs. */
export interface Entities {
  urls: string[];
  quoted: string[];
  /** Durations like "5 seconds", "2 min", "1.5 hours", in milliseconds. */
  durationsMs: number[];
  /** Bare numbers not part of a duration. */
  numbers: number[];
  emails: string[];
  /** ISO-8601 dates or date-times written in the request. */
  dateTimes: string[];
  httpMethod: string | null;
  /** A name given with "key", "named", "called", "as" (e.g. `set key region`). */
  names: string[];
  /** Identifiers listed after "fields"/"keys"/"pick"/"only" (e.g. `pick id, name and email`). */
  fieldList: string[];
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000,
};
const WORD_NUMBERS: Record<string, number> = { ...NUMBER_WORDS, once: 1, twice: 2, thrice: 3 };
// Digits may touch their unit ("5s"); number words may not ("am" is not "a m").
const DURATION = new RegExp(
  `\\b(?:(\\d+(?:\\.\\d+)?)\\s*-?\\s*|(${NUMBER_WORD_PATTERN})\\s+)(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|hr|h|days?|d|weeks?)\\b`,
  'gi',
);
const DATE_TIME = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
const METHOD = /\b(GET|POST|PUT|PATCH|DELETE|HEAD)\b/;
const NAME = /\b(?:key|named|called|titled|as)\s+(?!(?:key|named|called|titled)\b)([A-Za-z_][\w.-]*)/gi;
const FIELDS = /\b(?:fields?|keys|properties|pick|only)\s+((?:[A-Za-z_][\w.]*)(?:\s*(?:,|and)\s*[A-Za-z_][\w.]*)*)/i;
const NOT_NAMES = new Set(['the', 'a', 'an', 'it', 'them', 'its', 'their', 'input', 'output', 'result', 'response']);

export function extractEntities(text: string, spans: SplitRequest['spans']): Entities {
  const tokens = [...text.matchAll(/⟦(\d+)⟧/g)].map((m) => spans[Number(m[1])]).filter((s) => s !== undefined);
  const plain = text.replace(/⟦\d+⟧/g, ' ');
  const durationsMs: number[] = [];
  const withoutDurations = plain.replace(
    DURATION,
    (_m, digits: string | undefined, word: string | undefined, unit: string) => {
      const n = digits !== undefined ? Number(digits) : (WORD_NUMBERS[(word ?? '').toLowerCase()] ?? 1);
      const factor = UNIT_MS[unit.toLowerCase()] ?? 1;
      durationsMs.push(Math.round(n * factor));
      return ' ';
    },
  );
  const dateTimes = [...withoutDurations.matchAll(DATE_TIME)].map((m) => m[0].replace(' ', 'T'));
  const withoutDates = withoutDurations.replace(DATE_TIME, ' ');
  const numbers = [...withoutDates.matchAll(/\b\d+(?:\.\d+)?\b/g)].map((m) => Number(m[0]));
  for (const word of withoutDates.toLowerCase().match(/\b(?:once|twice|thrice)\b/g) ?? []) {
    const n = WORD_NUMBERS[word];
    if (n !== undefined) numbers.push(n);
  }
  const names = [...plain.matchAll(NAME)]
    .map((m) => m[1] ?? '')
    .filter((n) => n.length > 0 && !NOT_NAMES.has(n.toLowerCase()));
  const listed = tokens.find((t) => t.kind === 'fields')?.value ?? FIELDS.exec(plain)?.[1];
  const fieldList = listed
    ? listed
        .split(/\s*(?:,|\band\b)\s*/)
        .map((f) => f.trim())
        .filter((f) => f.length > 0 && !NOT_NAMES.has(f.toLowerCase()) && !/^(from|of)$/i.test(f))
    : [];
  return {
    urls: tokens.filter((t) => t.kind === 'url').map((t) => t.value),
    quoted: tokens.filter((t) => t.kind === 'quoted').map((t) => t.value),
    durationsMs,
    numbers,
    emails: [...plain.matchAll(EMAIL)].map((m) => m[0]),
    dateTimes,
    httpMethod: METHOD.exec(plain)?.[1] ?? null,
    names,
    fieldList,
  };
}
