// Engine throughput and scheduling overhead against raw graphile-worker on the same database, in
// the same run (DESIGN.md §7). Goals: ≥ 50 % of raw throughput, ≤ 5 ms p50 overhead per step.
import { readFileSync } from 'node:fs';
import { withTenant } from '@weft/db';
import { createEngine, type PlanSpec, type ToolDefinition } from '@weft/engine';
import { createPlanVersion, createTestDatabase, createWorkspace } from '@weft/test-utils';
import { type JobHelpers, Logger, run } from 'graphile-worker';
import pg from 'pg';

const STEPS = 600;
const CHAIN = 150;
const CONCURRENCY = 10;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fmt = (n: number) => n.toFixed(2);
const db = await createTestDatabase({ poolMax: 20 });
try {
  const queuePool = new pg.Pool({ connectionString: db.ownerUrl, max: CONCURRENCY + 3 });
  queuePool.on('error', () => {});
  queuePool.on('connect', (c) => c.on('error', () => {}));

  // CPU used by this process and by the bench database's backends (Linux /proc): on a shared,
  // loaded machine, work per step compares runs where wall-clock rates swing. Approximate: a
  // backend that exits during a phase takes its CPU time with it.
  const cpuSample = async (): Promise<{ node: number; pg: Map<number, number> | null }> => {
    const usage = process.cpuUsage();
    let pg: Map<number, number> | null = new Map();
    try {
      const { rows } = await queuePool.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      for (const { pid } of rows) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        pg.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, 100 ticks/s
      }
    } catch {
      pg = null;
    }
    return { node: (usage.user + usage.system) / 1000, pg };
  };
  const cpuPerStep = (from: Awaited<ReturnType<typeof cpuSample>>, to: typeof from, steps: number): string => {
    const node = (to.node - from.node) / steps;
    if (from.pg === null || to.pg === null) return `CPU/step: node ${fmt(node)} ms`;
    let pgMs = 0;
    for (const [pid, ms] of to.pg) pgMs += ms - (from.pg.get(pid) ?? 0);
    return `CPU/step: node ${fmt(node)} ms, postgres ${fmt(pgMs / steps)} ms`;
  };

  // ---------------------------------------------------------------- raw graphile-worker
  let rawDone = 0;
  let rawAllDone: () => void = () => {};
  const rawChainMarks: Array<{ start: number; end: number }> = [];
  let chainFinished: () => void = () => {};
  const runner = await run({
    pgPool: queuePool,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: new Logger(() => () => {}),
    taskList: {
      noop: async () => {
        rawDone++;
        if (rawDone === STEPS) rawAllDone();
      },
      chain: async (payload: unknown, helpers: JobHelpers) => {
        const start = performance.now();
        const { i } = payload as { i: number };
        const end = performance.now();
        rawChainMarks.push({ start, end });
        if (i + 1 < CHAIN) await helpers.addJob('chain', { i: i + 1 });
        else chainFinished();
      },
    },
  });
  const rawAll = new Promise<void>((r) => {
    rawAllDone = r;
  });
  const rawCpu = await cpuSample();
  const rawStart = performance.now();
  await queuePool.query(
    `SELECT graphile_worker.add_jobs(array_agg(ROW('noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec))
       FROM generate_series(1, $1)`,
    [STEPS],
  );
  await rawAll;
  const rawSeconds = (performance.now() - rawStart) / 1000;
  const rawCpuText = cpuPerStep(rawCpu, await cpuSample(), STEPS);
  const rawChain = new Promise<void>((r) => {
    chainFinished = r;
  });
  await queuePool.query(`SELECT graphile_worker.add_job('chain', '{"i":0}'::json)`);
  await rawChain;
  await runner.stop();
  const rawGaps = rawChainMarks.slice(1).map((m, i) => m.start - (rawChainMarks[i]?.end ?? m.start));

  // ---------------------------------------------------------------- the engine
  const marks = new Map<string, { start: number; end: number }>();
  const noop: ToolDefinition = {
    name: 'bench.noop',
    version: '1.0.0',
    description: 'does nothing, records when',
    inputSchema: { type: 'object' },
    async run(_input, ctx) {
      const start = performance.now();
      marks.set(`${ctx.executionId}/${ctx.stepId}`, { start, end: performance.now() });
      return {};
    },
  };
  const engine = createEngine({ pools: db.pools, workerConcurrency: CONCURRENCY, stepLeaseMs: 15_000 });
  engine.registerProvider({ name: 'bench', listTools: async () => [noop] });
  await engine.startWorkers(1);
  const ws = await createWorkspace(db.pools);
  // A run's end is learnt from the engine's own status announcements, as a client would (and as
  // raw graphile-worker's completions are counted in process): polling 30 runs' status every few
  // milliseconds would put load on the database that the baseline does not have. A slow poll
  // stays as a safety net for a lost announcement.
  const OPEN = ['RUNNING', 'QUEUED', 'WAITING_APPROVAL'];
  const ended = new Map<string, string>();
  const waiting = new Map<string, (status: string) => void>();
  const watch = new AbortController();
  const watching = (async () => {
    for await (const change of engine.subscribeWorkspace(ws.workspaceId, watch.signal)) {
      if (OPEN.includes(change.status)) continue;
      ended.set(change.executionId, change.status);
      waiting.get(change.executionId)?.(change.status);
    }
  })();
  const statusOf = async (executionId: string): Promise<string> => {
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query<{ status: string }>('SELECT status FROM executions WHERE id = $1', [executionId]),
    );
    return rows[0]?.status ?? 'missing';
  };
  const finished = (executionId: string): Promise<string> =>
    new Promise((resolve) => {
      const known = ended.get(executionId);
      if (known !== undefined) return resolve(known);
      const timer = setInterval(() => {
        void statusOf(executionId).then((status) => {
          if (!OPEN.includes(status)) done(status);
        });
      }, 1000);
      const done = (status: string) => {
        clearInterval(timer);
        waiting.delete(executionId);
        resolve(status);
      };
      waiting.set(executionId, done);
    });
  // Saving a plan version is not step execution: it happens before the clock starts. Starting the
  // execution (the engine's counterpart of raw graphile-worker's add_jobs) is timed.
  const versionOf = (spec: PlanSpec) => createPlanVersion(db.pools, ws.workspaceId, spec);
  const startVersion = (planVersionId: string) =>
    withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.startExecution(c, ws.workspaceId, { planVersionId, actor: { userId: ws.userId, role: 'ADMIN' } }),
    );
  const startPlan = async (spec: PlanSpec) => startVersion(await versionOf(spec));

  const fan: PlanSpec = {
    concurrency: CONCURRENCY,
    steps: Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, tool: 'bench.noop' })),
  };
  const fanVersion = await versionOf(fan);
  const engineCpu = await cpuSample();
  const engineStart = performance.now();
  const fanRun = await startVersion(fanVersion);
  const fanStatus = await finished(fanRun.executionId);
  const engineSeconds = (performance.now() - engineStart) / 1000;
  const engineCpuText = cpuPerStep(engineCpu, await cpuSample(), STEPS);
  if (fanStatus !== 'SUCCEEDED') throw new Error(`fan-out run ended ${fanStatus}`);

  // The same number of steps spread over many executions: steps of different executions do not
  // wait for each other's execution-row lock.
  const RUNS = 30;
  const small: PlanSpec = {
    concurrency: 5,
    steps: Array.from({ length: STEPS / RUNS }, (_, i) => ({ id: `m${i}`, tool: 'bench.noop' })),
  };
  const smallVersion = await versionOf(small);
  const manyCpu = await cpuSample();
  const manyStart = performance.now();
  const many = await Promise.all(Array.from({ length: RUNS }, () => startVersion(smallVersion)));
  for (const run of many) {
    const status = await finished(run.executionId);
    if (status !== 'SUCCEEDED') throw new Error(`run ended ${status}`);
  }
  const manySeconds = (performance.now() - manyStart) / 1000;
  const manyCpuText = cpuPerStep(manyCpu, await cpuSample(), STEPS);

  const chain: PlanSpec = {
    steps: Array.from({ length: CHAIN }, (_, i) => ({
      id: `c${i}`,
      tool: 'bench.noop',
      ...(i > 0 ? { after: [`c${i - 1}`] } : {}),
    })),
  };
  const chainRun = await startPlan(chain);
  const chainStatus = await finished(chainRun.executionId);
  if (chainStatus !== 'SUCCEEDED') throw new Error(`chain run ended ${chainStatus}`);
  const gaps: number[] = [];
  for (let i = 1; i < CHAIN; i++) {
    const prev = marks.get(`${chainRun.executionId}/c${i - 1}`);
    const cur = marks.get(`${chainRun.executionId}/c${i}`);
    if (prev !== undefined && cur !== undefined) gaps.push(cur.start - prev.end);
  }
  watch.abort();
  await watching.catch(() => {});
  await engine.stop();
  await queuePool.end();

  const rawRate = STEPS / rawSeconds;
  const engineRate = STEPS / engineSeconds;
  const manyRate = STEPS / manySeconds;
  process.stdout.write(
    [
      `no-op throughput (${STEPS} jobs/steps, worker concurrency ${CONCURRENCY}):`,
      `  raw graphile-worker: ${fmt(rawRate)} jobs/s  (${rawCpuText})`,
      `  weft engine, one execution (concurrency ${CONCURRENCY}):      ${fmt(engineRate)} steps/s  = ${fmt((engineRate / rawRate) * 100)} % of raw  (${engineCpuText})`,
      `  weft engine, ${RUNS} executions × ${STEPS / RUNS} steps (concurrency 5): ${fmt(manyRate)} steps/s  = ${fmt((manyRate / rawRate) * 100)} % of raw (goal ≥ 50 %)  (${manyCpuText})`,
      `scheduling overhead per step (previous step's end → next step's start, chain of ${CHAIN}):`,
      `  raw graphile-worker chained jobs: p50 ${fmt(percentile(rawGaps, 50))} ms, p99 ${fmt(percentile(rawGaps, 99))} ms`,
      `  weft engine:                      p50 ${fmt(percentile(gaps, 50))} ms, p99 ${fmt(percentile(gaps, 99))} ms (goal p50 ≤ 5 ms)`,
      '',
    ].join('\n'),
  );
} finally {
  await db.drop();
}
