/** The role the application connects as: owns nothing, cannot bypass row-level security. */
export const APP_ROLE = 'weft_app';

/**
 * The connection string for the application role, derived from the owner's: same host, port,
 * database and password, user `weft_app`. Deployments with other credentials set
 * `DATABASE_APP_URL` instead.
 */
export function appDatabaseUrl(ownerUrl: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  return url.toString();
}

/** The same server, another database (used for per-test databases and templates). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The password part of a connection string, if any. */
export function passwordOf(url: string): string | undefined {
  const p = new URL(url).password;
  return p === '' ? undefined : decodeURIComponent(p);
}
