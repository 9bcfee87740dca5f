import {
  createTestDatabase,
  type ServerProcess,
  signUpUser,
  startServerProcess,
  startWorkerProcess,
  TEST_SECRET_KEY,
  TestClient,
  type TestDatabase,
  type WorkerProcess,
} from '@weft/test-utils';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHookedPlan, startHookedRun } from './graphql/hooked-run.ts';

// Stateless API nodes: two API processes without workers and one worker process share one
// database (and Redis). A run started through API #2 is streamed, whole and in order, to a client
// subscribed through API #1 — events travel from the worker through the database's fan-out.

const SPEC = {
  name: 'spread',
  steps: [
    { id: 'first', tool: 'core.echo', input: { n: '{{ input.n }}' } },
    // Long enough that the end of the run reaches the subscriber live, not from the replay.
    { id: 'pause', tool: 'core.sleep', input: { ms: 1500 }, after: ['first'] },
    { id: 'last', tool: 'core.echo', input: { done: true }, after: ['pause'] },
  ],
};

interface Event {
  seq: number;
  type: string;
  stepId: string | null;
  at: string;
}

let db: TestDatabase;
let api1: ServerProcess;
let api2: ServerProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, REDIS_URL: 'redis://127.0.0.1:6379' };
  [api1, api2] = await Promise.all([
    startServerProcess({ env: { ...env, WORKERS: '0' } }),
    startServerProcess({ env: { ...env, WORKERS: '0' } }),
  ]);
  worker = await startWorkerProcess({ env: { ...env, WORKERS: '1' } });
}, 120_000);

afterAll(async () => {
  await Promise.all([worker?.stop(), api1?.stop(), api2?.stop()]);
  await db?.drop();
});

it('a subscriber on API #1 receives every event of a run started through API #2', async () => {
  const admin = await signUpUser(new TestClient(api1.url), 'scale');
  const hook = await createHookedPlan(admin, 'scale', SPEC);
  const executionId = await startHookedRun(api2.url, hook, { n: 7 });

  const client = createClient({
    url: `${api1.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${admin.token}` },
  });
  const events: Event[] = [];
  let subscribedAt = 0;
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe<{ executionEvents: Event }>(
      {
        query: 'subscription($id: ID!) { executionEvents(executionId: $id) { seq type stepId at } }',
        variables: { id: executionId },
      },
      {
        next: (message) => {
          if (message.errors !== undefined) reject(new Error(JSON.stringify(message.errors)));
          const event = message.data?.executionEvents;
          if (event === undefined) return;
          if (events.length === 0) subscribedAt = Date.now();
          events.push(event);
          if (event.type.startsWith('execution.') && event.type !== 'execution.started') resolve();
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(),
      },
    );
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no terminal event in 30 s: ${JSON.stringify(events)}`)), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  await client.dispose();

  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.at(-1)?.type).toBe('execution.succeeded');
  expect(events.map((e) => `${e.type}${e.stepId ? ` ${e.stepId}` : ''}`)).toEqual([
    'execution.started',
    'step.started first',
    'step.succeeded first',
    'step.started pause',
    'step.succeeded pause',
    'step.started last',
    'step.succeeded last',
    'execution.succeeded',
  ]);
  // The end of the run happened after the subscriber was there: it came live, across processes.
  expect(Date.parse(events.at(-1)?.at ?? '')).toBeGreaterThan(subscribedAt);
});
