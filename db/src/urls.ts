/** The role the application connects as: owns nothing, cannot bypass row-level security. */
export const APP_ROLE = 'weft_app';

/**
 * The role `/admin/graphql` connects as: it may only SELECT the RLS-bound tenant tables (migration
 * 10), so nothing the generated admin API sends can write, even if a mutation slipped through.
 */
export const ADMIN_READ_ROLE = 'weft_admin_read';

/** The roles the migrations create for the application, which get the owner's password. */
export const LOGIN_ROLES = [APP_ROLE, ADMIN_READ_ROLE] as const;

function asRole(ownerUrl: string, role: string): string {
  const url = new URL(ownerUrl);
  url.username = role;
  return url.toString();
}

/**
 * The connection string for the application role, derived from the owner's: same host, port,
 * database and password, user `weft_app`. Deployments with other credentials set
 * `DATABASE_APP_URL` instead.
 */
export function appDatabaseUrl(ownerUrl: string): string {
  return asRole(ownerUrl, APP_ROLE);
}

/**
 * The connection string for the admin API's read-only role, derived from the owner's like
 * {@link appDatabaseUrl}. Deployments with other credentials set `DATABASE_ADMIN_READ_URL` instead.
 */
export function adminReadDatabaseUrl(ownerUrl: string): string {
  return asRole(ownerUrl, ADMIN_READ_ROLE);
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
