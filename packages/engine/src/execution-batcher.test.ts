// How transitions are grouped into transactions (execution-batcher.ts), on a real database: what
// is submitted together shares one transaction, and what a commit's own callers submit again right
// away joins the requests that queued meanwhile instead of waiting a transaction more.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionBatcher } from './execution-batcher.ts';
import type { Runtime } from './runtime.ts';

let db: TestDatabase;
let rt: Runtime;
const workspaceId = randomUUID();

beforeAll(async () => {
  db = await createTestDatabase();
  // The batcher reads only the pool it opens transactions on and the publisher (none here).
  rt = { pools: db.pools } as unknown as Runtime;
});
afterAll(async () => {
  await db.drop();
});

/** A batcher whose transaction records its items and stays open `holdMs` (in the database). */
function recordingBatcher(holdMs: number) {
  const batches: string[][] = [];
  const batcher = new ExecutionBatcher<string, string>(
    async (_rt, client, _key, items, opened) => {
      batches.push(items);
      // The opening statement ran in the transaction's first round trip, with the workspace set.
      expect(opened).toEqual([{ ws: workspaceId }]);
      await client.query('SELECT pg_sleep($1::float8 / 1000)', [holdMs]);
      return items.map((item) => `${item} done`);
    },
    () => ({ text: "SELECT current_setting('weft.workspace_id') AS ws", values: [] }),
  );
  return { batches, submit: (item: string) => batcher.submit(rt, workspaceId, 'k', item) };
}

describe('ExecutionBatcher', () => {
  it('runs requests submitted together in one transaction, each getting its own result', async () => {
    const { batches, submit } = recordingBatcher(0);
    const results = await Promise.all(['a', 'b', 'c'].map(submit));
    expect(results).toEqual(['a done', 'b done', 'c done']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('puts what a commit releases and resubmits at once in the next transaction with what queued meanwhile', async () => {
    const { batches, submit } = recordingBatcher(100);
    // `a` is one worker slot: when its transaction commits it submits its next step straight away.
    const slot = submit('a').then(() => submit('a2'));
    // `b` arrives while `a`'s transaction is open.
    await new Promise((r) => setTimeout(r, 30));
    const other = submit('b');
    await Promise.all([slot, other]);
    expect(batches).toEqual([['a'], ['b', 'a2']]);
  });

  it('fails every request of a batch whose transaction fails, and goes on with the next', async () => {
    const batches: string[][] = [];
    const batcher = new ExecutionBatcher<string, string>(
      async (_rt, client, _key, items) => {
        batches.push(items);
        if (items.includes('bad')) await client.query('SELECT 1 / 0');
        return items;
      },
      () => ({ text: 'SELECT 1', values: [] }),
    );
    const first = Promise.allSettled(['x', 'bad'].map((i) => batcher.submit(rt, workspaceId, 'k', i)));
    const settled = await first;
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(await batcher.submit(rt, workspaceId, 'k', 'y')).toBe('y');
    expect(batches).toEqual([['x', 'bad'], ['y']]);
  });
});
