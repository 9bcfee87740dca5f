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
const ROUND_MS = 4_000;
const WARMUP_MS = 1_000;
const ROUNDS = 2;
const SUBSCRIBERS = 1_000;
const EVENT_STEPS = 10;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Requests per second of `{ viewer { id } }` from CONCURRENCY keep-alive clients for `ms`. */
async function throughput(url: string, token: string, ms: number): Promise<number> {
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
  return done / (ms / 1000);
}

const db = await createTestDatabase({ poolMax: 4 });
const env = { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'warn' };
const stopAll: Array<() => Promise<unknown>> = [() => db.drop()];
let clients: Client[] = [];

try {
  const api = await startServerProcess({ env: { ...env, WORKERS: '0', RATE_LIMIT_PER_MINUTE: '1000000' } });
  stopAll.push(() => api.stop());
  const bare = spawn('node', ['--import', 'tsx', 'bench/api/bare-server.ts', db.ownerUrl], {
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
  await throughput(bareUrl, user.token, WARMUP_MS);
  await throughput(api.url, user.token, WARMUP_MS);
  const bareRates: number[] = [];
  const weftRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRates.push(await throughput(bareUrl, user.token, ROUND_MS));
    weftRates.push(await throughput(api.url, user.token, ROUND_MS));
  }
  const bareRate = Math.max(...bareRates);
  const weftRate = Math.max(...weftRates);
  const ratio = weftRate / bareRate;
  process.stdout.write(
    `query { viewer { id } }, ${CONCURRENCY} keep-alive clients, best of ${ROUNDS} × ${ROUND_MS / 1000} s:\n` +
      `  bare graphql-yoga  ${bareRate.toFixed(0)} req/s (${bareRates.map((r) => r.toFixed(0)).join(', ')})\n` +
      `  Weft API           ${weftRate.toFixed(0)} req/s (${weftRates.map((r) => r.toFixed(0)).join(', ')})\n` +
      `  ratio Weft/bare    ${(ratio * 100).toFixed(1)} % (goal ≥ 80 %) ${ratio >= 0.8 ? 'OK' : 'BELOW GOAL'}\n`,
  );
  bare.kill('SIGTERM');

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

  const latencies: number[] = [];
  let ready = 0;
  let finished = 0;
  let readyAt = Number.POSITIVE_INFINITY;
  let allReady: () => void = () => {};
  let allFinished: () => void = () => {};
  const readyP = new Promise<void>((r) => {
    allReady = r;
  });
  const finishedP = new Promise<void>((r) => {
    allFinished = r;
  });
  const connectStarted = performance.now();
  for (let batch = 0; batch < SUBSCRIBERS; batch += 100) {
    const opened = Array.from({ length: Math.min(100, SUBSCRIBERS - batch) }, () => {
      const client = createClient({
        url: `${api.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${user.token}` },
      });
      clients.push(client);
      let isReady = false;
      return new Promise<void>((resolve, reject) => {
        client.subscribe<{ executionEvents: { seq: number; type: string; at: string } }>(
          {
            query: 'subscription($id: ID!) { executionEvents(executionId: $id) { seq type at } }',
            variables: { id: executionId },
          },
          {
            next: (message) => {
              const received = Date.now();
              const event = message.data?.executionEvents;
              if (event === undefined) return reject(new Error(JSON.stringify(message.errors)));
              const at = Date.parse(event.at);
              if (at > readyAt) latencies.push(received - at);
              if (!isReady && event.type === 'approval.requested') {
                isReady = true;
                resolve();
                if (++ready === SUBSCRIBERS) allReady();
              }
              if (event.type === 'execution.succeeded' && ++finished === SUBSCRIBERS) allFinished();
            },
            error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
            complete: () => {},
          },
        );
      });
    });
    await Promise.all(opened);
  }
  await readyP;
  const connectMs = performance.now() - connectStarted;
  readyAt = Date.now();

  // Approve the gate from here, as an approver's client would through the API.
  const engine = createEngine({ pools: db.pools });
  const { rows } = await db.pools.owner.query<{ workspace_id: string; id: string; created_by: string }>(
    `SELECT a.workspace_id, a.id, e.created_by FROM approvals a JOIN executions e ON e.id = a.execution_id`,
  );
  const approval = rows[0];
  if (approval === undefined) throw new Error('no approval');
  await withTenant(db.pools.app, { workspaceId: approval.workspace_id }, (client) =>
    engine.decideApproval(client, approval.workspace_id, approval.id, {
      approve: true,
      actor: { userId: approval.created_by, role: 'ADMIN' },
    }),
  );
  const deadline = setTimeout(() => allFinished(), 60_000);
  await finishedP;
  clearTimeout(deadline);
  await engine.stop();
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  process.stdout.write(
    `event latency, ${SUBSCRIBERS} graphql-ws subscribers of one execution (${finished} saw it end; ` +
      `${latencies.length} live events; subscribing took ${(connectMs / 1000).toFixed(1)} s):\n` +
      `  p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms ` +
      `(goal p99 ≤ 50 ms) ${p99 <= 50 ? 'OK' : 'ABOVE GOAL'}\n`,
  );
} finally {
  await Promise.all(clients.map((c) => c.dispose()));
  clients = [];
  for (const stop of stopAll.reverse()) await stop().catch(() => {});
}
