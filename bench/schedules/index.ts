// Schedule tick lateness: how long after its cron time a tick's run has started (`fired_at -
// scheduled_for` of `schedule_runs`), with two tickers (as two processes) competing for the same
// schedules. Goal (docs/perf/README.md "Goals"): p99 ≤ 200 ms. Also checks that no tick was fired
// twice. Two loads: a steady one (10 schedules every second, judged against the goal) and a burst
// (40 schedules whose ticks all fall on the same second, shown for what it costs: ticks due at
// one instant are taken a few at a time). BENCH_SCHEDULES_SECONDS=<s> per load (default 12).
import { createEngine, type Engine, type PlanSpec } from '@weft/engine';
import { createPlanVersion, createTestDatabase, createWorkspace } from '@weft/test-utils';

const SECONDS = Math.max(3, Number(process.env.BENCH_SCHEDULES_SECONDS ?? 12));
const WORKSPACES = 4;
const GOAL_P99_MS = 200;
const WARMUP_S = 2;

const spec: PlanSpec = { name: 'tick', steps: [{ id: 'echo', tool: 'core.echo', input: { at: '{{ input.at }}' } }] };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(label: string, schedules: number, judged: boolean): Promise<boolean> {
  const db = await createTestDatabase({ poolMax: 20 });
  const engines: Engine[] = [];
  try {
    for (let w = 0; w < WORKSPACES; w++) {
      const ws = await createWorkspace(db.pools);
      for (let i = w; i < schedules; i += WORKSPACES) {
        const versionId = await createPlanVersion(db.pools, ws.workspaceId, spec);
        // Rows as createSchedule writes them; the first tick is the next whole second.
        await db.pools.owner.query(
          `INSERT INTO schedules (workspace_id, plan_id, cron, timezone, input, overlap, next_run_at)
           SELECT $1, plan_id, '* * * * * *', 'UTC', '{"at":"tick"}', 'ALLOW_ALL', date_trunc('second', now()) + interval '2 s'
             FROM plan_versions WHERE id = $2`,
          [ws.workspaceId, versionId],
        );
      }
    }
    // No workers: the figure is the tick's claim and start, not the step's run.
    for (let i = 0; i < 2; i++) {
      const engine = createEngine({
        pools: db.pools,
        workerId: `bench-ticker-${i}`,
      });
      engine.startScheduleTicker();
      engines.push(engine);
    }
    const started = Date.now();
    await new Promise((r) => setTimeout(r, (SECONDS + 2) * 1000));
    await Promise.all(engines.map((e) => e.stop()));

    // The first WARMUP_S seconds of ticks are left out of the figures (new connections, first
    // plans, prepared statements), as the engine bench leaves out its cold round; duplicates count
    // over all of them.
    const { rows } = await db.pools.owner.query<{ late_ms: number; dup: boolean; warm: boolean }>(
      `SELECT extract(epoch FROM fired_at - scheduled_for) * 1000 AS late_ms,
              count(*) OVER (PARTITION BY schedule_id, scheduled_for) > 1 AS dup,
              scheduled_for >= min(scheduled_for) OVER () + make_interval(secs => $1) AS warm
         FROM schedule_runs`,
      [WARMUP_S],
    );
    const late = rows.filter((r) => r.warm).map((r) => Number(r.late_ms));
    const duplicates = rows.filter((r) => r.dup).length;
    const p50 = percentile(late, 50);
    const p99 = percentile(late, 99);
    const expected = schedules * SECONDS;
    process.stdout.write(
      `  ${label}: ${schedules} schedules every second, 2 tickers, ${((Date.now() - started) / 1000).toFixed(0)} s: ` +
        `${rows.length} ticks (≈${expected} expected), ${duplicates} fired twice, ${late.length} after warm-up\n` +
        `  tick lateness p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...late).toFixed(1)} ms; ` +
        (judged ? `goal p99 ≤ ${GOAL_P99_MS} ms: ${p99 <= GOAL_P99_MS ? 'OK' : 'ABOVE GOAL'}` : '(not judged)') +
        '\n',
    );
    return duplicates === 0;
  } finally {
    await Promise.all(engines.map((e) => e.stop()));
    await db.drop();
  }
}

const steady = await measure('steady', 10, true);
const burst = await measure('burst', 40, false);
if (!steady || !burst) process.exitCode = 1;
