import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { APP_ROLE, LOGIN_ROLES, passwordOf } from './urls.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
const MIGRATIONS_TABLE = 'pgmigrations';

export interface MigrateOptions {
  /** Receives one line per applied migration. */
  log?: (message: string) => void;
}

/**
 * Applies every pending migration in `db/migrations` as the database owner. Concurrent callers
 * (several processes starting at once) wait on node-pg-migrate's advisory lock instead of racing.
 * Afterwards the application's roles get the owner's password (when the URL has one) so that the
 * derived connection strings work on servers that check passwords.
 */
export async function migrate(ownerUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => {});
  const applied = await runner({
    databaseUrl: ownerUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    count: Number.POSITIVE_INFINITY,
    singleTransaction: true,
    checkOrder: true,
    advisoryLockMode: 'wait',
    log: () => {},
    logger: { debug: () => {}, info: () => {}, warn: (m: string) => log(m), error: (m: string) => log(m) },
  });
  for (const m of applied) log(`applied migration ${m.name}`);

  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Processes starting together against one database would otherwise update the same catalog
    // rows at once and fail with "tuple concurrently updated".
    await client.query(`SELECT pg_advisory_lock(hashtext('weft-migrate-grants'))`);
    await client.query(`REVOKE ALL ON ${MIGRATIONS_TABLE} FROM ${APP_ROLE}`);
    const password = passwordOf(ownerUrl);
    if (password !== undefined) {
      for (const role of LOGIN_ROLES) {
        await client.query(`ALTER ROLE ${role} PASSWORD ${client.escapeLiteral(password)}`);
      }
    }
    await client.query(`SELECT pg_advisory_unlock(hashtext('weft-migrate-grants'))`);
  } finally {
    await client.end();
  }
  return applied.map((m) => m.name);
}
