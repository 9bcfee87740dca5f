import { Cron } from 'croner';
import { NUMBER_WORD_PATTERN, NUMBER_WORDS } from './number-words.ts';

/**
 * What a request says about *when* it should run ("every Monday at 9", "daily at 18:30 in
 * Europe/Berlin"): a cron expression and time zone for `createSchedule`, offered beside the plan.
 * A plan never schedules itself; the user (or the console) creates the schedule.
 */
export interface ScheduleSuggestion {
  /** 5 fields, or 6 with seconds first, as `createSchedule` takes it. */
  cron: string;
  /** IANA name; `UTC` when the request names none. */
  timezone: string;
  /** The rhythm in words, for the explanation and the console. */
  description: string;
  /** The next three times it would fire (ISO 8601, UTC), from the moment of drafting. */
  nextRuns: string[];
}

export interface ScheduleExtraction {
  /** The request without the schedule phrase ("every Monday at 9, collect …" → "collect …"). */
  rest: string;
  schedule: ScheduleSuggestion | null;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const DAY = '(?:sun|mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?)(?:day)?s?';
const COUNT = `(\\d{1,2}|${NUMBER_WORD_PATTERN})`;
const TIME = '(?:\\s*,?\\s*at\\s+(noon|midnight|\\d{1,2}(?::\\d{2})?(?:\\s*(?:a\\.?m\\.?|p\\.?m\\.?))?))';
const ZONE = '(?:\\s+(?:in\\s+|\\()?((?:[A-Z][A-Za-z_]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)|UTC|GMT)\\)?)';

/** The phrases understood, each building cron fields from its match. Tried in order; first wins. */
const RULES: Array<{ re: RegExp; build: (m: RegExpExecArray) => Rhythm | null }> = [
  {
    // every 15 minutes / every 2 hours / every 30 seconds
    re: new RegExp(`\\b(?:every|each)\\s+${COUNT}\\s+(second|minute|hour)s?\\b${ZONE}?`, 'i'),
    build: (m) => interval(countOf(m[1]), (m[2] ?? '').toLowerCase(), m[3]),
  },
  {
    // every minute / hourly / every hour
    re: new RegExp(`\\b(?:(?:every|each)\\s+(second|minute|hour)|(hourly))\\b${ZONE}?`, 'i'),
    build: (m) => interval(1, (m[1] ?? 'hour').toLowerCase(), m[3]),
  },
  {
    // every Monday (and Thursday) at 9 / on Mondays / each Friday
    re: new RegExp(
      `\\b(?:every|each|on)\\s+(${DAY}(?:\\s*(?:,|and|&)\\s*${DAY})*)\\b(?:\\s+(?:morning|evening|night))?${TIME}?${ZONE}?`,
      'i',
    ),
    build: (m) => weekly(m[1] ?? '', m[2], m[3]),
  },
  {
    // every weekday / every working day / every weekend
    re: new RegExp(`\\b(?:every|each|on)\\s+(weekday|working day|business day|weekend)s?\\b${TIME}?${ZONE}?`, 'i'),
    build: (m) =>
      at(/weekend/i.test(m[1] ?? '') ? '0,6' : '1-5', /weekend/i.test(m[1] ?? '') ? 'weekend' : 'weekday', m[2], m[3]),
  },
  {
    // every day / daily / every morning / every night
    re: new RegExp(`\\b(?:(?:every|each)\\s+(day|morning|evening|night)|(daily|nightly))\\b${TIME}?${ZONE}?`, 'i'),
    build: (m) => daily((m[1] ?? m[2] ?? 'day').toLowerCase(), m[3], m[4]),
  },
  {
    // every week / weekly
    re: new RegExp(`\\b(?:(?:every|each)\\s+week|weekly)\\b${TIME}?${ZONE}?`, 'i'),
    build: (m) => at('1', 'Monday', m[1], m[2]),
  },
  {
    // every month (on the 15th) / monthly / on the 1st of every month
    re: new RegExp(
      `\\b(?:(?:on\\s+the\\s+(\\d{1,2})(?:st|nd|rd|th)?\\s+of\\s+)?(?:every|each)\\s+month(?:\\s+on\\s+the\\s+(\\d{1,2})(?:st|nd|rd|th)?)?|(monthly))\\b${TIME}?${ZONE}?`,
      'i',
    ),
    build: (m) => monthly(Number(m[1] ?? m[2] ?? 1), m[4], m[5]),
  },
];

interface Rhythm {
  cron: string;
  description: string;
  zone: string | undefined;
}

/**
 * Finds the schedule phrase of a request, if any. An expression it builds that croner refuses (the
 * 31st of February, a time zone nobody has heard of) counts as no schedule, never as a guess.
 */
export function extractSchedule(request: string, now: Date = new Date()): ScheduleExtraction {
  for (const rule of RULES) {
    const m = rule.re.exec(request);
    if (!m) continue;
    const rhythm = rule.build(m);
    if (!rhythm) return { rest: request, schedule: null };
    const timezone = rhythm.zone === undefined || /^gmt$/i.test(rhythm.zone) ? 'UTC' : rhythm.zone;
    const nextRuns = nextRunsOf(rhythm.cron, timezone, now);
    if (!nextRuns) return { rest: request, schedule: null };
    const rest = `${request.slice(0, m.index)} ${request.slice(m.index + m[0].length)}`
      .replace(/^[\s,;:.-]+|[\s,;:-]+$/g, '')
      .replace(/\s{2,}/g, ' ');
    return {
      rest,
      schedule: { cron: rhythm.cron, timezone, description: `${rhythm.description} (${timezone})`, nextRuns },
    };
  }
  return { rest: request, schedule: null };
}

/** The next three fire times, or null when croner refuses the expression or the zone. */
export function nextRunsOf(cron: string, timezone: string, from: Date = new Date()): string[] | null {
  try {
    const job = new Cron(cron, { timezone, paused: true });
    const runs = job.nextRuns(3, from).map((d) => d.toISOString());
    job.stop();
    return runs.length > 0 ? runs : null;
  } catch {
    return null;
  }
}

function countOf(word: string | undefined): number {
  const w = (word ?? '1').toLowerCase();
  return NUMBER_WORDS[w] ?? Number(w);
}

function interval(n: number, unit: string, zone: string | undefined): Rhythm | null {
  if (!Number.isInteger(n) || n < 1) return null;
  const every = n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
  const step = n === 1 ? '*' : `*/${n}`;
  if (unit === 'second') return n < 60 ? { cron: `${step} * * * * *`, description: every, zone } : null;
  if (unit === 'minute') return n < 60 ? { cron: `${step} * * * *`, description: every, zone } : null;
  return n < 24 ? { cron: `0 ${step} * * *`, description: every, zone } : null;
}

/** "9", "9am", "6:30 pm", "18:30", "noon" → [hour, minute]; absent → the default hour. */
function clock(text: string | undefined, defaultHour: number): [number, number] | null {
  if (text === undefined) return [defaultHour, 0];
  const t = text.toLowerCase().replace(/\./g, '').trim();
  if (t === 'noon') return [12, 0];
  if (t === 'midnight') return [0, 0];
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/.exec(t);
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  if (m[3] === 'pm' && hour < 12) hour += 12;
  if (m[3] === 'am' && hour === 12) hour = 0;
  return hour < 24 && minute < 60 ? [hour, minute] : null;
}

function hhmm([h, m]: [number, number]): string {
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** A rhythm on given days of the week (cron field `days`) at the clock time of the phrase. */
function at(days: string, label: string, time: string | undefined, zone: string | undefined): Rhythm | null {
  const c = clock(time, 9);
  if (!c) return null;
  const when = time === undefined ? `${hhmm(c)}, as no time was given` : hhmm(c);
  return { cron: `${c[1]} ${c[0]} * * ${days}`, description: `every ${label} at ${when}`, zone };
}

function weekly(list: string, time: string | undefined, zone: string | undefined): Rhythm | null {
  const days = list
    .toLowerCase()
    .split(/\s*(?:,|and|&)\s*/)
    .map((d) => DAYS.findIndex((name) => name.startsWith(d.replace(/s$/, '').slice(0, 3))))
    .filter((i) => i >= 0);
  if (days.length === 0) return null;
  const unique = [...new Set(days)].sort((a, b) => a - b);
  const label = unique.map((d) => (DAYS[d] ?? '').replace(/^./, (ch) => ch.toUpperCase())).join(', ');
  return at(unique.join(','), label, time, zone);
}

function daily(word: string, time: string | undefined, zone: string | undefined): Rhythm | null {
  const defaults: Record<string, number> = { morning: 9, evening: 18, night: 22, nightly: 22 };
  const c = clock(time, defaults[word] ?? 9);
  if (!c) return null;
  const when = time === undefined && defaults[word] === undefined ? `${hhmm(c)}, as no time was given` : hhmm(c);
  return { cron: `${c[1]} ${c[0]} * * *`, description: `every day at ${when}`, zone };
}

function monthly(day: number, time: string | undefined, zone: string | undefined): Rhythm | null {
  if (!Number.isInteger(day) || day < 1 || day > 31) return null;
  const c = clock(time, 9);
  if (!c) return null;
  return { cron: `${c[1]} ${c[0]} ${day} * *`, description: `every month on day ${day} at ${hhmm(c)}`, zone };
}
