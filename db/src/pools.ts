import pg from 'pg';
import { adminReadDatabaseUrl, appDatabaseUrl } from './urls.ts';

export interface Pools {
  /** Connects as `weft_app`: every tenant query goes through row-level security. */
  app: pg.Pool;
  /** Connects as the owner: migrations, the job queue and cross-tenant system sweeps only. */
  owner: pg.Pool;
  /**
   * Connects as `weft_admin_read`: SELECT on RLS-bound tenant tables only, for `/admin/graphql`.
   * Connects on first use, so processes that never serve the admin API open no connection.
   */
  adminRead: pg.Pool;
  close(): Promise<void>;
}

export interface PoolOptions {
  ownerUrl: string;
  appUrl?: string;
  adminReadUrl?: string;
  max?: number;
  applicationName?: string;
}

// Postgres returns bigint/numeric as strings by default; counts we read are small enough for numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export function createPools(options: PoolOptions): Pools {
  const common = { max: options.max ?? 10, application_name: options.applicationName ?? 'weft' };
  const app = new pg.Pool({ connectionString: options.appUrl ?? appDatabaseUrl(options.ownerUrl), ...common });
  const owner = new pg.Pool({
    connectionString: options.ownerUrl,
    ...common,
    max: Math.max(2, Math.ceil(common.max / 2)),
  });
  // A client losing its connection (database restart, pg_terminate_backend) must not crash the
  // process. pg-pool listens on idle clients only; a checked-out client between two queries emits
  // 'error' with nobody listening, which Node throws. Its next query then rejects ("not queryable"),
  // and release() drops it from the pool.
  const adminRead = new pg.Pool({
    connectionString: options.adminReadUrl ?? adminReadDatabaseUrl(options.ownerUrl),
    ...common,
    // An admin's reads are occasional; they must not take connections the product API needs.
    max: Math.max(1, Math.ceil(common.max / 5)),
  });
  for (const pool of [app, owner, adminRead]) {
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
  }
  let closed: Promise<void> | undefined;
  return {
    app,
    owner,
    adminRead,
    close() {
      closed ??= Promise.all([app.end(), owner.end(), adminRead.end()]).then(() => {});
      return closed;
    },
  };
}
