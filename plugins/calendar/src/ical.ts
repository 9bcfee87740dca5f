/**
 * The small part of iCalendar (RFC 5545) the calendar tools need: write one VEVENT, read VEVENTs.
 * Times are written in UTC; read times without `Z` (floating or TZID) are taken as UTC.
 */

export interface CalendarEvent {
  uid: string;
  summary: string;
  start: string;
  end: string;
  description?: string;
  location?: string;
}

function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** `2026-12-01T10:00:00.000Z` → `20261201T100000Z`. */
export function toIcalUtc(iso: string): string {
  return `${new Date(iso).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

// Lines longer than 75 characters are folded: CRLF and one space (RFC 5545 §3.1).
function fold(line: string): string {
  const parts: string[] = [];
  for (let i = 0; i < line.length; i += 74) parts.push(line.slice(i, i + 74));
  return parts.join('\r\n ');
}

export function eventToIcs(event: CalendarEvent, now: Date): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Weft//calendar plugin//EN',
    'BEGIN:VEVENT',
    `UID:${event.uid}`,
    `DTSTAMP:${toIcalUtc(now.toISOString())}`,
    `DTSTART:${toIcalUtc(event.start)}`,
    `DTEND:${toIcalUtc(event.end)}`,
    `SUMMARY:${escapeText(event.summary)}`,
    ...(event.description === undefined ? [] : [`DESCRIPTION:${escapeText(event.description)}`]),
    ...(event.location === undefined ? [] : [`LOCATION:${escapeText(event.location)}`]),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

function parseIcalTime(value: string, params: string): Date | null {
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (date !== null || params.includes('VALUE=DATE')) {
    const m = date ?? /^(\d{4})(\d{2})(\d{2})/.exec(value);
    if (m === null) return null;
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  }
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$/.exec(value);
  if (m === null) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function parseDuration(value: string): number {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(value);
  if (m === null) return 0;
  const [, sign, w, d, h, min, s] = m;
  const ms =
    ((Number(w ?? 0) * 7 + Number(d ?? 0)) * 86_400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) *
    1000;
  return sign === '-' ? -ms : ms;
}

/** Every VEVENT of one or more VCALENDAR texts. */
export function parseEvents(ics: string): CalendarEvent[] {
  const lines = ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const events: CalendarEvent[] = [];
  let current: Map<string, { params: string; value: string }> | null = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') {
      current = new Map();
      continue;
    }
    if (line === 'END:VEVENT' && current !== null) {
      const start = current.get('DTSTART');
      const startDate = start === undefined ? null : parseIcalTime(start.value, start.params);
      if (startDate !== null) {
        const endProp = current.get('DTEND');
        const duration = current.get('DURATION');
        const allDay = start?.params.includes('VALUE=DATE') === true || /^\d{8}$/.test(start?.value ?? '');
        let endDate = endProp === undefined ? null : parseIcalTime(endProp.value, endProp.params);
        if (endDate === null) {
          endDate = new Date(
            startDate.getTime() + (duration !== undefined ? parseDuration(duration.value) : allDay ? 86_400_000 : 0),
          );
        }
        const text = (name: string) => {
          const prop = current?.get(name);
          return prop === undefined ? undefined : unescapeText(prop.value);
        };
        const description = text('DESCRIPTION');
        const location = text('LOCATION');
        events.push({
          uid: text('UID') ?? '',
          summary: text('SUMMARY') ?? '',
          start: startDate.toISOString(),
          end: endDate.toISOString(),
          ...(description === undefined ? {} : { description }),
          ...(location === undefined ? {} : { location }),
        });
      }
      current = null;
      continue;
    }
    if (current === null) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const head = line.slice(0, colon);
    const semicolon = head.indexOf(';');
    const name = (semicolon < 0 ? head : head.slice(0, semicolon)).toUpperCase();
    if (!current.has(name))
      current.set(name, {
        params: semicolon < 0 ? '' : head.slice(semicolon + 1).toUpperCase(),
        value: line.slice(colon + 1),
      });
  }
  return events;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

/** The calendar-data texts of a CalDAV multistatus answer (any namespace prefix, CDATA or escaped). */
export function calendarDataOf(multistatus: string): string[] {
  const found: string[] = [];
  const re = /<(?:[\w-]+:)?calendar-data\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?calendar-data>/g;
  for (let m = re.exec(multistatus); m !== null; m = re.exec(multistatus)) {
    const body = m[1] ?? '';
    const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(body);
    found.push(cdata !== null ? (cdata[1] ?? '') : decodeXml(body));
  }
  return found;
}
