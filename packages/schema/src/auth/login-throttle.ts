import type { Queryable } from '@weft/db';

export interface LoginThrottleOptions {
  /** Failures allowed per email within the window before its log-ins are refused. */
  maxFailuresPerEmail: number;
  /** Failures allowed per client address (higher: many people may share one address). */
  maxFailuresPerAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailuresPerEmail: 10,
  maxFailuresPerAddress: 100,
  windowMs: 15 * 60 * 1000,
};

export function throttleKeys(email: string, clientIp: string): string[] {
  return [`email:${email.trim().toLowerCase()}`, `ip:${clientIp}`];
}

/**
 * Seconds until another attempt is allowed, or 0. Counting failures per email and per client
 * address stops both guessing one account and spraying many accounts from one address.
 */
export async function retryAfterSeconds(db: Queryable, keys: string[], options: LoginThrottleOptions): Promise<number> {
  const { rows } = await db.query<{ key: string; failures: number; oldest: Date }>(
    `SELECT key, count(*)::int AS failures, min(at) AS oldest FROM login_attempts
      WHERE key = ANY($1) AND at > now() - $2 * interval '1 millisecond' GROUP BY key`,
    [keys, options.windowMs],
  );
  let wait = 0;
  for (const row of rows) {
    const max = row.key.startsWith('email:') ? options.maxFailuresPerEmail : options.maxFailuresPerAddress;
    if (row.failures >= max) {
      const until = row.oldest.getTime() + options.windowMs;
      wait = Math.max(wait, Math.ceil((until - Date.now()) / 1000));
    }
  }
  return Math.max(0, wait);
}

export async function recordFailure(db: Queryable, keys: string[]): Promise<void> {
  await db.query('INSERT INTO login_attempts (key) SELECT unnest($1::text[])', [keys]);
}

export async function clearFailures(db: Queryable, email: string): Promise<void> {
  await db.query('DELETE FROM login_attempts WHERE key = $1', [`email:${email.trim().toLowerCase()}`]);
}
