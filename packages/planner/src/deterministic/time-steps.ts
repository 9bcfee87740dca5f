import type { ToolCatalogueEntry } from '../catalogue.ts';
import type { Entities } from './entities.ts';

/** A clause that is about time rather than a tool: a durable sleep or a wait for an event. */
export type TimeStep =
  | { kind: 'sleep'; durationMs: number }
  | { kind: 'sleep'; until: string }
  | { kind: 'wait'; event: string };

const SLEEP_VERB = /^(?:wait|sleep|pause|hang on|hold on|hold off|delay|snooze)\b/i;
const EVENT_CUE = /\b(?:event|arrives?|is received|comes? in|is (?:sent|posted|fired))\b/i;
const EVENT_LEAD = /^(?:(?:wait(?:ing)?\s+)?(?:for|until|when|once|as soon as|after)\b)/i;
const ARTICLES = new Set(['the', 'a', 'an', 'some', 'our', 'my', 'its', 'their', 'new', 'next']);

/**
 * Reads a clause as a time step, or null when it is not one. Short pauses the catalogue's own wait
 * tool can hold (within its declared `maximum`) stay tool calls; longer ones, and any "until <date>",
 * become durable `sleep` steps, which hold no worker slot.
 */
export function timeStep(text: string, entities: Entities, waitTool: ToolCatalogueEntry | null): TimeStep | null {
  const clause = text.trim();
  if (EVENT_LEAD.test(clause) && EVENT_CUE.test(clause)) {
    const event = eventName(clause, entities);
    return event ? { kind: 'wait', event } : null;
  }
  if (!SLEEP_VERB.test(clause)) return null;
  const [until] = entities.dateTimes;
  if (/\buntil\b/i.test(clause) && until !== undefined && entities.durationsMs.length === 0)
    return { kind: 'sleep', until: withZone(until) };
  if (entities.durationsMs.length !== 1 || entities.dateTimes.length > 0) return null;
  const durationMs = entities.durationsMs[0] ?? 0;
  // No wait tool: only a durable sleep can wait. A tool without a declared maximum takes any wait.
  const limit = waitTool ? (waitLimitMs(waitTool) ?? Number.POSITIVE_INFINITY) : 0;
  if (durationMs <= limit) return null;
  return { kind: 'sleep', durationMs };
}

/** A date-time without an offset is read as UTC, the same as schedules without a time zone. */
function withZone(dateTime: string): string {
  if (!dateTime.includes('T')) return `${dateTime}T00:00:00Z`;
  return /(?:Z|[+-]\d{2}:?\d{2})$/.test(dateTime) ? dateTime : `${dateTime}Z`;
}

/**
 * The longest wait the tool accepts, in ms, from its input schema's `maximum` (unit read from the
 * property name, as `isWait` does); null when it declares none (it then takes any duration).
 */
export function waitLimitMs(tool: ToolCatalogueEntry): number | null {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { maximum?: unknown }>;
  for (const [name, schema] of Object.entries(props)) {
    if (typeof schema.maximum !== 'number') continue;
    if (/(^ms$|Ms$|millis)/i.test(name)) return schema.maximum;
    if (/seconds?$/i.test(name)) return schema.maximum * 1000;
    if (/minutes?$/i.test(name)) return schema.maximum * 60_000;
  }
  return null;
}

/**
 * The event's name: a quoted name, a dotted or dashed identifier before or after "event"
 * ("the order.paid event", "event named invoice-created"), else the noun before "arrives"
 * ("when the payment arrives" → `payment`).
 */
function eventName(clause: string, entities: Entities): string | null {
  const [quoted] = entities.quoted;
  if (quoted !== undefined && /^[A-Za-z][\w.:-]{0,99}$/.test(quoted)) return quoted;
  const before = /([A-Za-z][\w.:-]*)\s+event\b/i.exec(clause)?.[1];
  if (before && !ARTICLES.has(before.toLowerCase()) && !/^(?:an?|for|until|when|once)$/i.test(before)) return before;
  const after = /\bevent\s+(?:named\s+|called\s+)?([A-Za-z][\w.:-]*)/i.exec(clause)?.[1];
  if (after) return after;
  const subject = clause
    .replace(EVENT_LEAD, '')
    .split(/\s+(?:arrives?|is received|comes? in|is sent|is posted|is fired)\b/i)[0];
  const words = (subject ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => /^[a-z][a-z0-9]*$/.test(w) && !ARTICLES.has(w));
  return words.length > 0 && words.length <= 3 ? words.join('-') : null;
}
