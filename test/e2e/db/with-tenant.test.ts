import { createPools, type Notification, type Pools, withTenant } from '@weft/db';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let db: TestDatabase;
let pools: Pools;

beforeAll(async () => {
  db = await createTestDatabase();
  pools = createPools({ ownerUrl: db.ownerUrl, max: 4 });
  await pools.owner.query('CREATE TABLE tx_probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, txid bigint)');
});
afterAll(async () => {
  await pools?.close();
  await db?.drop();
});
beforeEach(async () => {
  await pools.owner.query('TRUNCATE tx_probe');
  await pools.owner.query('INSERT INTO tx_probe (id) VALUES (1), (2)');
});

async function rows(): Promise<Array<{ id: number; n: number; txid: string | null }>> {
  return (await pools.owner.query('SELECT id, n, txid FROM tx_probe ORDER BY id')).rows;
}

/** A listener on its own connection, to see which notifications were sent and when. */
async function listen(channel: string): Promise<{ got: string[]; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  const got: string[] = [];
  client.on('notification', (n) => got.push(n.payload ?? ''));
  await client.query(`LISTEN ${channel}`);
  return { got, close: () => client.end() };
}

/**
 * Two transactions that lock rows 1 and 2 in opposite orders, each waiting until the other holds
 * its first row: PostgreSQL must break the deadlock by failing one of them (40P01).
 */
function crossedLocks(retries: number) {
  let attempts = 0;
  const firstLocked: Array<() => void> = [];
  const bothLocked = Promise.all([0, 1].map((i) => new Promise<void>((resolve) => (firstLocked[i] = resolve))));
  const run = (i: number, first: number, second: number) =>
    withTenant(
      pools.owner,
      {},
      async (client) => {
        attempts++;
        await client.query('UPDATE tx_probe SET n = n + 1 WHERE id = $1', [first]);
        firstLocked[i]?.();
        await bothLocked;
        await client.query('UPDATE tx_probe SET n = n + 1 WHERE id = $1', [second]);
      },
      { retries },
    );
  return { done: Promise.allSettled([run(0, 1, 2), run(1, 2, 1)]), attempts: () => attempts };
}

describe('withTenant (one tenant transaction for the API and the engine)', () => {
  it('runs the work again after a deadlock when asked to, and only then', async () => {
    const retried = crossedLocks(2);
    const settled = await retried.done;
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(retried.attempts()).toBe(3);
    // Both transactions committed once: the victim's first attempt was rolled back entirely.
    expect((await rows()).map((r) => r.n)).toEqual([2, 2]);

    const plain = crossedLocks(0);
    const results = await plain.done;
    const failed = results.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toMatchObject({ code: '40P01' });
    expect(plain.attempts()).toBe(2);
  });

  it('sends held statements inside the transaction before COMMIT, and runs callbacks after it', async () => {
    const listener = await listen('tx_probe');
    const seenByCallback: Array<Promise<number>> = [];
    try {
      const txid = await withTenant(pools.owner, {}, async (client, tx) => {
        tx.beforeCommit({ text: 'UPDATE tx_probe SET n = 7, txid = txid_current() WHERE id = $1', values: [1] });
        tx.notify({ channel: 'tx_probe', payload: 'committed' });
        tx.afterCommit(() => {
          // Another connection already sees the held statement's row: the transaction committed.
          seenByCallback.push(pools.owner.query('SELECT n FROM tx_probe WHERE id = 1').then((r) => r.rows[0].n));
        });
        // Not yet sent: the row is still unchanged inside the transaction.
        expect((await client.query('SELECT n FROM tx_probe WHERE id = 1')).rows[0].n).toBe(0);
        return String((await client.query('SELECT txid_current() AS t')).rows[0].t);
      });
      expect(seenByCallback).toHaveLength(1);
      expect(await seenByCallback[0]).toBe(7);
      expect(String((await rows())[0]?.txid)).toBe(txid);
      await expect.poll(() => listener.got).toEqual(['committed']);
    } finally {
      await listener.close();
    }
  });

  it('hands notifications to `publish` after the commit instead, when given', async () => {
    const published: Notification[][] = [];
    await withTenant(
      pools.owner,
      {},
      async (_client, tx) => {
        tx.notify({ channel: 'a', payload: '1' }, { channel: 'b', payload: '2' });
        expect(published).toEqual([]);
      },
      { publish: async (items) => void published.push(items) },
    );
    expect(published).toEqual([
      [
        { channel: 'a', payload: '1' },
        { channel: 'b', payload: '2' },
      ],
    ]);
  });

  it('runs neither held statements nor callbacks nor notifications when the work fails', async () => {
    const listener = await listen('tx_probe');
    const published: Notification[][] = [];
    let called = false;
    try {
      for (const publish of [undefined, async (items: Notification[]) => void published.push(items)]) {
        const failing = withTenant(
          pools.owner,
          {},
          async (client, tx) => {
            await client.query('UPDATE tx_probe SET n = 1 WHERE id = 2');
            tx.beforeCommit({ text: 'UPDATE tx_probe SET n = 9 WHERE id = $1', values: [1] });
            tx.notify({ channel: 'tx_probe', payload: 'rolled back' });
            tx.afterCommit(() => {
              called = true;
            });
            throw new Error('work failed');
          },
          publish === undefined ? {} : { publish },
        );
        await expect(failing).rejects.toThrow('work failed');
      }
      // A held statement that fails rolls the transaction back too, and nothing after it runs.
      const refused = withTenant(pools.owner, {}, async (client, tx) => {
        await client.query('UPDATE tx_probe SET n = 1 WHERE id = 2');
        tx.beforeCommit({ text: 'UPDATE tx_probe SET n = 1 / $1::int WHERE id = 1', values: [0] });
        tx.notify({ channel: 'tx_probe', payload: 'refused' });
        tx.afterCommit(() => {
          called = true;
        });
      });
      await expect(refused).rejects.toMatchObject({ code: '22012' });
      // A marker sent after the failures: once it arrives, nothing else was on its way.
      await pools.owner.query("SELECT pg_notify('tx_probe', 'marker')");
      await expect.poll(() => listener.got).toEqual(['marker']);
      expect(called).toBe(false);
      expect(published).toEqual([]);
      expect((await rows()).map((r) => r.n)).toEqual([0, 0]);
    } finally {
      await listener.close();
    }
  });
});
