/**
 * Cron expressions and time zones, through croner: parsing, validation and the next time after a
 * given instant. Croner decides daylight-saving edges (a wall time skipped by spring-forward fires
 * at the first instant after the gap; one repeated by fall-back fires once, at its first
 * occurrence); `cron.test.ts` pins that down.
 */
import { Cron } from 'croner';

export const CRON_MAX_LENGTH = 200;
export const TIMEZONE_MAX_LENGTH = 64;

/** @public What is wrong with a schedule's timing, on `["cron"]` or `["timezone"]`. */
export interface ScheduleIssue {
  code: 'INVALID_CRON' | 'INVALID_TIMEZONE';
  path: ['cron'] | ['timezone'];
  message: string;
}

/** @public A cron and its zone. */
export interface ScheduleTiming {
  cron: string;
  timezone: string;
}

function validTimezone(timezone: string): boolean {
  if (timezone.length === 0 || timezone.length > TIMEZONE_MAX_LENGTH) return false;
  try {
    // The platform's IANA database is the one croner converts with.
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function pattern(timing: ScheduleTiming): Cron {
  // `paused` keeps croner from arming a timer of its own: ticks are claimed in the database.
  return new Cron(timing.cron, { timezone: timing.timezone, paused: true });
}

/**
 * What is wrong with a cron (5 fields, or 6 with seconds first) and an IANA time zone, as issues on
 * `["cron"]` and `["timezone"]`; empty when they can be scheduled.
 */
export function scheduleIssues(timing: ScheduleTiming): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const fields = timing.cron
    .trim()
    .split(/\s+/)
    .filter((f) => f.length > 0);
  if (timing.cron.length > CRON_MAX_LENGTH) {
    issues.push({ code: 'INVALID_CRON', path: ['cron'], message: `cron is longer than ${CRON_MAX_LENGTH} characters` });
  } else if (fields.length !== 5 && fields.length !== 6) {
    // croner also takes a 7th (year) field; the contract is 5 or 6.
    issues.push({ code: 'INVALID_CRON', path: ['cron'], message: 'cron needs 5 fields, or 6 with seconds first' });
  } else {
    try {
      if (pattern({ cron: timing.cron, timezone: 'UTC' }).nextRun() === null) {
        issues.push({ code: 'INVALID_CRON', path: ['cron'], message: 'cron never fires' });
      }
    } catch (err) {
      issues.push({ code: 'INVALID_CRON', path: ['cron'], message: `invalid cron: ${(err as Error).message}` });
    }
  }
  if (!validTimezone(timing.timezone)) {
    issues.push({
      code: 'INVALID_TIMEZONE',
      path: ['timezone'],
      message: 'timezone must be an IANA time zone name such as Europe/Berlin',
    });
  }
  return issues;
}

/** The first time strictly after `after` that the cron names, or null if there is none. */
export function nextRunAfter(timing: ScheduleTiming, after: Date): Date | null {
  return pattern(timing).nextRun(after);
}

/** The next `count` times after `after` (for previews and tests). */
export function nextRunsAfter(timing: ScheduleTiming, after: Date, count: number): Date[] {
  return pattern(timing).nextRuns(count, after);
}
