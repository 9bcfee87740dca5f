import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_ROLE, appDatabaseUrl, createPools, MIGRATIONS_DIR, migrate, type Pools, withDatabase } from '@weft/db';
import { prepareQueue, QUEUE_SCHEMA_VERSION } from '@weft/engine';
import pg from 'pg';

/** The server tests create their databases on (CI and dev machines run one on 5432). */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  pools: Pools;
  /** Closes the pools and drops the database. */
  drop(): Promise<void>;
}

async function migrationsHash(): Promise<string> {
  const hash = createHash('sha256');
  // The queue schema is part of the template too: a new graphile-worker version means a new template.
  hash.update(`graphile-worker@${QUEUE_SCHEMA_VERSION}`);
  for (const file of (await readdir(MIGRATIONS_DIR)).sort()) {
    hash.update(file).update(await readFile(join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// One migrated template per migration set, shared by every test file of every run; creating a
// database from it takes milliseconds where migrating takes seconds. Templates of other migration
// sets are left alone: another checkout may be cloning from them right now.
async function ensureTemplate(): Promise<string> {
  const template = `weft_tpl_${await migrationsHash()}`;
  await withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', ['weft-test-template']);
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (rowCount === 0) {
        const building = `${template}_build`;
        await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${building}"`);
        await migrate(withDatabase(TEST_SERVER_URL, building));
        // Test databases are born with the job queue's schema, as a started server has it.
        await prepareQueue(withDatabase(TEST_SERVER_URL, building));
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
        await admin.query(`ALTER DATABASE "${template}" IS_TEMPLATE true`);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', ['weft-test-template']);
    }
  });
  return template;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const template = await ensureTemplate();
  const name = `weft_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const ownerUrl = withDatabase(TEST_SERVER_URL, name);
  const appUrl = appDatabaseUrl(ownerUrl);
  const pools = createPools({ ownerUrl, max: options.poolMax ?? 5, applicationName: 'weft-test' });
  return {
    name,
    ownerUrl,
    appUrl,
    pools,
    async drop() {
      await pools.close();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A database with nothing in it, for testing the migrations themselves. */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `weft_e_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  return {
    url: withDatabase(TEST_SERVER_URL, name),
    drop: () => withAdmin(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

export { APP_ROLE };
