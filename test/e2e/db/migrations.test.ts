import { appDatabaseUrl, migrate } from '@weft/db';
import { createEmptyDatabase } from '@weft/test-utils';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const drop of drops.splice(0)) await drop();
});

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    return rows.map((r) => r.tablename);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  it('apply to an empty database and create the schema', async () => {
    const db = await createEmptyDatabase();
    drops.push(db.drop);
    const applied = await migrate(db.url);
    expect(applied.length).toBeGreaterThan(0);
    const names = await tables(db.url);
    for (const t of [
      'users',
      'auth_tokens',
      'workspaces',
      'memberships',
      'plans',
      'plan_versions',
      'executions',
      'step_runs',
      'execution_events',
      'approvals',
      'plugins',
      'plugin_versions',
      'plugin_installations',
      'secrets',
      'webhooks',
      'webhook_deliveries',
      'audit_log',
    ]) {
      expect(names).toContain(t);
    }
  });

  it('are idempotent: a second run applies nothing and changes nothing', async () => {
    const db = await createEmptyDatabase();
    drops.push(db.drop);
    await migrate(db.url);
    const before = await tables(db.url);
    expect(await migrate(db.url)).toEqual([]);
    expect(await tables(db.url)).toEqual(before);
  });

  it('do not race when several processes start at once', async () => {
    const db = await createEmptyDatabase();
    drops.push(db.drop);
    const runs = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    // Exactly one runner applied each migration; the others waited on the lock and found nothing to do.
    const appliedCounts = runs.map((r) => r.length).sort();
    expect(appliedCounts.slice(0, 2)).toEqual([0, 0]);
    expect(appliedCounts[2]).toBeGreaterThan(0);
  });

  it('every tenant table has forced row-level security with a policy', async () => {
    const db = await createEmptyDatabase();
    drops.push(db.drop);
    await migrate(db.url);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ relname: string; rls: boolean; forced: boolean; policies: number }>(`
        SELECT c.relname, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
               (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
        FROM pg_class c JOIN information_schema.columns col
          ON col.table_name = c.relname AND col.column_name = 'workspace_id' AND col.table_schema = 'public'
        WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
          AND c.relname NOT IN ('auth_tokens', 'step_leases')`);
      expect(rows.length).toBeGreaterThan(10);
      for (const row of rows) expect(row, row.relname).toMatchObject({ rls: true, forced: true });
      for (const row of rows) expect(row.policies, row.relname).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it("keeps step_leases (no RLS, cross-tenant by design) out of the app role's reach", async () => {
    const db = await createEmptyDatabase();
    drops.push(db.drop);
    await migrate(db.url);
    const app = new pg.Client({ connectionString: appDatabaseUrl(db.url) });
    await app.connect();
    try {
      await expect(app.query('SELECT * FROM step_leases')).rejects.toThrow(/permission denied/);
      await expect(
        app.query(`INSERT INTO step_leases VALUES (gen_random_uuid(), gen_random_uuid(), 's', 'run', 1, 'w', now())`),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });
});
