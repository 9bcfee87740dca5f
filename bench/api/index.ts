/**
 * API benchmark, everything on 127.0.0.1 over a fresh test database:
 * 1. throughput of an authenticated simple query (`{ viewer { id } }`, bearer token) from N
 *    concurrent keep-alive HTTP clients for a fixed time, through the real API process vs a bare
 *    graphql-yoga process doing the same resolver work (bench/api/bare-server.ts), in alternating
 *    rounds of the same run. Goal: Weft ≥ 80 % of bare.
 * 2. event latency to 1,000 graphql-ws subscribers (one connection each) of one execution run by a
 *    separate worker process: from the event's `at` (written in the database) to its receipt.
 *    Goal: p99 ≤ 50 ms.
 */
import { spawn } from 'node:child_process';
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

async function emit(url: string, body: { n: number; gapMs: number; kind: string }): Promise<void> {
  const res = await fetch(`${url}/emit`, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`emit answered ${res.status}`);
}

interface Fan {
  latencies: number[];
  /** Per event, its earliest receipt − `at`: the path to one subscriber, without the fan-out. */
  firstReceipts(): number[];
  connectMs: number;
  done: Promise<void>;
  allReady(): boolean;
  /** From now on, received events count. */
  go(): void;
  liveEvents(): number;
  spanMs(): number;
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
    spanMs: () => {
      const ats = [...seqs.values()];
      return ats.length < 2 ? 0 : Math.max(...ats) - Math.min(...ats);
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.dispose()));
    },
  };
}

/** Part 1: the query throughput of Weft against the bare server, in alternating rounds. */
async function queryThroughput(
  bare: { url: string; pid: number },
  weft: { url: string; pid: number },
  token: string,
): Promise<void> {
  await throughput(bare.url, token, WARMUP_MS, bare.pid);
  await throughput(weft.url, token, WARMUP_MS, weft.pid);
  const bareRounds: Round[] = [];
  const weftRounds: Round[] = [];
  // Alternating rounds (order swapped each time), so load from elsewhere on the machine hits
  // both alike; the ratio is the median of the per-round ratios.
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      bareRounds.push(await throughput(bare.url, token, ROUND_MS, bare.pid));
      weftRounds.push(await throughput(weft.url, token, ROUND_MS, weft.pid));
    } else {
      weftRounds.push(await throughput(weft.url, token, ROUND_MS, weft.pid));
      bareRounds.push(await throughput(bare.url, token, ROUND_MS, bare.pid));
    }
  }
  const median = (rounds: Round[], key: keyof Round) =>
    percentile(
      rounds.map((r) => r[key]),
      50,
    );
  const ratio = percentile(
    weftRounds.map((w, i) => w.rate / (bareRounds[i]?.rate ?? Number.NaN)),
    50,
  );
  const cpuRatio = median(bareRounds, 'cpuUs') / median(weftRounds, 'cpuUs');
  const rates = (rounds: Round[]) => rounds.map((r) => r.rate.toFixed(0)).join(', ');
  process.stdout.write(
    `query { viewer { id } }, ${CONCURRENCY} keep-alive clients, median of ${ROUNDS} alternating rounds × ${ROUND_MS / 1000} s:\n` +
      `  bare graphql-yoga  ${median(bareRounds, 'rate').toFixed(0)} req/s (${rates(bareRounds)}), CPU ${median(bareRounds, 'cpuUs').toFixed(0)} µs/request\n` +
      `  Weft API           ${median(weftRounds, 'rate').toFixed(0)} req/s (${rates(weftRounds)}), CPU ${median(weftRounds, 'cpuUs').toFixed(0)} µs/request\n` +
      `  ratio Weft/bare    ${(ratio * 100).toFixed(1)} % (median of rounds) (goal ≥ 80 %) ${ratio >= 0.8 ? 'OK' : 'BELOW GOAL'}\n` +
      `  CPU per request bare/Weft ${(cpuRatio * 100).toFixed(1)} % (the same ratio from CPU use, less sensitive to other load)\n`,
  );
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
    env: { ...env, NODE_ENV: 'production', WORKERS: '0', RATE_LIMIT_PER_MINUTE: '1000000' },
    ...(profDir
      ? {
          command: ['node', '--no-node-snapshot', ...profArgs, '--import', 'tsx', 'apps/api/src/main.ts'],
        }
      : {}),
  });
  stopAll.push(() => api.stop());
  const bare = spawn('node', [...profArgs, '--import', 'tsx', 'bench/api/bare-server.ts', db.ownerUrl], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopAll.push(async () => {
    if (bare.exitCode === null) bare.kill('SIGTERM');
  });
  const [line] = (await once(bare.stdout, 'data')) as [Buffer];
  const barePort = /ready (\d+)/.exec(line.toString())?.[1];
  if (barePort === undefined) throw new Error(`bare server did not start: ${line.toString()}`);
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const user = await signUpUser(new TestClient(api.url), 'bench');

  // ---------------------------------------------------------------- 1. query throughput
  // BENCH_API_SKIP_QUERY=1 measures only the event latency (when working on that).
  if (process.env.BENCH_API_SKIP_QUERY !== '1') {
    const barePid = bare.pid;
    const apiPid = api.child.pid;
    if (barePid === undefined || apiPid === undefined) throw new Error('no server pid');
    await queryThroughput({ url: bareUrl, pid: barePid }, { url: api.url, pid: apiPid }, user.token);
  }

  // ---------------------------------------------------------------- 2. event latency
  const worker = await startWorkerProcess({ env: { ...env, WORKERS: '1', LOG_LEVEL: 'warn' } });
  stopAll.push(() => worker.stop());
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(
    gql`mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }`,
    { input: { slug: 'bench', name: 'Bench' } },
  );
  // An approval gate holds the run until every subscriber is in; then EVENT_STEPS echo steps follow.
  const steps: Array<Record<string, unknown>> = [{ id: 'gate', type: 'approval', message: 'go?' }];
  for (let i = 0; i < EVENT_STEPS; i++) {
    steps.push({ id: `s${i}`, tool: 'core.echo', input: { i }, after: [i === 0 ? 'gate' : `s${i - 1}`] });
  }
  const plan = await user.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
    gql`mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code message field } } }`,
    {
      input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: 'fan-out', spec: { name: 'fan-out', steps } },
    },
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
  const engine = createEngine({ pools: db.pools });
  const { rows } = await db.pools.owner.query<{ workspace_id: string; id: string; created_by: string }>(
    'SELECT a.workspace_id, a.id, e.created_by FROM approvals a JOIN executions e ON e.id = a.execution_id',
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
  await engine.stop();
  await weftFan.close();
  const weftEvents = weftFan.liveEvents();
  // The baseline gets as many events, as far apart as Weft's were.
  const gapMs = Math.max(1, Math.round(weftFan.spanMs() / Math.max(1, weftEvents - 1)));

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
    await emit(bareUrl, { n: 1, gapMs: 1, kind: 'ping' });
    await new Promise((r) => setTimeout(r, 200));
  }
  bareFan.go();
  await emit(bareUrl, { n: weftEvents, gapMs, kind: 'tick' });
  await bareFan.done;
  await bareFan.close();

  const row = (name: string, fan: Fan) => {
    const l = fan.latencies;
    const f = fan.firstReceipts();
    return (
      `  ${name} p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${Math.max(...l).toFixed(1)} ms (${l.length} receipts; subscribing took ${(fan.connectMs / 1000).toFixed(1)} s)\n` +
      `    first receipt of each event p50 ${percentile(f, 50).toFixed(1)} ms, max ${Math.max(...f).toFixed(1)} ms\n`
    );
  };
  const weftP99 = percentile(weftFan.latencies, 99);
  const bareP99 = percentile(bareFan.latencies, 99);
  process.stdout.write(
    `event latency, event \`at\` → receipt, ${SUBSCRIBERS} graphql-ws subscribers (one connection each), ${weftEvents} events ~${gapMs} ms apart:\n` +
      row('Weft (execution run by a worker process)', weftFan) +
      row('bare graphql-ws, in-memory pubsub       ', bareFan) +
      `  p99 Weft/bare ${(weftP99 / bareP99).toFixed(2)}×; goal Weft p99 ≤ 50 ms: ${weftP99 <= 50 ? 'OK' : 'ABOVE GOAL'}\n`,
  );
} finally {
  for (const stop of stopAll.reverse()) await stop().catch(() => {});
}
