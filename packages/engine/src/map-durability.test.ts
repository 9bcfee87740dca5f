import { randomUUID } from 'node:crypto';
import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { ToolProvider } from './types.ts';

// A map whose workers stop mid-way: another engine finishes it, and no completed item runs again.

let db: TestDatabase;
const engines: Engine[] = [];
const calls = new Map<number, number>();
/** Why each call of the hanging tool's item 0 ended, in call order. */
const hangEnds: string[] = [];

const slowItems: ToolProvider = {
  name: 'test',
  async listTools() {
    return [
      {
        name: 'test.slow',
        version: '1.0.0',
        description: 'counts its calls per item, then takes a while',
        inputSchema: { type: 'object' },
        async run(input, ctx) {
          const n = (input as { n: number }).n;
          calls.set(n, (calls.get(n) ?? 0) + 1);
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, 150);
            ctx.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(ctx.signal.reason);
            });
          });
          return { n };
        },
      },
    ];
  },
};

const hangsOnce: ToolProvider = {
  name: 'test-hang',
  async listTools() {
    return [
      {
        name: 'test-hang.first',
        version: '1.0.0',
        description: "item 0's first call hangs until it is aborted, as on a worker that died",
        inputSchema: { type: 'object' },
        async run(input, ctx) {
          const n = (input as { n: number }).n;
          if (n === 0 && hangEnds.length === 0) {
            hangEnds.push('running');
            await new Promise<never>((_, reject) => {
              ctx.signal.addEventListener('abort', () => {
                hangEnds[0] = `aborted: ${(ctx.signal.reason as Error).message}`;
                reject(ctx.signal.reason);
              });
            });
          }
          if (n === 0) hangEnds.push('returned');
          return { n };
        },
      },
    ];
  },
};

function engine(): Engine {
  const e = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 10, pollIntervalMs: 100 });
  e.registerProvider(slowItems);
  e.registerProvider(hangsOnce);
  engines.push(e);
  return e;
}

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 12 });
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await db?.drop();
});

it('a map survives its workers stopping: the rest runs elsewhere, finished items are not re-run', async () => {
  const ws = await createWorkspace(db.pools);
  const first = engine();
  await first.startWorkers(1);
  const items = Array.from({ length: 20 }, (_, n) => ({ n }));
  const id = await startRun(
    db.pools,
    first,
    ws,
    {
      name: `map-${randomUUID().slice(0, 8)}`,
      steps: [
        {
          id: 'each',
          type: 'map',
          over: '{{ input.items }}',
          tool: 'test.slow',
          input: { n: '{{ item.n }}' },
          concurrency: 4,
        },
      ],
    },
    { input: { items } },
  );
  const doneBeforeStop = await eventually(async () => {
    const run = await readExecution(db.pools, ws.workspaceId, id);
    const finished = run.events.filter((e) => e.type === 'map.item_finished');
    return finished.length >= 6 ? finished : undefined;
  });
  await first.stop();
  const stoppedAt = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (client) => {
    const { rows } = await client.query<{ idx: number }>(
      `SELECT idx FROM map_items WHERE execution_id = $1 AND status = 'SUCCEEDED' ORDER BY idx`,
      [id],
    );
    return rows.map((r) => r.idx);
  });
  expect(stoppedAt.length).toBeGreaterThanOrEqual(doneBeforeStop.length);
  expect(stoppedAt.length).toBeLessThan(20);

  await engine().startWorkers(1);
  const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 25_000);
  expect(done.status).toBe('SUCCEEDED');
  expect(done.steps.each?.output).toEqual(items);
  for (const idx of stoppedAt) expect(calls.get(idx)).toBe(1);
  for (const { n } of items) expect(calls.get(n) ?? 0).toBeGreaterThanOrEqual(1);
}, 40_000);

it('an item whose lease expires runs again under a new fence; the old call is aborted and its result ignored', async () => {
  const ws = await createWorkspace(db.pools);
  const e = engine();
  await e.startWorkers(1);
  const items = Array.from({ length: 4 }, (_, n) => ({ n }));
  const id = await startRun(
    db.pools,
    e,
    ws,
    {
      name: `map-lease-${randomUUID().slice(0, 8)}`,
      steps: [
        {
          id: 'each',
          type: 'map',
          over: '{{ input.items }}',
          tool: 'test-hang.first',
          input: { n: '{{ item.n }}' },
          concurrency: 2,
        },
      ],
    },
    { input: { items } },
  );
  const lostEvents = async () =>
    (await readExecution(db.pools, ws.workspaceId, id)).events.filter((ev) => ev.type === 'map.item_lost');
  // As if item 0's worker had died: its lease runs out (a heartbeat may renew it in between, so
  // until a sweep has recovered it) and a sweep re-dispatches the item.
  await eventually(async () => {
    await db.pools.owner.query(
      `UPDATE step_leases SET expires_at = clock_timestamp() - interval '1 second'
        WHERE execution_id = $1 AND step_id = 'each[0]' AND kind = 'item' AND worker_id <> 'queue'`,
      [id],
    );
    await e.sweepLeases();
    return (await lostEvents()).length > 0 ? true : undefined;
  });
  const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 20_000);
  expect(done.status).toBe('SUCCEEDED');
  expect(done.steps.each?.output).toEqual(items);
  const lost = done.events.filter((ev) => ev.type === 'map.item_lost');
  // (the previous test's engine still works here too, so the item ran on one of them)
  expect(lost.map((ev) => ev.data)).toEqual([{ index: 0, attempt: 1, worker: expect.any(String) }]);
  const lostBy = (lost[0]?.data as { worker: string } | undefined)?.worker;
  expect(engines.map((x) => x.workerId)).toContain(lostBy);
  // The first call learnt from its heartbeat that the lease was gone and stopped; the second ran.
  await eventually(async () => (hangEnds[0]?.startsWith('aborted') ? true : undefined));
  expect(hangEnds).toEqual(['aborted: lease lost: another worker owns this item now', 'returned']);
  const rows = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (client) => {
    const { rows } = await client.query<{ idx: number; attempts: number; fence: number }>(
      'SELECT idx, attempts, fence FROM map_items WHERE execution_id = $1 ORDER BY idx',
      [id],
    );
    return rows;
  });
  // A lost attempt does not count against the item; its fence moved on once.
  expect(rows.map((r) => [r.idx, r.attempts, r.fence])).toEqual([
    [0, 1, 2],
    [1, 1, 1],
    [2, 1, 1],
    [3, 1, 1],
  ]);
  // Every lease of the run is gone with its end.
  const { rows: leases } = await db.pools.owner.query('SELECT 1 FROM step_leases WHERE execution_id = $1', [id]);
  expect(leases).toHaveLength(0);
}, 30_000);
