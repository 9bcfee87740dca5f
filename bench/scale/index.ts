// Cost that should not grow with history or with neighbours (docs/perf/README.md "Goals", issue 16):
//  1. engine steps/s with a long history of finished runs seeded in bulk, against a baseline database
//     holding one page of them (BASELINE_RUNS);
//  2. `workspace.executions(first: 50, status: FAILED)` p50 over HTTP with that history, against the baseline,
//     and its DEEP_PAGE-th page by cursor against its first page (same history, same round);
//  3. a workspace's 3-step run while another workspace has thousands of steps queued, against alone;
// and the plans of the console's list statements on the long history (they must use indexes).
// Every figure is the median of several rounds, each paired with its baseline measured right
// before it (this machine's speed drifts). `--quick` seeds a small history for a smoke run.
import { loadavg } from 'node:os';
import { gql } from '@apollo/client';
import { withTenant } from '@weft/db';
import { createEngine, type Engine, type EngineOptions, type ToolDefinition } from '@weft/engine';
import { keysetStatement, parseCursor } from '@weft/schema';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  signUpUser,
  startTestApi,
  type TestApi,
  TestClient,
  type TestDatabase,
} from '@weft/test-utils';

const QUICK = process.argv.includes('--quick');
/** `--neighbour`: only the noisy-neighbour rows (no history is seeded). */
const NEIGHBOUR_ONLY = process.argv.includes('--neighbour');
/** Finished runs seeded (each 5 steps, 5 attempts, 15 events; one in ten FAILED) over 10 workspaces. */
const HISTORY_RUNS = QUICK ? 20_000 : 200_000;
const ROUNDS = QUICK ? 3 : 7;
const RUNS = 30;
const STEPS_PER_RUN = 20;
const QUERIES = QUICK ? 50 : 200;
const FLOOD_STEPS = QUICK ? 1_000 : 5_000;
/**
 * The deep page of a workspace's FAILED runs (50 a page) measured against page 1 by cursor: the
 * 30th of its 2,000 (--quick: the 3rd of 200), where an offset page walked 1,450 rows. Not the
 * last page: there the planner rightly reads the few rows left by bitmap and sorts them.
 */
const DEEP_PAGE = QUICK ? 3 : 30;
const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK'];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const fmt = (n: number) => n.toFixed(2);
const log = (line: string) => process.stdout.write(`${line}\n`);
/** The machine's load (1, 5, 15 min): it is shared, so every figure is printed with it. */
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

const noop: ToolDefinition = {
  name: 'bench.noop',
  version: '1.0.0',
  description: 'does nothing',
  inputSchema: { type: 'object' },
  run: async () => ({}),
};

interface Ws {
  workspaceId: string;
  userId: string;
}

/** `runs` finished runs of `planVersionId`, in statements of 10,000 (generate_series, no round trip per row). */
async function seedHistory(db: TestDatabase, planVersionId: string, runs: number): Promise<void> {
  for (let done = 0; done < runs; done += 10_000) {
    await db.pools.owner.query(
      `WITH e AS (
         INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, mode, last_seq, created_at, started_at,
                                 finished_at, error)
         SELECT v.workspace_id, v.plan_id, v.id, CASE WHEN g % 10 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END, 'LIVE', 15,
                x.t, x.t, x.t + interval '1 second', CASE WHEN g % 10 = 0 THEN 'step "s4" failed' END
           FROM plan_versions v, generate_series(1, $2) g,
                LATERAL (SELECT now() - make_interval(mins => g + $3) AS t) x
          WHERE v.id = $1
         RETURNING workspace_id, id, started_at
       ), r AS (
         INSERT INTO step_runs (workspace_id, execution_id, step_id, status, attempts, fence, output, started_at, finished_at)
         SELECT e.workspace_id, e.id, 's' || s, 'SUCCEEDED', 1, 1, '{}', e.started_at, e.started_at
           FROM e, generate_series(0, 4) s
       ), a AS (
         INSERT INTO step_attempts (workspace_id, execution_id, step_id, attempt, fence, status, tool, output, worker_id,
                                    started_at, finished_at, duration_ms)
         SELECT e.workspace_id, e.id, 's' || s, 1, 1, 'SUCCEEDED', 'bench.noop@1.0.0', '{}', 'w', e.started_at,
                e.started_at, 0.1
           FROM e, generate_series(0, 4) s
       )
       INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data, at)
       SELECT e.workspace_id, e.id, n, 'step.succeeded', 's' || (n % 5), '{}', e.started_at
         FROM e, generate_series(1, 15) n`,
      [planVersionId, Math.min(10_000, runs - done), done],
    );
  }
}

interface Side {
  db: TestDatabase;
  api: TestApi;
  engine: Engine;
  ws: Ws;
  slug: string;
  token: string;
  runVersion: string;
}

/**
 * Runs the baseline holds: one page of FAILED runs (1 in 10 fails) in its own workspace, so its
 * `executions(first: 50, status: FAILED)` answers a full page like the history side. An empty
 * database answered an empty page, and the ratio measured serialising 50 runs against none.
 */
const BASELINE_RUNS = 500;

/** A database, an API (no workers) and an engine (workers) over it; `history` finished runs over 10 workspaces, or `BASELINE_RUNS` in one. */
async function prepare(history: number): Promise<Side> {
  const db = await createTestDatabase({ poolMax: 20 });
  const api = await startTestApi({ database: db, env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
  const user = await signUpUser(new TestClient(api.url), 'bench');
  const slug = `bench-${Math.random().toString(36).slice(2, 8)}`;
  const created = await user.client.mutate<{ createWorkspace: { userErrors: unknown[] } }>(
    gql`
      mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { userErrors { code message } } }
    `,
    { input: { slug, name: slug } },
  );
  if ((created.data?.createWorkspace.userErrors.length ?? 1) > 0) throw new Error(JSON.stringify(created));
  const { rows } = await db.pools.owner.query<{ workspace_id: string; user_id: string }>(
    `SELECT m.workspace_id, m.user_id FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = $1`,
    [slug],
  );
  const ws = { workspaceId: rows[0]?.workspace_id ?? '', userId: rows[0]?.user_id ?? '' };
  const engine = createEngine({
    pools: db.pools,
    workerConcurrency: 10,
  });
  engine.registerProvider({ name: 'bench', listTools: async () => [noop] });
  const runVersion = await createPlanVersion(db.pools, ws.workspaceId, {
    concurrency: 5,
    steps: Array.from({ length: STEPS_PER_RUN }, (_, i) => ({ id: `m${i}`, tool: 'bench.noop' })),
  });
  if (history > 0) {
    const started = performance.now();
    const spaces = [ws.workspaceId];
    if (history > BASELINE_RUNS) for (let i = 0; i < 9; i++) spaces.push((await createWorkspace(db.pools)).workspaceId);
    for (const workspaceId of spaces) {
      const version = await createPlanVersion(db.pools, workspaceId, { steps: [{ id: 's0', tool: 'bench.noop' }] });
      await seedHistory(db, version, history / spaces.length);
    }
    log(`  seeded ${history} finished runs in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  // Statistics as a running server has them (autovacuum analyzes), on both sides alike.
  await db.pools.owner.query('VACUUM ANALYZE');
  await engine.startWorkers(1);
  return { db, api, engine, ws, slug, token: user.token, runVersion };
}

async function startRuns(side: Side, planVersionId: string, count: number, ws: Ws = side.ws): Promise<string[]> {
  // One transaction: the runs' jobs appear in the queue together, as a burst would.
  return withTenant(side.db.pools.app, { workspaceId: ws.workspaceId }, async (client) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { executionId } = await side.engine.startExecution(client, ws.workspaceId, {
        planVersionId,
        actor: { userId: ws.userId, role: 'ADMIN' },
      });
      ids.push(executionId);
    }
    return ids;
  });
}

async function allFinished(side: Side, ws: Ws, ids: string[], pollMs: number): Promise<void> {
  for (;;) {
    // By primary key, workspace included: `id = ANY` alone has no index (the key is (workspace_id,
    // id)), and a poll every 20 ms reading all 200,000 runs of the history was what first made the
    // engine look 25 % slower with history.
    const { rows } = await side.db.pools.owner.query<{ n: number; failed: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'SUCCEEDED')::int AS failed
         FROM executions WHERE workspace_id = $3 AND id = ANY($1) AND status = ANY($2)`,
      [ids, FINISHED, ws.workspaceId],
    );
    if ((rows[0]?.failed ?? 0) > 0) throw new Error('a bench run did not succeed');
    if (rows[0]?.n === ids.length) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Steps per second of RUNS runs × STEPS_PER_RUN no-op steps. */
async function engineRound(side: Side): Promise<number> {
  const started = performance.now();
  const ids = await startRuns(side, side.runVersion, RUNS);
  await allFinished(side, side.ws, ids, 20);
  return (RUNS * STEPS_PER_RUN) / ((performance.now() - started) / 1000);
}

const LIST_FAILED = `query ($slug: String!, $after: String) {
  workspace(slug: $slug) {
    executions(first: 50, status: FAILED, after: $after) { edges { node { id status } } pageInfo { endCursor } }
  }
}`;

/** One `workspace.executions(first: 50, status: FAILED, after:)` over HTTP: ms and the page's endCursor. */
async function listFailed(side: Side, after: string | null): Promise<{ ms: number; endCursor: string | null }> {
  const started = performance.now();
  const res = await fetch(`${side.api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${side.token}` },
    body: JSON.stringify({ query: LIST_FAILED, variables: { slug: side.slug, after } }),
  });
  const body = (await res.json()) as {
    errors?: unknown;
    data?: { workspace: { executions: { edges: unknown[]; pageInfo: { endCursor: string | null } } } };
  };
  if (body.errors !== undefined) throw new Error(JSON.stringify(body.errors));
  if (body.data?.workspace.executions.edges.length !== 50) throw new Error('a bench page is not full');
  return { ms: performance.now() - started, endCursor: body.data.workspace.executions.pageInfo.endCursor };
}

/** p50 in ms of the page of FAILED runs after `after` (null: the first page) over HTTP. */
async function queryRound(side: Side, after: string | null = null): Promise<number> {
  for (let i = 0; i < 10; i++) await listFailed(side, after);
  const times: number[] = [];
  for (let i = 0; i < QUERIES; i++) times.push((await listFailed(side, after)).ms);
  return median(times);
}

/** The cursor that opens page `page` (1-based) of the FAILED runs, followed page by page as a client would. */
async function cursorOfPage(side: Side, page: number): Promise<string | null> {
  let after: string | null = null;
  for (let p = 1; p < page; p++) after = (await listFailed(side, after)).endCursor;
  return after;
}

/**
 * ms from start to SUCCEEDED of a 3-step chain in workspace B, with `flood` steps of A queued just
 * before; and how many of A's steps began before B's run ended (the database's clock: an order,
 * not a speed, so it does not move with the machine's load).
 */
async function neighbourRound(side: Side, a: Ws, b: Ws, versions: { flood: string; chain: string }, flood: number) {
  const floodIds = flood > 0 ? await startRuns(side, versions.flood, flood / 5, a) : [];
  const started = performance.now();
  const [chain] = await startRuns(side, versions.chain, 1, b);
  const startMs = performance.now() - started;
  await allFinished(side, b, [chain ?? ''], 5);
  const ms = performance.now() - started;
  const { rows } = await side.db.pools.owner.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM step_attempts a
      WHERE a.workspace_id = $1 AND a.execution_id = ANY($2)
        AND a.started_at < (SELECT finished_at FROM executions WHERE workspace_id = $3 AND id = $4)`,
    [a.workspaceId, floodIds, b.workspaceId, chain],
  );
  // Where B's time went (the database's clock, transaction starts): its start until its first
  // step began (the start's commit, the queue, a slot), and from there to the run's end.
  const parts = await side.db.pools.owner.query<{ queue: number; steps: number }>(
    `SELECT extract(epoch FROM (min(a.started_at) - e.created_at)) * 1000 AS queue,
            extract(epoch FROM (e.finished_at - min(a.started_at))) * 1000 AS steps
       FROM executions e JOIN step_attempts a ON a.workspace_id = e.workspace_id AND a.execution_id = e.id
      WHERE e.workspace_id = $1 AND e.id = $2 GROUP BY e.created_at, e.finished_at`,
    [b.workspaceId, chain],
  );
  if (floodIds.length > 0) await allFinished(side, a, floodIds, 200);
  return {
    ms,
    aBefore: rows[0]?.n ?? 0,
    startMs,
    queueMs: Number(parts.rows[0]?.queue ?? Number.NaN),
    stepsMs: Number(parts.rows[0]?.steps ?? Number.NaN),
  };
}

/** The plan of one statement as the API runs it (weft_app, the workspace in scope): its index scans and time. */
async function explain(side: Side, label: string, sql: string, params: unknown[]): Promise<string> {
  return withTenant(side.db.pools.app, { workspaceId: side.ws.workspaceId }, async (client) => {
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
      params,
    );
    const root = rows[0]?.['QUERY PLAN'][0];
    const nodes: string[] = [];
    const walk = (node: PlanNode) => {
      nodes.push(node['Index Name'] ? `${node['Node Type']} ${node['Index Name']}` : node['Node Type']);
      for (const child of node.Plans ?? []) walk(child);
    };
    if (root !== undefined) walk(root.Plan);
    return `  ${label}: ${fmt(root?.['Execution Time'] ?? Number.NaN)} ms; ${nodes.join(' → ')}`;
  });
}
interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const sides: Side[] = [];
try {
  log(
    `history: ${HISTORY_RUNS} finished runs${QUICK ? ' (--quick)' : ''}; ${ROUNDS} rounds, each paired with its baseline; ` +
      `load ${load()}`,
  );
  const empty = await prepare(BASELINE_RUNS);
  sides.push(empty);
  if (!NEIGHBOUR_ONLY) {
    const full = await prepare(HISTORY_RUNS);
    sides.push(full);

    const { rows: someFailed } = await withTenant(full.db.pools.app, { workspaceId: full.ws.workspaceId }, (c) =>
      c.query<{ id: string; created_at: Date }>(
        `SELECT id, created_at FROM executions WHERE status = 'FAILED' ORDER BY created_at DESC LIMIT 1 OFFSET 500`,
      ),
    );
    const { rows: planRows } = await full.db.pools.owner.query<{ plan_id: string }>(
      'SELECT plan_id FROM plan_versions WHERE id = $1',
      [full.runVersion],
    );
    const historyPlan = planRows[0]?.plan_id ?? '';
    const deepCursor = await cursorOfPage(full, DEEP_PAGE);
    const deepPage = keysetStatement(
      { columns: '*', from: 'executions', at: 'created_at', id: 'id', filters: [['status = ?', 'FAILED']] },
      {
        after: deepCursor === null ? null : parseCursor(deepCursor, 'after'),
        before: null,
        limit: 51,
        inverted: false,
      },
    );
    log('plans on the long history (EXPLAIN ANALYZE as weft_app, one workspace in scope; goal: index scans, no sort):');
    for (const [label, sql, params] of [
      [
        'executions, status FAILED, page 3',
        `SELECT id FROM executions WHERE status = $1 ORDER BY created_at DESC, id LIMIT 50 OFFSET 100`,
        ['FAILED'],
      ],
      [
        'executions, no filter, page 3',
        'SELECT id FROM executions ORDER BY created_at DESC, id LIMIT 50 OFFSET 100',
        [],
      ],
      [
        'events replay after seq 5',
        'SELECT seq FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000',
        [someFailed[0]?.id, 5],
      ],
      [
        'executions, status FAILED, page 41 (offset 2,000)',
        'SELECT * FROM executions WHERE status = $1 ORDER BY created_at DESC, id LIMIT 51 OFFSET 2000',
        ['FAILED'],
      ],
      [`executions, status FAILED, page ${DEEP_PAGE} by keyset cursor`, deepPage.sql, deepPage.params],
      [
        "executions of one plan (one that ran only in this bench's rounds)",
        'SELECT id FROM executions WHERE plan_id = $1::uuid ORDER BY created_at DESC, id LIMIT 51 OFFSET 0',
        [historyPlan],
      ],
      [
        'executions, dry runs',
        'SELECT id FROM executions WHERE mode = $1 ORDER BY created_at DESC, id LIMIT 51 OFFSET 0',
        ['DRY_RUN'],
      ],
      [
        'executions, FAILED, created in the last 3 days',
        `SELECT id FROM executions WHERE status = $1 AND created_at >= now() - interval '3 days'
          ORDER BY created_at DESC, id LIMIT 51 OFFSET 0`,
        ['FAILED'],
      ],
      [
        'retention candidates',
        `SELECT id FROM executions WHERE workspace_id = $1 AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK')
            AND finished_at < now() - interval '30 days' ORDER BY finished_at LIMIT 200`,
        [full.ws.workspaceId],
      ],
    ] as const) {
      log(await explain(full, label, sql, [...params]));
    }

    const engineRatios: number[] = [];
    const queryRatios: number[] = [];
    const rates = { empty: [] as number[], full: [] as number[] };
    const p50s = { empty: [] as number[], full: [] as number[] };
    const deep = { first: [] as number[], deep: [] as number[], offset: [] as number[], ratios: [] as number[] };
    // The same page by an old offset cursor (what the API still accepts from saved links): the
    // cost offset paging had, for contrast in the same round.
    const offsetCursor = Buffer.from(`OffsetConnection:${(DEEP_PAGE - 1) * 50 - 1}`).toString('base64');
    const offsetRatios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const base = await engineRound(empty);
      const withHistory = await engineRound(full);
      rates.empty.push(base);
      rates.full.push(withHistory);
      engineRatios.push(withHistory / base);
      const q0 = await queryRound(empty);
      const q1 = await queryRound(full);
      p50s.empty.push(q0);
      p50s.full.push(q1);
      queryRatios.push(q1 / q0);
      const first = await queryRound(full);
      const deepest = await queryRound(full, deepCursor);
      deep.first.push(first);
      deep.deep.push(deepest);
      deep.ratios.push(deepest / first);
      const byOffset = await queryRound(full, offsetCursor);
      deep.offset.push(byOffset);
      offsetRatios.push(byOffset / first);
    }
    log(
      `engine, ${RUNS} runs × ${STEPS_PER_RUN} no-op steps: baseline ${fmt(median(rates.empty))}/s, with history ${fmt(median(rates.full))}/s; ` +
        `with history / baseline ${fmt(median(engineRatios) * 100)} % (goal ≥ 90 %)  [rounds ${engineRatios.map((x) => fmt(x * 100)).join(', ')} %] [load ${load()}]`,
    );
    log(
      `workspace.executions(first: 50, status: FAILED) p50: baseline (${BASELINE_RUNS} runs) ${fmt(median(p50s.empty))} ms, with history ${fmt(median(p50s.full))} ms; ` +
        `${fmt(median(queryRatios))}× (goal ≤ 1.5×)  [rounds ${queryRatios.map(fmt).join(', ')}×] [load ${load()}]`,
    );
    log(
      `workspace.executions(first: 50, status: FAILED) with history, p50: page 1 ${fmt(median(deep.first))} ms, page ${DEEP_PAGE} by cursor ${fmt(median(deep.deep))} ms; ` +
        `${fmt(median(deep.ratios))}× (goal ≤ 1.2×)  [rounds ${deep.ratios.map(fmt).join(', ')}×] [load ${load()}]`,
    );
    log(
      `  the same page by offset (an old cursor): ${fmt(median(deep.offset))} ms, ${fmt(median(offsetRatios))}× page 1  [rounds ${offsetRatios.map(fmt).join(', ')}×]`,
    );
  }

  // The noisy neighbour runs on the baseline side: a long history would only add noise.
  const a = await createWorkspace(empty.db.pools);
  const b = await createWorkspace(empty.db.pools);
  const versions = {
    flood: await createPlanVersion(empty.db.pools, a.workspaceId, {
      concurrency: 5,
      steps: Array.from({ length: 5 }, (_, i) => ({ id: `f${i}`, tool: 'bench.noop' })),
    }),
    chain: await createPlanVersion(empty.db.pools, b.workspaceId, {
      steps: [
        { id: 'a', tool: 'bench.noop' },
        { id: 'b', tool: 'bench.noop', after: ['a'] },
        { id: 'c', tool: 'bench.noop', after: ['b'] },
      ],
    }),
  };
  // Three ways: the default (two reserved slots, reserved-slots.ts), without them (the engine before
  // they existed), and with a workspace share of half the slots (WORKSPACE_WORKER_SLOTS=5,
  // docs/operations.md "Fairness").
  const configs: Array<{ label: string; options: Partial<EngineOptions> }> = [
    { label: 'default: 2 reserved slots', options: {} },
    { label: 'no reserved slots', options: { reservedSlots: 0 } },
    { label: 'workspace share 5 of 10 slots', options: { workspaceSlots: 5 } },
  ];
  for (const { label, options } of configs) {
    await empty.engine.stop();
    empty.engine = createEngine({ pools: empty.db.pools, workerConcurrency: 10, ...options });
    empty.engine.registerProvider({ name: 'bench', listTools: async () => [noop] });
    await empty.engine.startWorkers(1);
    const neighbourRatios: number[] = [];
    const ms = { alone: [] as number[], flooded: [] as number[] };
    const aBefore: number[] = [];
    const parts = {
      alone: [] as Awaited<ReturnType<typeof neighbourRound>>[],
      flooded: [] as Awaited<ReturnType<typeof neighbourRound>>[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const alone = await neighbourRound(empty, a, b, versions, 0);
      const flooded = await neighbourRound(empty, a, b, versions, FLOOD_STEPS);
      ms.alone.push(alone.ms);
      ms.flooded.push(flooded.ms);
      parts.alone.push(alone);
      parts.flooded.push(flooded);
      aBefore.push(flooded.aBefore);
      neighbourRatios.push(flooded.ms / alone.ms);
    }
    const partsLine = (rounds: Awaited<ReturnType<typeof neighbourRound>>[]) =>
      `start call ${fmt(median(rounds.map((p) => p.startMs)))}, start → first step ${fmt(median(rounds.map((p) => p.queueMs)))}, first step → end ${fmt(median(rounds.map((p) => p.stepsMs)))}`;
    log(
      `noisy neighbour (${label}), B's 3-step run: alone ${fmt(median(ms.alone))} ms, with A's ${FLOOD_STEPS} steps queued ${fmt(median(ms.flooded))} ms; ` +
        `${fmt(median(neighbourRatios))}× (goal ≤ 2×)  [rounds ${neighbourRatios.map(fmt).join(', ')}×] [load ${load()}]`,
    );
    log(
      `  of A's ${FLOOD_STEPS} steps, begun before B's run ended: median ${median(aBefore)} [rounds ${aBefore.join(', ')}]`,
    );
    log(`  B's run, medians in ms: alone ${partsLine(parts.alone)}; flooded ${partsLine(parts.flooded)}`);
  }
} finally {
  for (const side of sides) {
    await side.engine.stop();
    await side.api.close();
    await side.db.drop();
  }
}
