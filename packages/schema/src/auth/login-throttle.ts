import { isIPv6 } from 'node:net';
import type { Queryable } from '@weft/db';

/**
 * Log-in backoff, counted per (account, client address) rather than per account: an attacker
 * guessing one account's password slows only their own address, and the owner logging in from
 * anywhere else is never locked out. A separate, larger budget per address slows one address
 * spraying many accounts.
 */
export interface LoginThrottleOptions {
  /** Failures one address may make for one account before each further one waits. */
  freeFailures: number;
  /** Failures one address may make across all accounts before it waits (shared addresses: higher). */
  freeFailuresPerAddress: number;
  /** The first wait; it doubles with every further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Counts start over once the last failure is this old. */
  resetAfterMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeFailures: 10,
  freeFailuresPerAddress: 100,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60 * 1000,
  resetAfterMs: 24 * 3600 * 1000,
};

/** One spelling per account, whatever case or spaces the email was typed with. */
export function accountKey(email: string): string {
  return `email:${email.trim().toLowerCase()}`;
}

/**
 * The address attempts are counted for. An IPv6 client usually holds a whole /64 and can pick any
 * address in it, so IPv6 counts per /64; IPv4 (also IPv4-mapped IPv6) per address. The one
 * definition of "one client" for signed-out budgets: the API's rate limits count by it too.
 */
export function addressKey(clientIp: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(clientIp);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!isIPv6(clientIp)) return clientIp;
  const [head = '', tail] = clientIp.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Claims one log-in attempt before the password is checked; 0 means go ahead, else the seconds to
 * wait. The claim counts as a failure until `loginSucceeded`: counting first, in one statement
 * under row locks (weft_auth.login_attempt), is what keeps concurrent guesses from all passing a
 * check made before any of them was counted.
 */
export async function claimLoginAttempt(
  db: Queryable,
  email: string,
  clientIp: string,
  options: LoginThrottleOptions,
): Promise<number> {
  const { rows } = await db.query<{ wait: number }>(
    'SELECT weft_auth.login_attempt($1, $2, $3, $4, $5, $6, $7) AS wait',
    [
      accountKey(email),
      addressKey(clientIp),
      options.freeFailures,
      options.freeFailuresPerAddress,
      options.baseDelayMs,
      options.maxDelayMs,
      options.resetAfterMs,
    ],
  );
  return rows[0]?.wait ?? 0;
}

/** The password was right: this account starts over from this address. */
export async function loginSucceeded(db: Queryable, email: string, clientIp: string): Promise<void> {
  await db.query('SELECT weft_auth.login_succeeded($1, $2)', [accountKey(email), addressKey(clientIp)]);
}
