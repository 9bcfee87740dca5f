import { randomUUID } from 'node:crypto';
import { createPools, type Pools, withTenant } from '@weft/db';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
const A = randomUUID();
const B = randomUUID();

async function seedWorkspace(pools: Pools, id: string, planNames: string[]): Promise<void> {
  await withTenant(pools.app, { workspaceId: id }, async (c) => {
    await c.query('INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3)', [
      id,
      `ws-${id.slice(0, 8)}`,
      `WS ${id}`,
    ]);
    for (const name of planNames) await c.query('INSERT INTO plans (workspace_id, name) VALUES ($1, $2)', [id, name]);
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedWorkspace(db.pools, A, ['a1', 'a2']);
  await seedWorkspace(db.pools, B, ['b1']);
});
afterAll(async () => {
  await db.drop();
});

describe('row-level security', () => {
  it('the app role is not the owner, not a superuser and cannot bypass RLS', async () => {
    const { rows } = await db.pools.app.query<{
      user: string;
      rolsuper: boolean;
      rolbypassrls: boolean;
      owns: number;
    }>(`
      SELECT current_user AS user, r.rolsuper, r.rolbypassrls,
             (SELECT count(*)::int FROM pg_tables WHERE tableowner = current_user) AS owns
      FROM pg_roles r WHERE r.rolname = current_user`);
    expect(rows[0]).toEqual({ user: 'weft_app', rolsuper: false, rolbypassrls: false, owns: 0 });
  });

  it('with no workspace set, a tenant query sees nothing', async () => {
    const rows = await withTenant(db.pools.app, {}, async (c) => (await c.query('SELECT * FROM plans')).rows);
    expect(rows).toHaveLength(0);
    // Outside any transaction-local setting too.
    expect((await db.pools.app.query('SELECT * FROM plans')).rowCount).toBe(0);
  });

  it('scope values reach the settings verbatim, whatever they contain, and only for the transaction', async () => {
    // BEGIN and the settings go in one statement string: a value must not be able to end it.
    const hostile = "x'); DROP TABLE plans; --\\";
    const seen = await withTenant(db.pools.app, { workspaceId: hostile, userId: "o'brien" }, async (c) => {
      const { rows } = await c.query<{ ws: string; user: string }>(
        "SELECT current_setting('weft.workspace_id') AS ws, current_setting('weft.user_id') AS user",
      );
      return rows[0];
    });
    expect(seen).toEqual({ ws: hostile, user: "o'brien" });
    const after = await db.pools.app.query<{ ws: string | null }>(
      "SELECT nullif(current_setting('weft.workspace_id', true), '') AS ws",
    );
    expect(after.rows[0]?.ws ?? null).toBeNull();
    expect((await db.pools.owner.query("SELECT to_regclass('plans') IS NOT NULL AS ok")).rows[0]).toEqual({ ok: true });
  });

  it("with workspace A set, B's rows are invisible", async () => {
    const names = await withTenant(db.pools.app, { workspaceId: A }, async (c) =>
      (await c.query<{ name: string }>('SELECT name FROM plans ORDER BY name')).rows.map((r) => r.name),
    );
    expect(names).toEqual(['a1', 'a2']);
    const workspaces = await withTenant(db.pools.app, { workspaceId: A }, async (c) =>
      (await c.query<{ id: string }>('SELECT id FROM workspaces')).rows.map((r) => r.id),
    );
    expect(workspaces).toEqual([A]);
  });

  it("a write into B's workspace from A fails and leaves nothing behind", async () => {
    await expect(
      withTenant(db.pools.app, { workspaceId: A }, (c) =>
        c.query('INSERT INTO plans (workspace_id, name) VALUES ($1, $2)', [B, 'sneaky']),
      ),
    ).rejects.toThrow(/row-level security/);
    // Updates and deletes aimed at B's rows simply match nothing.
    const touched = await withTenant(db.pools.app, { workspaceId: A }, async (c) => {
      const u = await c.query("UPDATE plans SET name = 'hijacked' WHERE workspace_id = $1", [B]);
      const d = await c.query('DELETE FROM plans WHERE workspace_id = $1', [B]);
      return (u.rowCount ?? 0) + (d.rowCount ?? 0);
    });
    expect(touched).toBe(0);
    const bNames = await withTenant(db.pools.app, { workspaceId: B }, async (c) =>
      (await c.query<{ name: string }>('SELECT name FROM plans')).rows.map((r) => r.name),
    );
    expect(bNames).toEqual(['b1']);
  });

  it('moving a row of A into B is refused', async () => {
    await expect(
      withTenant(db.pools.app, { workspaceId: A }, (c) => c.query('UPDATE plans SET workspace_id = $1', [B])),
    ).rejects.toThrow(/row-level security|violates/);
  });

  it('a failed request rolls back everything it wrote', async () => {
    await expect(
      withTenant(db.pools.app, { workspaceId: A }, async (c) => {
        await c.query('INSERT INTO plans (workspace_id, name) VALUES ($1, $2)', [A, 'half-written']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const found = await withTenant(
      db.pools.app,
      { workspaceId: A },
      async (c) => (await c.query("SELECT 1 FROM plans WHERE name = 'half-written'")).rowCount,
    );
    expect(found).toBe(0);
  });

  it('1,000 interleaved requests of A and B on a 2-connection pool never see each other', async () => {
    const small = createPools({ ownerUrl: db.ownerUrl, max: 2 });
    try {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const ws = i % 2 === 0 ? A : B;
          return withTenant(small.app, { workspaceId: ws }, async (c) => {
            const { rows } = await c.query<{ workspace_id: string }>('SELECT workspace_id FROM plans');
            return { ws, seen: rows.map((r) => r.workspace_id) };
          });
        }),
      );
      for (const { ws, seen } of results) {
        expect(seen.length).toBe(ws === A ? 2 : 1);
        expect(seen.every((id) => id === ws)).toBe(true);
      }
      // And the setting never leaks onto the pooled connection after the transaction.
      const { rows } = await small.app.query<{ ws: string | null }>(
        "SELECT current_setting('weft.workspace_id', true) AS ws",
      );
      expect(rows[0]?.ws ?? '').toBe('');
    } finally {
      await small.close();
    }
  });

  it('a user can list their own memberships across workspaces, and only theirs', async () => {
    const user = randomUUID();
    const other = randomUUID();
    await withTenant(db.pools.owner, {}, async (c) => {
      await c.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x'), ($3, $4, 'x')", [
        user,
        `${user}@example.com`,
        other,
        `${other}@example.com`,
      ]);
    });
    for (const [ws, uid] of [
      [A, user],
      [B, user],
      [B, other],
    ] as const) {
      await withTenant(db.pools.app, { workspaceId: ws }, (c) =>
        c.query("INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, 'MEMBER')", [ws, uid]),
      );
    }
    const mine = await withTenant(
      db.pools.app,
      { userId: user },
      async (c) =>
        (await c.query<{ workspace_id: string; user_id: string }>('SELECT workspace_id, user_id FROM memberships'))
          .rows,
    );
    expect(mine.map((m) => m.workspace_id).sort()).toEqual([A, B].sort());
    expect(mine.every((m) => m.user_id === user)).toBe(true);
    const visibleWorkspaces = await withTenant(
      db.pools.app,
      { userId: user },
      async (c) => (await c.query('SELECT id FROM workspaces')).rowCount,
    );
    expect(visibleWorkspaces).toBe(2);
  });
});
