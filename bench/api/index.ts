/**
 * API benchmark, everything on 127.0.0.1 over a fresh test database:
 * 1. throughput of an authenticated simple query (`{ viewer { id } }`, bearer token) from N
 *    concurrent keep-alive HTTP clients for a fixed time, through the real API process vs a bare
 *    graphql-yoga process doing the same resolver work (bench/api/bare-server.ts), in rotating
 *    rounds of the same run. Goal: Weft ≥ 80 % of bare yoga configured as Weft configures it;
 *    a second bare server with yoga's defaults is measured too.
 * 2. event latency to 1,000 graphql-ws subscribers (one connection each) of one execution run by a
 *    separate worker process: from the event's `at` (written in the database) to its receipt.
 *    Goal: p99 ≤ 50 ms. Two runs: steps of 100 ms (the latency users see while a run works) and
 *    no-op steps (events as fast as the engine makes them: whether the fan-out keeps up).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { signWebhook } from '@weft/api';
import { withTenant } from '@weft/db';
import { createEngine } from '@weft/engine';
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
/** How long each step of the paced latency scenario takes. */
const PACED_STEP_MS = 100;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** CPU time (user + system, ms) a process has used so far, from Linux /proc. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
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
              if (received >= goAt) {
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

  /**
   * One run of EVENT_STEPS chained steps (each `step(i)`), watched by SUBSCRIBERS graphql-ws
   * clients of the API; then bare graphql-ws gets as many events, as far apart as Weft's were.
   */
  async function eventLatency(scenario: string, slug: string, step: (i: number) => Record<string, unknown>) {
    // An approval gate holds the run until every subscriber is in; then the steps follow.
    const steps: Array<Record<string, unknown>> = [{ id: 'gate', type: 'approval', message: 'go?' }];
    for (let i = 0; i < EVENT_STEPS; i++)
      steps.push({ id: `s${i}`, ...step(i), after: [i === 0 ? 'gate' : `s${i - 1}`] });
    const plan = await user.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
      gql`mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code message field } } }`,
      { input: { workspaceId, name: slug, spec: { name: slug, steps } } },
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
    const { executionId } = (await res.json()) as { executionId: string };

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
    weftFan.go();
    await withTenant(db.pools.app, { workspaceId: approval.workspace_id }, (client) =>
      engine.decideApproval(client, approval.workspace_id, approval.id, {
        approve: true,
        actor: { userId: approval.created_by, role: 'ADMIN' },
      }),
    );
    await weftFan.done;
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
    await emit(bareUrl, { offsetsMs, kind: 'tick' });
    await bareFan.done;
    await bareFan.close();

    const row = (name: string, fan: Fan) => {
      const l = fan.latencies;
      const f = fan.firstReceipts();
      return (
        `  ${name} p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${Math.max(...l).toFixed(1)} ms (${l.length} receipts; subscribing took ${(fan.connectMs / 1000).toFixed(1)} s)\n` +
        `    first receipt of each event p50 ${percentile(f, 50).toFixed(1)} ms, max ${Math.max(...f).toFixed(1)} ms; latest first receipts (seq type first/last): ${fan.slowest(3).join(', ')}\n`
      );
    };
    const weftP99 = percentile(weftFan.latencies, 99);
    const bareP99 = percentile(bareFan.latencies, 99);
    process.stdout.write(
      `event latency, ${scenario}: event \`at\` → receipt, ${SUBSCRIBERS} graphql-ws subscribers (one connection each), ${weftEvents} events over ${offsetsMs.at(-1) ?? 0} ms:\n` +
        row('Weft (execution run by a worker process)', weftFan) +
        row('bare graphql-ws, in-memory pubsub       ', bareFan) +
        `  p99 Weft/bare ${(weftP99 / bareP99).toFixed(2)}×; goal Weft p99 ≤ 50 ms: ${weftP99 <= 50 ? 'OK' : 'ABOVE GOAL'}\n`,
    );
  }

  // Steps taking as long as a quick real tool (an HTTP call, a query): a run's events as users see them.
  await eventLatency(`steps of ${PACED_STEP_MS} ms`, 'paced', () => ({
    tool: 'core.sleep',
    input: { ms: PACED_STEP_MS },
  }));
  // No-op steps: events as fast as the engine makes them, a burst the fan-out has to keep up with.
  await eventLatency('no-op steps (a burst)', 'burst', (i) => ({ tool: 'core.echo', input: { i } }));
} finally {
  for (const stop of stopAll.reverse()) await stop().catch(() => {});
}
