// Engine throughput and scheduling overhead against raw graphile-worker on the same database, in
// the same run (docs/perf/README.md "Goals"). Goals: ≥ 50 % of raw throughput, ≤ 5 ms p50 overhead per step.
//
// This 2-core VM's speed drifts by tens of percent within seconds, so one round of each side says
// little. Each side runs ROUNDS rounds of every phase; the first is reported as "cold" (new
// database connections, backend caches, first plans, JIT) and left out of the figures the goals
// are judged on. Each later, steady round of the engine is compared with a raw graphile-worker
// round run just before it, and the goals are judged on the median of those ratios.
import { readFileSync } from 'node:fs';
import { withTenant } from '@weft/db';
import { createEngine, type PlanSpec, type ToolDefinition } from '@weft/engine';
import { createPlanVersion, createTestDatabase, createWorkspace } from '@weft/test-utils';
import { type JobHelpers, Logger, type Runner, run } from 'graphile-worker';
import pg from 'pg';

const STEPS = 600;
const CHAIN = 150;
const CONCURRENCY = 10;
const RUNS = 30;
/** Finished runs each of 10 workspaces has before the engine is measured (BENCH_ENGINE_HISTORY=0: none). */
const HISTORY_RUNS = 300;
/** Rounds per phase, the first of them cold. BENCH_ENGINE_ROUNDS=<n> changes it (at least 2). */
const ROUNDS = Math.max(2, Number(process.env.BENCH_ENGINE_ROUNDS ?? 6));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const median = (values: number[]) => percentile(values, 50);
const fmt = (n: number) => n.toFixed(2);

/** One timed phase: its rate (steps or jobs per second) and CPU per step of this process and of Postgres. */
interface Round {
  rate: number;
  nodeMs: number;
  pgMs: number | null;
}

const db = await createTestDatabase({ poolMax: 20 });
try {
  const queuePool = new pg.Pool({ connectionString: db.ownerUrl, max: CONCURRENCY + 3 });
  queuePool.on('error', () => {});
  queuePool.on('connect', (c) => c.on('error', () => {}));

  // CPU used by this process and by the bench database's backends (Linux /proc): steadier than
  // wall-clock rates on a shared machine. Approximate: a backend that exits during a phase takes
  // its CPU time with it.
  const cpuSample = async (): Promise<{ node: number; pg: Map<number, number> | null }> => {
    const usage = process.cpuUsage();
    let pgCpu: Map<number, number> | null = new Map();
    try {
      const { rows } = await queuePool.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      for (const { pid } of rows) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        pgCpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, 100 ticks/s
      }
    } catch {
      pgCpu = null;
    }
    return { node: (usage.user + usage.system) / 1000, pg: pgCpu };
  };
  /** Times `work` (which runs STEPS steps or jobs) with the CPU it took. */
  const timed = async (work: () => Promise<void>): Promise<Round> => {
    const from = await cpuSample();
    const start = performance.now();
    await work();
    const seconds = (performance.now() - start) / 1000;
    const to = await cpuSample();
    let pgMs: number | null = null;
    if (from.pg !== null && to.pg !== null) {
      pgMs = 0;
      for (const [pid, ms] of to.pg) pgMs += ms - (from.pg.get(pid) ?? 0);
      pgMs /= STEPS;
    }
    return { rate: STEPS / seconds, nodeMs: (to.node - from.node) / STEPS, pgMs };
  };

  // ---------------------------------------------------------------- raw graphile-worker
  let rawDone = 0;
  let rawAllDone: () => void = () => {};
  const rawChainMarks: Array<{ start: number; end: number }> = [];
  let chainFinished: () => void = () => {};
  const startRaw = (): Promise<Runner> =>
    run({
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
  const rawRound = (): Promise<Round> =>
    timed(async () => {
      rawDone = 0;
      const all = new Promise<void>((r) => {
        rawAllDone = r;
      });
      await queuePool.query(
        `SELECT graphile_worker.add_jobs(array_agg(ROW('noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec))
           FROM generate_series(1, $1)`,
        [STEPS],
      );
      await all;
    });
  const rawChainRound = async (): Promise<number[]> => {
    rawChainMarks.length = 0;
    const finished = new Promise<void>((r) => {
      chainFinished = r;
    });
    await queuePool.query(`SELECT graphile_worker.add_job('chain', '{"i":0}'::json)`);
    await finished;
    return rawChainMarks.slice(1).map((m, i) => m.start - (rawChainMarks[i]?.end ?? m.start));
  };

  // Raw's cold round and its chains come before the engine exists (its workers would wake at every
  // chained job's NOTIFY); raw's steady rounds alternate with the engine's below.
  const rawRounds: Round[] = [];
  const rawGaps: number[] = [];
  const runner = await startRaw();
  rawRounds.push(await rawRound());
  for (let r = 0; r < ROUNDS; r++) {
    const gaps = await rawChainRound();
    if (r > 0) rawGaps.push(...gaps);
  }
  await runner.stop();
  /** A steady raw round, its runner started and stopped around it (untimed). */
  const rawRoundAlone = async (): Promise<Round> => {
    const alone = await startRaw();
    try {
      return await rawRound();
    } finally {
      await alone.stop();
    }
  };

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
  const engine = createEngine({
    pools: db.pools,
    workerConcurrency: CONCURRENCY,
    stepLeaseMs: 15_000,
    // One workspace's share of the worker (default half, docs/operations.md "Fairness"): the
    // bench's runs are all of one workspace, so this shows what the share costs a lone workspace.
    ...(process.env.BENCH_WORKSPACE_SLOTS ? { workspaceSlots: Number(process.env.BENCH_WORKSPACE_SLOTS) } : {}),
  });
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
  const succeeded = async (executionId: string, what: string) => {
    const status = await finished(executionId);
    if (status !== 'SUCCEEDED') throw new Error(`${what} run ended ${status}`);
  };
  /**
   * HISTORY_RUNS finished runs of 20 steps in `workspaceId` and in 9 other workspaces, then ANALYZE.
   * One statement per workspace: test-utils' seedExecution writes a run at a time, far too slow
   * for 3,000 runs.
   */
  const seedHistory = async (workspaceId: string, planVersionId: string) => {
    const spaces = [{ workspaceId, planVersionId }];
    for (let i = 0; i < 9; i++) {
      const other = await createWorkspace(db.pools);
      spaces.push({ workspaceId: other.workspaceId, planVersionId: await versionOf(other.workspaceId, { steps: [] }) });
    }
    for (const space of spaces) {
      await db.pools.owner.query(
        `WITH e AS (
           INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, mode, last_seq, started_at, finished_at)
           SELECT v.workspace_id, v.plan_id, v.id, 'SUCCEEDED', 'LIVE', 42, now(), now()
             FROM plan_versions v, generate_series(1, $2) WHERE v.id = $1
           RETURNING workspace_id, id
         ), r AS (
           INSERT INTO step_runs (workspace_id, execution_id, step_id, status, attempts, fence, output, started_at, finished_at)
           SELECT e.workspace_id, e.id, 'm' || s, 'SUCCEEDED', 1, 1, '{}', now(), now() FROM e, generate_series(0, 19) s
         ), a AS (
           INSERT INTO step_attempts (workspace_id, execution_id, step_id, attempt, fence, status, tool, output, worker_id,
                                      finished_at, duration_ms)
           SELECT e.workspace_id, e.id, 'm' || s, 1, 1, 'SUCCEEDED', 'bench.noop@1.0.0', '{}', 'w', now(), 0.1
             FROM e, generate_series(0, 19) s
         )
         INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
         SELECT e.workspace_id, e.id, n, 'step.succeeded', 'm' || (n % 20), '{}' FROM e, generate_series(1, 42) n`,
        [space.planVersionId, HISTORY_RUNS],
      );
    }
    await db.pools.owner.query('ANALYZE');
  };
  // Saving a plan version is not step execution: it happens before the clock starts. Starting the
  // execution (the engine's counterpart of raw graphile-worker's add_jobs) is timed.
  const versionOf = (workspaceId: string, spec: PlanSpec) => createPlanVersion(db.pools, workspaceId, spec);
  const startVersion = (planVersionId: string) =>
    withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      engine.startExecution(c, ws.workspaceId, { planVersionId, actor: { userId: ws.userId, role: 'ADMIN' } }),
    );

  const fanVersion = await versionOf(ws.workspaceId, {
    concurrency: CONCURRENCY,
    steps: Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, tool: 'bench.noop' })),
  });
  // The same number of steps spread over many executions: steps of different executions do not
  // wait for each other's execution-row lock, but each execution is started and ended.
  const smallVersion = await versionOf(ws.workspaceId, {
    concurrency: 5,
    steps: Array.from({ length: STEPS / RUNS }, (_, i) => ({ id: `m${i}`, tool: 'bench.noop' })),
  });
  const chainVersion = await versionOf(ws.workspaceId, {
    steps: Array.from({ length: CHAIN }, (_, i) => ({
      id: `c${i}`,
      tool: 'bench.noop',
      ...(i > 0 ? { after: [`c${i - 1}`] } : {}),
    })),
  });
  // A running server's tables hold history, and Postgres has statistics about them (autovacuum
  // analyzes them): statements are planned for that, not for the empty, never-analyzed tables of
  // a fresh database. So the engine's tables get finished runs of this and other workspaces first.
  if (process.env.BENCH_ENGINE_HISTORY !== '0') await seedHistory(ws.workspaceId, smallVersion);
  const fanRound = () =>
    timed(async () => {
      const { executionId } = await startVersion(fanVersion);
      await succeeded(executionId, 'fan-out');
    });
  const manyRound = () =>
    timed(async () => {
      const many = await Promise.all(Array.from({ length: RUNS }, () => startVersion(smallVersion)));
      for (const { executionId } of many) await succeeded(executionId, 'small');
    });
  const chainRound = async (): Promise<number[]> => {
    const { executionId } = await startVersion(chainVersion);
    await succeeded(executionId, 'chain');
    const gaps: number[] = [];
    for (let i = 1; i < CHAIN; i++) {
      const prev = marks.get(`${executionId}/c${i - 1}`);
      const cur = marks.get(`${executionId}/c${i}`);
      if (prev !== undefined && cur !== undefined) gaps.push(cur.start - prev.end);
    }
    return gaps;
  };
  const fanRounds: Round[] = [];
  const manyRounds: Round[] = [];
  const gaps: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Each steady round measures raw right before the engine: the machine's speed drifts.
    if (r > 0) rawRounds.push(await rawRoundAlone());
    fanRounds.push(await fanRound());
    manyRounds.push(await manyRound());
    const chainGaps = await chainRound();
    if (r > 0) gaps.push(...chainGaps);
  }
  watch.abort();
  await watching.catch(() => {});
  await engine.stop();
  await queuePool.end();

  // ---------------------------------------------------------------- report
  const cpu = (rounds: Round[]) => {
    const pgMs = rounds.map((r) => r.pgMs).filter((v): v is number => v !== null);
    return `CPU/step node ${fmt(median(rounds.map((r) => r.nodeMs)))} ms${pgMs.length === 0 ? '' : `, postgres ${fmt(median(pgMs))} ms`}`;
  };
  const rates = (rounds: Round[]) => rounds.map((r) => r.rate.toFixed(0)).join(', ');
  const pct = (ratio: number) => `${fmt(ratio * 100)} %`;
  const line = (label: string, rounds: Round[], goal: string) => {
    const ratios = rounds.map((round, i) => round.rate / (rawRounds[i]?.rate ?? Number.NaN));
    const steady = ratios.slice(1);
    return [
      `  ${label}: ${fmt(median(rounds.slice(1).map((r) => r.rate)))}/s; ${pct(median(steady))} of raw${goal}  (${cpu(rounds.slice(1))})`,
      `    steady rounds ${rates(rounds.slice(1))} (${steady.map(pct).join(', ')}); cold round ${rounds[0]?.rate.toFixed(0)}/s (${pct(ratios[0] ?? Number.NaN)})`,
    ].join('\n');
  };
  process.stdout.write(
    [
      `no-op throughput (${STEPS} jobs/steps a round, worker concurrency ${CONCURRENCY}; ${ROUNDS - 1} steady rounds, each against the raw round just before it; medians):`,
      `  raw graphile-worker: ${fmt(median(rawRounds.slice(1).map((r) => r.rate)))} jobs/s  (${cpu(rawRounds.slice(1))})`,
      `    steady rounds ${rates(rawRounds.slice(1))}; cold round ${rawRounds[0]?.rate.toFixed(0)}/s`,
      line(`weft engine, one execution (concurrency ${CONCURRENCY})`, fanRounds, ' (goal ≥ 50 %)'),
      line(`weft engine, ${RUNS} executions × ${STEPS / RUNS} steps (concurrency 5)`, manyRounds, ' (goal ≥ 50 %)'),
      `scheduling overhead per step (previous step's end → next step's start; chains of ${CHAIN}, steady rounds pooled):`,
      `  raw graphile-worker chained jobs: p50 ${fmt(percentile(rawGaps, 50))} ms, p99 ${fmt(percentile(rawGaps, 99))} ms`,
      `  weft engine:                      p50 ${fmt(percentile(gaps, 50))} ms, p99 ${fmt(percentile(gaps, 99))} ms (goal p50 ≤ 5 ms)`,
      '',
    ].join('\n'),
  );
} finally {
  await db.drop();
}
