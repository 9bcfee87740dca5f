import { definePlugin, defineTool, NonRetriableError, type ToolContext, Type } from '@weft/plugin-sdk';
import { type CalendarEvent, calendarDataOf, eventToIcs, parseEvents, toIcalUtc } from './ical.ts';

const CalendarUrl = Type.String({ description: 'CalDAV collection URL ending in /; its host must be granted' });
const Event = Type.Object({
  uid: Type.String(),
  summary: Type.String(),
  start: Type.String({ description: 'ISO 8601, UTC' }),
  end: Type.String({ description: 'ISO 8601, UTC' }),
  description: Type.Optional(Type.String()),
  location: Type.Optional(Type.String()),
});

function collection(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function isoOrFail(value: string, field: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new NonRetriableError(`${field} is not a date: ${value}`);
  return new Date(time).toISOString();
}

async function authHeaders(ctx: ToolContext, secret: string | undefined): Promise<Record<string, string>> {
  return secret === undefined ? {} : { authorization: `Bearer ${await ctx.secrets.get(secret)}` };
}

async function listBetween(
  ctx: ToolContext,
  calendarUrl: string,
  from: string,
  to: string,
  secret: string | undefined,
): Promise<CalendarEvent[]> {
  const body = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="${toIcalUtc(from)}" end="${toIcalUtc(to)}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`;
  const res = await ctx.fetch(collection(calendarUrl), {
    method: 'REPORT',
    headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8', ...(await authHeaders(ctx, secret)) },
    body,
  });
  if (res.status !== 207) throw new Error(`CalDAV REPORT answered HTTP ${res.status}`);
  const events = calendarDataOf(await res.text()).flatMap(parseEvents);
  return events.sort((a, b) => a.start.localeCompare(b.start));
}

export const createEvent = defineTool({
  name: 'createEvent',
  description: 'Creates an event in a CalDAV calendar (PUT of an iCalendar object).',
  input: Type.Object({
    calendarUrl: CalendarUrl,
    summary: Type.String({ minLength: 1 }),
    start: Type.String(),
    end: Type.String(),
    description: Type.Optional(Type.String()),
    location: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9@._-]{1,200}$' })),
    bearerSecret: Type.Optional(Type.String()),
  }),
  output: Type.Object({ uid: Type.String(), url: Type.String(), event: Event }),
  dryRun: 'mock',
  run: async (input, ctx) => {
    const start = isoOrFail(input.start, 'start');
    const end = isoOrFail(input.end, 'end');
    if (end <= start) throw new NonRetriableError('end must be after start');
    // A retried step must not create a second event: default the uid to the run and step.
    const uid = input.uid ?? `weft-${ctx.run.executionId}-${ctx.run.stepId}`.replace(/[^A-Za-z0-9@._-]/g, '-');
    const event: CalendarEvent = {
      uid,
      summary: input.summary,
      start,
      end,
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.location === undefined ? {} : { location: input.location }),
    };
    const url = `${collection(input.calendarUrl)}${encodeURIComponent(uid)}.ics`;
    const res = await ctx.fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'text/calendar; charset=utf-8', ...(await authHeaders(ctx, input.bearerSecret)) },
      body: eventToIcs(event, new Date()),
    });
    if (res.status >= 400) throw new Error(`CalDAV PUT answered HTTP ${res.status}`);
    return { uid, url, event };
  },
});

export const listEvents = defineTool({
  name: 'listEvents',
  description: 'Events of a CalDAV calendar overlapping [from, to), sorted by start.',
  input: Type.Object({
    calendarUrl: CalendarUrl,
    from: Type.String(),
    to: Type.String(),
    bearerSecret: Type.Optional(Type.String()),
  }),
  output: Type.Object({ events: Type.Array(Event) }),
  dryRun: 'run',
  run: async (input, ctx) => ({
    events: await listBetween(
      ctx,
      input.calendarUrl,
      isoOrFail(input.from, 'from'),
      isoOrFail(input.to, 'to'),
      input.bearerSecret,
    ),
  }),
});

export const findFreeSlot = defineTool({
  name: 'findFreeSlot',
  description: 'The earliest free slot of `durationMinutes` between from and to, given the calendar’s events.',
  input: Type.Object({
    calendarUrl: CalendarUrl,
    from: Type.String(),
    to: Type.String(),
    durationMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
    bearerSecret: Type.Optional(Type.String()),
  }),
  output: Type.Object({
    found: Type.Boolean(),
    start: Type.Optional(Type.String()),
    end: Type.Optional(Type.String()),
  }),
  dryRun: 'run',
  run: async (input, ctx) => {
    const from = isoOrFail(input.from, 'from');
    const to = isoOrFail(input.to, 'to');
    const need = input.durationMinutes * 60_000;
    const busy = await listBetween(ctx, input.calendarUrl, from, to, input.bearerSecret);
    let cursor = Date.parse(from);
    for (const event of busy) {
      const start = Date.parse(event.start);
      if (start - cursor >= need) break;
      cursor = Math.max(cursor, Date.parse(event.end));
    }
    if (Date.parse(to) - cursor < need) return { found: false };
    return { found: true, start: new Date(cursor).toISOString(), end: new Date(cursor + need).toISOString() };
  },
});

export default definePlugin({
  name: 'calendar',
  version: '1.0.0',
  description: 'CalDAV / iCalendar events: create, list, find a free slot. Grant the CalDAV server as http:<host>.',
  optionalCapabilities: ['http:*', 'secrets:*'],
  tools: [createEvent, listEvents, findFreeSlot],
});
