import { createPools, type Pools } from '@weft/db';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
let pools: Pools;

beforeAll(async () => {
  db = await createTestDatabase();
  pools = createPools({ ownerUrl: db.ownerUrl, max: 2 });
});
afterAll(async () => {
  await pools?.close();
  await db?.drop();
});

async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: db.ownerUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

describe('connection pools', () => {
  // A server whose database restarts mid-transaction must keep serving: the connection's error
  // arrives while the client is checked out, between two of its queries. Unhandled, Node throws it
  // and the process dies (vitest reports it as an unhandled error and fails this file).
  for (const which of ['app', 'owner'] as const) {
    it(`a ${which} client losing its connection while checked out fails its next query, and the pool recovers`, async () => {
      const pool = pools[which];
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      await terminate(rows[0]?.pid ?? -1);
      await ended;
      await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminated/i);
      client.release();
      const again = await pool.query<{ ok: number }>('SELECT 1 AS ok');
      expect(again.rows[0]?.ok).toBe(1);
    });
  }
});
