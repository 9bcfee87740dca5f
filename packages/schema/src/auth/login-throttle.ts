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
      clientIp,
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
  await db.query('SELECT weft_auth.login_succeeded($1, $2)', [accountKey(email), clientIp]);
}

/** Failures counted for an account from an address (operators, tests). */
export async function loginFailures(db: Queryable, email: string, clientIp: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT weft_auth.login_failures($1, $2) AS n', [
    accountKey(email),
    clientIp,
  ]);
  return rows[0]?.n ?? 0;
}
