import { withTenant } from '@weft/db';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { ExecutionStatusChange } from './engine-api.ts';
import { IDLE_REREAD_MS } from './execution-tail.ts';
import { Channel } from './store.ts';
import type { ExecutionEvent, PlanSpec } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let wsA: { workspaceId: string; userId: string };
let wsB: { workspaceId: string; userId: string };

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 12 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 8, pollIntervalMs: 200 });
  await engine.startWorkers(1);
  wsA = await createWorkspace(db.pools);
  wsB = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

async function start(ws: { workspaceId: string; userId: string }, spec: PlanSpec): Promise<string> {
  const planVersionId = await createPlanVersion(db.pools, ws.workspaceId, spec);
  const { executionId } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
    engine.startExecution(c, ws.workspaceId, { planVersionId, actor: { userId: ws.userId, role: 'ADMIN' } }),
  );
  return executionId;
}

const TERMINAL = ['execution.succeeded', 'execution.failed', 'execution.cancelled', 'execution.rolled_back'];

/** Reads a subscription until its terminal event (or the timeout), then closes it. */
async function collect(
  workspaceId: string,
  executionId: string,
  afterSeq: number,
  timeoutMs = 30_000,
): Promise<ExecutionEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const seen: ExecutionEvent[] = [];
  try {
    for await (const event of engine.subscribe(workspaceId, executionId, afterSeq, controller.signal)) {
      seen.push(event);
      if (TERMINAL.includes(event.type)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}

/** Reads a subscription until an event of `type` (or the timeout), then closes it. */
async function until(workspaceId: string, executionId: string, type: string, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const seen: ExecutionEvent[] = [];
  try {
    for await (const event of engine.subscribe(workspaceId, executionId, 0, controller.signal)) {
      seen.push(event);
      if (event.type === type) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}

/** A run held at an approval gate (nothing else happens in it) and its last seq. */
async function heldRun(): Promise<{ id: string; lastSeq: number }> {
  const id = await start(wsA, { steps: [{ id: 'gate', type: 'approval', message: 'hold' }] });
  for (;;) {
    const { rows } = await withTenant(db.pools.app, { workspaceId: wsA.workspaceId }, (c) =>
      c.query<{ status: string; last_seq: number }>('SELECT status, last_seq FROM executions WHERE id = $1', [id]),
    );
    if (rows[0]?.status === 'WAITING_APPROVAL') return { id, lastSeq: rows[0].last_seq };
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Appends events the way the engine does, without announcing them. */
async function appendSilently(executionId: string, types: string[]): Promise<number[]> {
  return withTenant(db.pools.app, { workspaceId: wsA.workspaceId }, async (c) => {
    const { rows } = await c.query<{ last_seq: number }>(
      'UPDATE executions SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq',
      [executionId, types.length],
    );
    const last = rows[0]?.last_seq ?? 0;
    const seqs = types.map((_, i) => last - types.length + 1 + i);
    for (const [i, type] of types.entries()) {
      await c.query(
        'INSERT INTO execution_events (workspace_id, execution_id, seq, type, data) VALUES ($1, $2, $3, $4, $5)',
        [wsA.workspaceId, executionId, seqs[i], type, JSON.stringify({ n: i })],
      );
    }
    return seqs;
  });
}

const chain = (n: number): PlanSpec => ({
  concurrency: 3,
  steps: Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    tool: 'core.sleep',
    input: { ms: 5 },
    ...(i >= 3 ? { after: [`s${i - 3}`] } : {}),
  })),
});

describe('event subscriptions', () => {
  it('replays then tails live with no gap and no duplicate at the seam', async () => {
    const id = await start(wsA, chain(12));
    // Subscribers join at different moments: before, during and after the run.
    const early = collect(wsA.workspaceId, id, 0);
    await new Promise((r) => setTimeout(r, 60));
    const middle = collect(wsA.workspaceId, id, 2);
    const done = await waitForExecution(db.pools, wsA.workspaceId, id);
    const late = await collect(wsA.workspaceId, id, 5);
    const total = done.events.length;
    expect((await early).map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect((await middle).map((e) => e.seq)).toEqual(Array.from({ length: total - 2 }, (_, i) => i + 3));
    expect(late.map((e) => e.seq)).toEqual(Array.from({ length: total - 5 }, (_, i) => i + 6));
    expect((await early).map((e) => e.type)).toEqual(done.events.map((e) => e.type));
  });

  it('200 interleaved clients of two workspaces each get exactly their own execution’s events', async () => {
    const a = await start(wsA, chain(15));
    const b = await start(wsB, chain(15));
    const clients = Array.from({ length: 200 }, (_, i) => {
      const ws = i % 2 === 0 ? wsA : wsB;
      const exec = i % 2 === 0 ? a : b;
      return { ws, exec, after: i % 7, done: collect(ws.workspaceId, exec, i % 7) };
    });
    const [doneA, doneB] = await Promise.all([
      waitForExecution(db.pools, wsA.workspaceId, a),
      waitForExecution(db.pools, wsB.workspaceId, b),
    ]);
    for (const client of clients) {
      const events = await client.done;
      const expected = (client.exec === a ? doneA : doneB).events.filter((e) => e.seq > client.after);
      expect(events.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
      expect(events.every((e) => e.executionId === client.exec && e.workspaceId === client.ws.workspaceId)).toBe(true);
    }
  }, 60_000);

  it('an event too large to announce with its data arrives complete', async () => {
    const text = 'x'.repeat(20_000);
    const id = await start(wsA, { steps: [{ id: 'big', tool: 'core.echo', input: { text } }] });
    const events = await collect(wsA.workspaceId, id, 0);
    const done = await waitForExecution(db.pools, wsA.workspaceId, id);
    expect(events.map((e) => e.seq)).toEqual(done.events.map((e) => e.seq));
    const succeeded = events.find((e) => e.type === 'step.succeeded');
    expect(JSON.stringify(succeeded?.data)).toContain(text);
  });

  it('an announcement that never comes is made up by re-reading once the stream is quiet', async () => {
    const { id, lastSeq } = await heldRun();
    const watchers = Array.from({ length: 20 }, () =>
      until(wsA.workspaceId, id, 'test.unannounced', IDLE_REREAD_MS * 3),
    );
    // Every watcher is past the replay before the silent commit (a worker dying after commit).
    await new Promise((r) => setTimeout(r, 200));
    const [seq] = await appendSilently(id, ['test.unannounced']);
    for (const seen of await Promise.all(watchers)) {
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq + 1 }, (_, i) => i + 1));
      expect(seen.at(-1)).toMatchObject({ seq, type: 'test.unannounced', data: { n: 0 } });
    }
  });

  it('announcements arriving out of order reach every subscriber in order, once each', async () => {
    const { id, lastSeq } = await heldRun();
    const watchers = Array.from({ length: 20 }, () => until(wsA.workspaceId, id, 'test.second', 10_000));
    await new Promise((r) => setTimeout(r, 200));
    const [first, second] = await appendSilently(id, ['test.first', 'test.second']);
    const payload = (seq: number | undefined, type: string, n: number) =>
      JSON.stringify({ w: wsA.workspaceId, e: id, seq, t: type, s: null, at: new Date(), d: { n } });
    // The later commit's announcement arrives first; the earlier one only after a while.
    await db.pools.app.query('SELECT pg_notify($1, $2)', [Channel.events, payload(second, 'test.second', 1)]);
    const seen = await Promise.all(watchers);
    await db.pools.app.query('SELECT pg_notify($1, $2)', [Channel.events, payload(first, 'test.first', 0)]);
    for (const events of seen) {
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq + 2 }, (_, i) => i + 1));
      expect(events.slice(-2).map((e) => e.type)).toEqual(['test.first', 'test.second']);
    }
    // A subscriber joining now replays the same, from memory or the database alike.
    const late = await until(wsA.workspaceId, id, 'test.second', 5000);
    expect(late.map((e) => e.seq)).toEqual(seen[0]?.map((e) => e.seq));
  });

  it('another workspace subscribing to an execution sees nothing', async () => {
    const id = await start(wsA, chain(2));
    await waitForExecution(db.pools, wsA.workspaceId, id);
    expect(await collect(wsB.workspaceId, id, 0, 500)).toEqual([]);
  });

  it('streams a workspace’s status changes', async () => {
    const controller = new AbortController();
    const changes: ExecutionStatusChange[] = [];
    const reading = (async () => {
      for await (const change of engine.subscribeWorkspace(wsB.workspaceId, controller.signal)) {
        changes.push(change);
        if (change.status === 'SUCCEEDED') break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const otherWorkspace = await start(wsA, chain(1));
    const id = await start(wsB, chain(2));
    await reading;
    controller.abort();
    expect(changes.map((c) => c.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(changes.every((c) => c.executionId === id && c.executionId !== otherWorkspace)).toBe(true);
  });
});
