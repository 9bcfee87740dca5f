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

function engine(): Engine {
  const e = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 10, pollIntervalMs: 100 });
  e.registerProvider(slowItems);
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
