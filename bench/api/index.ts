/**
 * API benchmark, everything on 127.0.0.1 over a fresh test database:
 * 1. throughput of an authenticated simple query (`{ viewer { id } }`, bearer token) from N
 *    concurrent keep-alive HTTP clients for a fixed time, through the real API process vs a bare
 *    graphql-yoga process doing the same resolver work (bench/api/bare-server.ts), in rotating
 *    rounds of the same run. Goal: Weft ≥ 80 % of bare yoga configured as Weft configures it;
 *    a second bare server with yoga's defaults is measured too.
 * 2. event latency to 1,000 graphql-ws subscribers (one connection each) of one execution run by a
 *    separate worker process: from the event's `at` (written in the database) to its receipt.
 *    Goal: p99 ≤ 50 ms. Two scenarios: steps of 100 ms (the latency users see while a run works)
 *    and no-op steps (events as fast as the engine makes them: whether the fan-out keeps up; goal
 *    p99 ≤ 1.0× bare graphql-ws). Each is measured in EVENT_ROUNDS rounds, each paired with its own
 *    bare round; the ratios are the medians of the per-round ratios.
 * 3. memory: the RSS of a fresh API process, idle, then with 10,000 open subscriptions
 *    (MEMORY_SOCKETS graphql-ws connections × MEMORY_PER_SOCKET subscriptions of one execution's
 *    events): MB per subscription.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { signWebhook } from '@weft/api';
import { withTenant } from '@weft/db';
import { Channel, createEngine } from '@weft/engine';
import {
  createTestDatabase,
  REPO_ROOT,
  signUpUser,
  startServerProcess,
  startWorkerProcess,
  TEST_SECRET_KEY,
  TestClient,
} from '@weft/test-utils';
import { gql } from 'graphql-tag';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

const CONCURRENCY = 32;
const ROUND_MS = 3_000;
const WARMUP_MS = 1_000;
const ROUNDS = 4;
// BENCH_API_SUBSCRIBERS=<n> changes the fan-out (to see how latency grows with it).
const SUBSCRIBERS = Number(process.env.BENCH_API_SUBSCRIBERS ?? 1_000);
const EVENT_STEPS = 10;
/** Paired rounds (Weft, then bare) per latency scenario; BENCH_API_EVENT_ROUNDS changes it. */
const EVENT_ROUNDS = Number(process.env.BENCH_API_EVENT_ROUNDS ?? 3);
/** The memory measurement: 100 connections × 100 subscriptions = 10,000 open subscriptions. */
const MEMORY_SOCKETS = 100;
const MEMORY_PER_SOCKET = 100;
/** How long each step of the paced latency scenario takes. */
const PACED_STEP_MS = 100;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Resident memory of a process (bytes), from Linux /proc. */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) * 1024;
}

/** Write system calls (write, writev, …) a process has made so far, from Linux /proc. */
function writesOf(pid: number): number {
  return Number(/^syscw: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
}

/**
 * CPU time (user + system, ms) a process has used so far, from Linux /proc; with `mainThread`,
 * only its JavaScript thread's (without the garbage collector's and libuv's helper threads, which
 * run beside it on the other core).
 */
function cpuMsOf(pid: number, mainThread = false): number {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, 100 ticks/s
}

interface Round {
  /** Requests per second. */
  rate: number;
  /** The server's CPU per request (µs): steadier than the rate when the shared machine is loaded. */
  cpuUs: number;
}

/**
 * `{ viewer { id } }` from CONCURRENCY keep-alive clients for `ms` against the server process
 * `pid`: its rate and its CPU per request.
 */
async function throughput(url: string, token: string, ms: number, pid: number): Promise<Round> {
  const cpuBefore = cpuMsOf(pid);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({ query: '{ viewer { id } }' });
  const target = new URL('/graphql', url);
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200 || !text.includes('"viewer":{"id"')) reject(new Error(`bad answer: ${text}`));
            else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await post();
        done++;
      }
    }),
  );
  agent.destroy();
  return { rate: done / (ms / 1000), cpuUs: ((cpuMsOf(pid) - cpuBefore) * 1000) / Math.max(1, done) };
}

/** Has the bare server publish one event per offset (ms from now; equal offsets go out together). */
async function emit(url: string, body: { offsetsMs: number[]; kind: string }): Promise<void> {
  const res = await fetch(`${url}/emit`, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`emit answered ${res.status}`);
}

interface Fan {
  latencies: number[];
  /** Per event, its earliest receipt − `at`: the path to one subscriber, without the fan-out. */
  firstReceipts(): number[];
  /** The events whose first receipt came latest: `seq type first/last receipt`. */
  slowest(n: number): string[];
  connectMs: number;
  done: Promise<void>;
  allReady(): boolean;
  /** From now on, received events count. */
  go(): void;
  liveEvents(): number;
  /** Each live event's `at` after the first one's, in seq order: when they came. */
  offsetsMs(): number[];
  close(): Promise<void>;
}

/**
 * Opens SUBSCRIBERS graphql-ws connections (in batches of 100), each with one subscription. A
 * subscriber is ready at its first `isReady` event; after `go()`, every event received counts
 * (receipt time − `at`); `done` resolves when each has seen `isEnd` (or after 60 s).
 */
async function openSubscribers(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  isReady: (type: string) => boolean,
  isEnd: (type: string) => boolean,
  field: string,
  /** Whether opening waits for each subscriber's ready event (a replaying subscription). */
  replays: boolean,
): Promise<Fan> {
  const latencies: number[] = [];
  const clients: Client[] = [];
  let ready = 0;
  let finished = 0;
  let goAt = Number.POSITIVE_INFINITY;
  const seqs = new Map<number, number>();
  const firsts = new Map<number, number>();
  const lasts = new Map<number, number>();
  const types = new Map<number, string>();
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = performance.now();
  for (let batch = 0; batch < SUBSCRIBERS; batch += 100) {
    const opened = Array.from({ length: Math.min(100, SUBSCRIBERS - batch) }, () => {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      clients.push(client);
      let isIn = false;
      return new Promise<void>((resolve, reject) => {
        client.subscribe<Record<string, { seq: number; type: string; at: string }>>(
          { query, variables },
          {
            next: (message) => {
              const received = Date.now();
              const event = message.data?.[field];
              if (event === undefined) return reject(new Error(JSON.stringify(message.errors)));
              const at = Date.parse(event.at);
              // A readiness event arriving late (a ping the bare server sent before `go`) is not a live one.
              if (received >= goAt && !isReady(event.type)) {
                latencies.push(received - at);
                seqs.set(event.seq, at);
                firsts.set(event.seq, Math.min(firsts.get(event.seq) ?? Number.POSITIVE_INFINITY, received - at));
                lasts.set(event.seq, Math.max(lasts.get(event.seq) ?? 0, received - at));
                types.set(event.seq, event.type);
              }
              if (!isIn && isReady(event.type)) {
                isIn = true;
                ready++;
                resolve();
              }
              if (isEnd(event.type) && ++finished === SUBSCRIBERS) finish();
            },
            error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
            complete: () => {},
          },
        );
        // Without replay there is nothing to wait for yet: pings make them ready afterwards.
        if (!replays) resolve();
      });
    });
    await Promise.all(opened);
  }
  const connectMs = performance.now() - started;
  const timeout = setTimeout(() => finish(), 60_000);
  void done.then(() => clearTimeout(timeout));
  return {
    latencies,
    connectMs,
    done,
    allReady: () => ready === SUBSCRIBERS,
    go: () => {
      goAt = Date.now();
    },
    liveEvents: () => seqs.size,
    firstReceipts: () => [...firsts.values()],
    slowest: (n) =>
      [...firsts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([seq, first]) => `${seq} ${types.get(seq)} ${first}/${lasts.get(seq)} ms`),
    offsetsMs: () => {
      const ats = [...seqs].sort((a, b) => a[0] - b[0]).map(([, at]) => at);
      return ats.map((at) => at - (ats[0] ?? at));
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.dispose()));
    },
  };
}

interface Target {
  name: string;
  url: string;
  pid: number;
}

/**
 * Part 1: the query throughput of Weft against two bare yoga servers: one as Weft configures yoga
 * (the goal's comparison: what Weft's own work costs) and one with yoga's defaults (whose request
 * body limit pipes every body through a counting stream, which Weft replaces). Rounds alternate,
 * the order rotating each time, so load from elsewhere hits all alike; a ratio is the median of
 * the per-round ratios.
 */
async function queryThroughput(bare: Target, bareDefaults: Target, weft: Target, token: string): Promise<void> {
  const targets = [bare, bareDefaults, weft];
  for (const t of targets) await throughput(t.url, token, WARMUP_MS, t.pid);
  const rounds = new Map<Target, Round[]>(targets.map((t) => [t, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(round + i) % targets.length] as Target;
      rounds.get(t)?.push(await throughput(t.url, token, ROUND_MS, t.pid));
    }
  }
  const of = (t: Target) => rounds.get(t) ?? [];
  const median = (t: Target, key: keyof Round) =>
    percentile(
      of(t).map((r) => r[key]),
      50,
    );
  const ratioTo = (base: Target) =>
    percentile(
      of(weft).map((w, i) => w.rate / (of(base)[i]?.rate ?? Number.NaN)),
      50,
    );
  const line = (t: Target) =>
    `  ${t.name.padEnd(34)} ${median(t, 'rate').toFixed(0)} req/s (${of(t)
      .map((r) => r.rate.toFixed(0))
      .join(', ')}), CPU ${median(t, 'cpuUs').toFixed(0)} µs/request\n`;
  const ratio = ratioTo(bare);
  process.stdout.write(
    `query { viewer { id } }, ${CONCURRENCY} keep-alive clients, median of ${ROUNDS} rotating rounds × ${ROUND_MS / 1000} s:\n` +
      line(bare) +
      line(bareDefaults) +
      line(weft) +
      `  ratio Weft/bare (as Weft configures yoga) ${(ratio * 100).toFixed(1)} % (goal ≥ 80 %) ${ratio >= 0.8 ? 'OK' : 'BELOW GOAL'}; ` +
      `CPU per request bare/Weft ${((median(bare, 'cpuUs') / median(weft, 'cpuUs')) * 100).toFixed(1)} %\n` +
      `  ratio Weft/bare (yoga defaults)           ${(ratioTo(bareDefaults) * 100).toFixed(1)} %\n`,
  );
}

/**
 * Opens `sockets` graphql-ws connections carrying `perSocket` subscriptions each; resolves once
 * every subscription has received an event (its replay), with the clients.
 */
async function openMany(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  sockets: number,
  perSocket: number,
): Promise<Client[]> {
  const clients: Client[] = [];
  for (let batch = 0; batch < sockets; batch += 10) {
    const opened: Promise<void>[] = [];
    for (let i = batch; i < Math.min(sockets, batch + 10); i++) {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      clients.push(client);
      for (let j = 0; j < perSocket; j++) {
        opened.push(
          new Promise<void>((resolve, reject) => {
            let first = true;
            client.subscribe(
              { query, variables },
              {
                next: (message) => {
                  if (message.errors !== undefined) reject(new Error(JSON.stringify(message.errors)));
                  else if (first) {
                    first = false;
                    resolve();
                  }
                },
                error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
                complete: () => {},
              },
            );
          }),
        );
      }
    }
    await Promise.all(opened);
  }
  return clients;
}

/** The V8 heap in use of the API at `url`, from its own metrics (bytes). */
async function heapUsedOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** The medians of three samples of `pid`'s RSS and its heap in use, 500 ms apart (bytes). */
async function settledMemory(pid: number, url: string): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 500));
    rss.push(rssOf(pid));
    heap.push(await heapUsedOf(url));
  }
  return { rss: percentile(rss, 50), heap: percentile(heap, 50) };
}

/**
 * Part 3: the RSS of a fresh API process (nothing else served by it), idle after one warm-up
 * round of subscriptions (code loaded and compiled), then with MEMORY_SOCKETS × MEMORY_PER_SOCKET
 * subscriptions open on `executionId` (a run waiting at its gate: every subscription has replayed
 * its first events and stays open). The difference per subscription is what one costs.
 */
async function memoryPerSubscription(env: Record<string, string>, token: string, executionId: string): Promise<void> {
  const total = MEMORY_SOCKETS * MEMORY_PER_SOCKET;
  const server = await startServerProcess({
    env: {
      ...env,
      NODE_ENV: 'production',
      WORKERS: '0',
      RATE_LIMIT_PER_MINUTE: '1000000',
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(MEMORY_PER_SOCKET),
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: String(total),
    },
  });
  try {
    const pid = server.child.pid;
    if (pid === undefined) throw new Error('no server pid');
    const url = `${server.url.replace('http', 'ws')}/graphql`;
    const query = 'subscription($id: ID!) { executionEvents(executionId: $id) { seq type at } }';
    const warm = await openMany(url, token, query, { id: executionId }, 2, MEMORY_PER_SOCKET);
    await Promise.all(warm.map((c) => c.dispose()));
    const idle = await settledMemory(pid, server.url);
    const started = performance.now();
    const clients = await openMany(url, token, query, { id: executionId }, MEMORY_SOCKETS, MEMORY_PER_SOCKET);
    const openMs = performance.now() - started;
    const open = await settledMemory(pid, server.url);
    await Promise.all(clients.map((c) => c.dispose()));
    const mb = (bytes: number) => bytes / 1024 / 1024;
    const per = (open.rss - idle.rss) / total;
    const heapPer = (open.heap - idle.heap) / total;
    process.stdout.write(
      `API RSS with ${total.toLocaleString('en')} open subscriptions (${MEMORY_SOCKETS} graphql-ws connections × ${MEMORY_PER_SOCKET} subscriptions of one run's events; opened in ${(openMs / 1000).toFixed(1)} s):\n` +
        `  idle ${mb(idle.rss).toFixed(1)} MB, with the subscriptions ${mb(open.rss).toFixed(1)} MB: ` +
        `${mb(per).toFixed(4)} MB (${(per / 1024).toFixed(1)} KB) per subscription (goal: reported); ` +
        `V8 heap in use ${mb(idle.heap).toFixed(1)} → ${mb(open.heap).toFixed(1)} MB, ${(heapPer / 1024).toFixed(1)} KB per subscription\n`,
    );
  } finally {
    await server.stop();
  }
}

/** Starts bench/api/bare-server.ts; resolves with its URL once it listens. */
async function startBare(
  args: string[],
  env: Record<string, string>,
  profArgs: string[],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('node', [...profArgs, '--import', 'tsx', 'bench/api/bare-server.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const port = /ready (\d+)/.exec(line.toString())?.[1];
  if (port === undefined) throw new Error(`bare server did not start: ${line.toString()}`);
  return { url: `http://127.0.0.1:${port}`, child };
}

const db = await createTestDatabase({ poolMax: 4 });
const env = { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'warn' };
const stopAll: Array<() => Promise<unknown>> = [() => db.drop()];

try {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the API process there (to find where time goes).
  const profDir = process.env.BENCH_CPU_PROF;
  const profArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const api = await startServerProcess({
    // Served as deployed: production mode (no GraphiQL, like the bare server; no introspection).
    env: {
      ...env,
      NODE_ENV: 'production',
      WORKERS: '0',
      RATE_LIMIT_PER_MINUTE: '1000000',
      // One user holds every subscriber's subscription.
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: String(SUBSCRIBERS),
    },
    ...(profDir
      ? {
          command: ['node', '--no-node-snapshot', ...profArgs, '--import', 'tsx', 'apps/api/src/main.ts'],
        }
      : {}),
  });
  stopAll.push(() => api.stop());
  const bareServer = await startBare([db.ownerUrl], env, profArgs);
  const bare = bareServer.child;
  stopAll.push(async () => {
    if (bare.exitCode === null) bare.kill('SIGTERM');
  });
  const bareUrl = bareServer.url;
  const defaults = await startBare([db.ownerUrl, 'yoga-defaults'], env, []);
  stopAll.push(async () => {
    if (defaults.child.exitCode === null) defaults.child.kill('SIGTERM');
  });
  const user = await signUpUser(new TestClient(api.url), 'bench');

  // ---------------------------------------------------------------- 1. query throughput
  // BENCH_API_SKIP_QUERY=1 measures only the event latency (when working on that).
  if (process.env.BENCH_API_SKIP_QUERY !== '1') {
    const pids = [bare.pid, defaults.child.pid, api.child.pid];
    const [barePid, defaultsPid, apiPid] = pids;
    if (barePid === undefined || defaultsPid === undefined || apiPid === undefined) throw new Error('no server pid');
    await queryThroughput(
      { name: 'bare graphql-yoga', url: bareUrl, pid: barePid },
      { name: 'bare graphql-yoga, yoga defaults', url: defaults.url, pid: defaultsPid },
      { name: 'Weft API', url: api.url, pid: apiPid },
      user.token,
    );
  }

  // ---------------------------------------------------------------- 2. event latency
  const worker = await startWorkerProcess({ env: { ...env, WORKERS: '1', LOG_LEVEL: 'warn' } });
  stopAll.push(() => worker.stop());
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(
    gql`mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }`,
    { input: { slug: 'bench', name: 'Bench' } },
  );
  const workspaceId = ws.data?.createWorkspace.workspace.id;
  const engine = createEngine({ pools: db.pools });
  stopAll.push(() => engine.stop());

  /** Starts a run of `steps` behind an approval gate (through a webhook, as a caller would); its id. */
  async function startGatedRun(slug: string, steps: Array<Record<string, unknown>>): Promise<string> {
    const spec = { name: slug, steps: [{ id: 'gate', type: 'approval', message: 'go?' }, ...steps] };
    const plan = await user.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
      gql`mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code message field } } }`,
      { input: { workspaceId, name: slug, spec } },
    );
    const hook = await user.client.mutate<{ createWebhook: { webhook: { id: string; secret: string } } }>(
      gql`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id secret } } }`,
      { input: { planId: plan.data?.createPlan.plan?.id } },
    );
    const webhook = hook.data?.createWebhook.webhook;
    if (!webhook) throw new Error(`setup failed: ${JSON.stringify(plan)} ${JSON.stringify(hook)}`);
    const body = '{}';
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${api.url}/hooks/${encodeURIComponent(webhook.id)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'weft-timestamp': ts,
        'weft-signature': signWebhook(webhook.secret, ts, body),
      },
      body,
    });
    return ((await res.json()) as { executionId: string }).executionId;
  }

  const apiPid = api.child.pid;
  const barePid = bare.pid;
  if (apiPid === undefined || barePid === undefined) throw new Error('no server pid');

  interface RoundResult {
    weftP99: number;
    bareP99: number;
    /** Server CPU (ms) from the first event to the last receipt. */
    weftCpuMs: number;
    bareCpuMs: number;
    /** The servers' JavaScript thread's share of that CPU (ms). */
    weftMainMs: number;
    bareMainMs: number;
    /** The bench process's own CPU in the same span (ms): the 1,000 clients parsing what they receive. */
    weftClientMs: number;
    bareClientMs: number;
    /** Server write system calls in the same span. */
    weftWrites: number;
    bareWrites: number;
  }

  /**
   * One round: a run of EVENT_STEPS chained steps (each `step(i)`) watched by SUBSCRIBERS
   * graphql-ws clients of the API; then bare graphql-ws gets as many events, as far apart as Weft's
   * were.
   */
  async function latencyRound(slug: string, step: (i: number) => Record<string, unknown>): Promise<RoundResult> {
    // An approval gate holds the run until every subscriber is in; then the steps follow.
    const steps: Array<Record<string, unknown>> = [];
    for (let i = 0; i < EVENT_STEPS; i++)
      steps.push({ id: `s${i}`, ...step(i), after: [i === 0 ? 'gate' : `s${i - 1}`] });
    const executionId = await startGatedRun(slug, steps);

    // Weft: subscribers are in once they got the replayed `approval.requested`; the approval
    // (decided here, as an approver's client would through the API) lets the rest of the run go.
    const weftFan = await openSubscribers(
      `${api.url.replace('http', 'ws')}/graphql`,
      user.token,
      'subscription($id: ID!) { executionEvents(executionId: $id) { seq type at } }',
      { id: executionId },
      (type) => type === 'approval.requested',
      (type) => type === 'execution.succeeded',
      'executionEvents',
      true,
    );
    const { rows } = await db.pools.owner.query<{ workspace_id: string; id: string; created_by: string }>(
      `SELECT a.workspace_id, a.id, e.created_by FROM approvals a JOIN executions e ON e.id = a.execution_id
        WHERE e.id = $1`,
      // A global ID: base64 of `Execution:<workspace id>:<id>`.
      [Buffer.from(executionId, 'base64').toString().split(':')[2]],
    );
    const approval = rows[0];
    if (approval === undefined) throw new Error('no approval');
    // When each event's announcement reaches a LISTENer (here, as it reaches the API): what the
    // worker's commit and PostgreSQL add before any fan-out can begin.
    const listener = await db.pools.owner.connect();
    const announcedAt = new Map<number, number>();
    const runUuid = Buffer.from(executionId, 'base64').toString().split(':')[2];
    listener.on('notification', (msg) => {
      const received = Date.now();
      const payload = JSON.parse(msg.payload ?? '{}') as { e?: string; seq?: number; at?: string };
      if (payload.e === runUuid && payload.seq !== undefined && payload.at !== undefined)
        announcedAt.set(payload.seq, received - Date.parse(payload.at));
    });
    await listener.query(`LISTEN ${Channel.events}`);
    weftFan.go();
    const weftCpuBefore = cpuMsOf(apiPid as number);
    const weftMainBefore = cpuMsOf(apiPid as number, true);
    const weftClientBefore = cpuMsOf(process.pid, true);
    const weftWritesBefore = writesOf(apiPid as number);
    await withTenant(db.pools.app, { workspaceId: approval.workspace_id }, (client) =>
      engine.decideApproval(client, approval.workspace_id, approval.id, {
        approve: true,
        actor: { userId: approval.created_by, role: 'ADMIN' },
      }),
    );
    await weftFan.done;
    const weftCpuMs = cpuMsOf(apiPid as number) - weftCpuBefore;
    const weftMainMs = cpuMsOf(apiPid as number, true) - weftMainBefore;
    const weftClientMs = cpuMsOf(process.pid, true) - weftClientBefore;
    const weftWrites = writesOf(apiPid as number) - weftWritesBefore;
    await listener.query(`UNLISTEN ${Channel.events}`);
    listener.release();
    await weftFan.close();
    const weftEvents = weftFan.liveEvents();
    // The baseline gets as many events, with the same gaps (and bursts) as Weft's had.
    const offsetsMs = weftFan.offsetsMs();

    const bareFan = await openSubscribers(
      `${bareUrl.replace('http', 'ws')}/graphql`,
      user.token,
      'subscription { events { seq type at } }',
      {},
      (type) => type === 'ping.end',
      (type) => type === 'tick.end',
      'events',
      false,
    );
    while (!bareFan.allReady()) {
      await emit(bareUrl, { offsetsMs: [0], kind: 'ping' });
      await new Promise((r) => setTimeout(r, 200));
    }
    bareFan.go();
    const bareCpuBefore = cpuMsOf(barePid as number);
    const bareMainBefore = cpuMsOf(barePid as number, true);
    const bareClientBefore = cpuMsOf(process.pid, true);
    const bareWritesBefore = writesOf(barePid as number);
    await emit(bareUrl, { offsetsMs, kind: 'tick' });
    await bareFan.done;
    const bareCpuMs = cpuMsOf(barePid as number) - bareCpuBefore;
    const bareMainMs = cpuMsOf(barePid as number, true) - bareMainBefore;
    const bareClientMs = cpuMsOf(process.pid, true) - bareClientBefore;
    const bareWrites = writesOf(barePid as number) - bareWritesBefore;
    await bareFan.close();

    const row = (name: string, fan: Fan, cpuMs: number, mainMs: number, writes: number, clientMs: number) => {
      const l = fan.latencies;
      const f = fan.firstReceipts();
      return (
        `    ${name} p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${Math.max(...l).toFixed(1)} ms (${l.length} receipts; server CPU ${cpuMs} ms (JavaScript thread ${mainMs} ms), ${((cpuMs * 1000) / l.length).toFixed(1)} µs/receipt; ${writes} write calls, ${(writes / SUBSCRIBERS).toFixed(1)} per socket; clients' CPU ${clientMs} ms; subscribing took ${(fan.connectMs / 1000).toFixed(1)} s)\n` +
        `      first receipt of each event p50 ${percentile(f, 50).toFixed(1)} ms, max ${Math.max(...f).toFixed(1)} ms; latest first receipts (seq type first/last): ${fan.slowest(3).join(', ')}\n`
      );
    };
    const result = {
      weftP99: percentile(weftFan.latencies, 99),
      bareP99: percentile(bareFan.latencies, 99),
      weftCpuMs,
      bareCpuMs,
      weftMainMs,
      bareMainMs,
      weftWrites,
      bareWrites,
      weftClientMs,
      bareClientMs,
    };
    const announced = [...announcedAt.values()];
    process.stdout.write(
      `  ${weftEvents} events over ${offsetsMs.at(-1) ?? 0} ms:\n` +
        row('Weft (execution run by a worker process)', weftFan, weftCpuMs, weftMainMs, weftWrites, weftClientMs) +
        `      announcements reached a LISTENer p50 ${percentile(announced, 50).toFixed(1)} ms, max ${Math.max(...announced).toFixed(1)} ms after \`at\` (${announced.length} of ${weftEvents}: the commit, before any fan-out)\n` +
        row('bare graphql-ws, in-memory pubsub       ', bareFan, bareCpuMs, bareMainMs, bareWrites, bareClientMs) +
        `    p99 Weft/bare ${(result.weftP99 / result.bareP99).toFixed(2)}×, server CPU Weft/bare ${(weftCpuMs / bareCpuMs).toFixed(2)}× (load ${loadavg()[0]?.toFixed(2)})\n`,
    );
    return result;
  }

  /** EVENT_ROUNDS paired rounds of one scenario, then the medians of their ratios against the goals. */
  async function eventLatency(
    scenario: string,
    slug: string,
    step: (i: number) => Record<string, unknown>,
    ratioGoal: number | null,
  ): Promise<void> {
    process.stdout.write(
      `event latency, ${scenario}: event \`at\` → receipt, ${SUBSCRIBERS} graphql-ws subscribers (one connection each), ${EVENT_ROUNDS} rounds each paired with bare graphql-ws:\n`,
    );
    const rounds: RoundResult[] = [];
    for (let round = 0; round < EVENT_ROUNDS; round++) rounds.push(await latencyRound(`${slug}-${round}`, step));
    const p99Ratios = rounds.map((r) => r.weftP99 / r.bareP99);
    const cpuRatios = rounds.map((r) => r.weftCpuMs / r.bareCpuMs);
    const writeRatios = rounds.map((r) => r.weftWrites / r.bareWrites);
    const mainRatios = rounds.map((r) => r.weftMainMs / r.bareMainMs);
    const p99Ratio = percentile(p99Ratios, 50);
    const weftP99 = percentile(
      rounds.map((r) => r.weftP99),
      50,
    );
    const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    const ratioVerdict =
      ratioGoal === null ? '' : ` (goal ≤ ${ratioGoal.toFixed(1)}×) ${p99Ratio <= ratioGoal ? 'OK' : 'ABOVE GOAL'}`;
    process.stdout.write(
      `  median of ${EVENT_ROUNDS}: p99 Weft/bare ${p99Ratio.toFixed(2)}× (${list(p99Ratios)})${ratioVerdict}; ` +
        `server CPU Weft/bare ${percentile(cpuRatios, 50).toFixed(2)}× (${list(cpuRatios)}); ` +
        `JavaScript thread Weft/bare ${percentile(mainRatios, 50).toFixed(2)}× (${list(mainRatios)}); ` +
        `write calls Weft/bare ${percentile(writeRatios, 50).toFixed(2)}× (${list(writeRatios)}); ` +
        `Weft p99 ${weftP99.toFixed(1)} ms (goal ≤ 50 ms) ${weftP99 <= 50 ? 'OK' : 'ABOVE GOAL'}\n`,
    );
  }

  // BENCH_API_SKIP_LATENCY=1 measures only the memory (when working on that).
  if (process.env.BENCH_API_SKIP_LATENCY !== '1') {
    // Steps taking as long as a quick real tool (an HTTP call, a query): a run's events as users see them.
    await eventLatency(
      `steps of ${PACED_STEP_MS} ms`,
      'paced',
      () => ({ tool: 'core.sleep', input: { ms: PACED_STEP_MS } }),
      null,
    );
    // No-op steps: events as fast as the engine makes them, a burst the fan-out has to keep up with.
    await eventLatency('no-op steps (a burst)', 'burst', (i) => ({ tool: 'core.echo', input: { i } }), 1.0);
  }

  // ---------------------------------------------------------------- 3. memory per subscription
  await memoryPerSubscription(env, user.token, await startGatedRun('memory', []));
} finally {
  for (const stop of stopAll.reverse()) await stop().catch(() => {});
}
