// Parked steps (`type: "sleep"` / `type: "wait"`) at scale, with their goals (docs/perf/README.md):
//  - 10,000 runs parked on a sleep or a wait hold no worker slot: a probe run's step still runs;
//  - an idle worker's CPU (this process and PostgreSQL) does not grow with the parked runs: no
//    polling per parked run (measured with none parked, then with 10,000);
//  - 1,000 sleeps due in the same second wake with p99 lateness ≤ 1 s.
// Wake-ups ride graphile-worker jobs queued with `run_at` (one per parked step), found by the
// worker's poll (`pollIntervalMs`, default 1 s) through graphile-worker's own index on run_at.
import { readFileSync } from 'node:fs';
import { withTenant } from '@weft/db';
import { createEngine, type PlanSpec } from '@weft/engine';
import { createPlanVersion, createTestDatabase, createWorkspace } from '@weft/test-utils';

const PARKED = 10_000;
const DUE_TOGETHER = 1000;
const IDLE_SECONDS = 10;
const START_BATCH = 100;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const line = (what: string, value: string, goal: string, ok: boolean) =>
  process.stdout.write(`${what.padEnd(58)} ${value.padStart(14)}   goal ${goal}  ${ok ? 'ok' : 'MISSED'}\n`);

const db = await createTestDatabase({ poolMax: 12 });
const engine = createEngine({ pools: db.pools, workerConcurrency: 5 });
let missed = 0;
try {
  const ws = await createWorkspace(db.pools);
  await engine.startWorkers(1);
  const actor = { userId: ws.userId, role: 'ADMIN' as const };
  const version = (spec: PlanSpec) => createPlanVersion(db.pools, ws.workspaceId, spec);
  /** Starts `count` runs of a version, `START_BATCH` per transaction; inputs by index. */
  const startMany = async (planVersionId: string, count: number, input: (i: number) => unknown) => {
    const ids: string[] = [];
    for (let from = 0; from < count; from += START_BATCH) {
      const batch = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (c) => {
        const out: string[] = [];
        for (let i = from; i < Math.min(count, from + START_BATCH); i++) {
          const { executionId } = await engine.startExecution(c, ws.workspaceId, {
            planVersionId,
            input: input(i),
            actor,
          });
          out.push(executionId);
        }
        return out;
      });
      ids.push(...batch);
    }
    return ids;
  };
  const count = async (sql: string, values: unknown[] = []) =>
    Number((await db.pools.owner.query<{ n: string }>(sql, values)).rows[0]?.n ?? 0);

  /**
   * CPU (ms) used by this process and by the bench database's backends over `seconds` of idling,
   * and the database's transactions in that time (a poller per parked run would show in both).
   */
  const idleCpu = async (seconds: number) => {
    const pgCpu = async () => {
      const { rows } = await db.pools.owner.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      const byPid = new Map<number, number>();
      for (const { pid } of rows) {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          byPid.set(pid, (Number(f[11]) + Number(f[12])) * 10);
        } catch {
          // the backend exited meanwhile
        }
      }
      return byPid;
    };
    const transactions = () =>
      count('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    const tx0 = await transactions();
    const node0 = process.cpuUsage();
    const pg0 = await pgCpu();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const node1 = process.cpuUsage(node0);
    const pg1 = await pgCpu();
    let pgMs = 0;
    for (const [pid, ms] of pg1) pgMs += ms - (pg0.get(pid) ?? ms);
    // pg_stat_database lags by up to its flush interval: a second's pause before reading it again.
    await new Promise((r) => setTimeout(r, 1000));
    const txs = (await transactions()) - tx0;
    return { nodeMs: (node1.user + node1.system) / 1000, pgMs, txs };
  };

  // ------------------------------------------------------------ idle CPU with nothing parked
  const empty = await idleCpu(IDLE_SECONDS);

  // ------------------------------------------------------------ 10,000 parked runs
  const sleepVersion = await version({ steps: [{ id: 'nap', type: 'sleep', durationMs: 3_600_000 }] });
  const waitVersion = await version({
    steps: [{ id: 'pay', type: 'wait', event: 'order.paid', match: { orderId: '{{ input.orderId }}' } }],
  });
  const t0 = performance.now();
  await startMany(sleepVersion, PARKED / 2, () => ({}));
  await startMany(waitVersion, PARKED / 2, (i) => ({ orderId: `o-${i}` }));
  const startSeconds = (performance.now() - t0) / 1000;
  const parked = await count(`SELECT count(*) AS n FROM parked_steps`);
  const leases = await count(`SELECT count(*) AS n FROM step_leases`);
  process.stdout.write(
    `started ${PARKED} parked runs in ${startSeconds.toFixed(1)} s (${(PARKED / startSeconds).toFixed(0)} runs/s)\n`,
  );
  line('parked steps in the database', String(parked), `= ${PARKED}`, parked === PARKED);
  missed += parked === PARKED ? 0 : 1;
  line('worker slots (leases) held by parked steps', String(leases), '= 0', leases === 0);
  missed += leases === 0 ? 0 : 1;

  // A probe run on the same worker (5 slots) while all of them wait.
  const probe = await version({ steps: [{ id: 'hello', tool: 'core.echo', input: {} }] });
  const p0 = performance.now();
  const [probeId] = await startMany(probe, 1, () => ({}));
  for (;;) {
    const done = await count(`SELECT count(*) AS n FROM executions WHERE id = $1 AND status = 'SUCCEEDED'`, [probeId]);
    if (done === 1) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const probeMs = performance.now() - p0;
  line('probe run (one echo step) while all are parked, ms', probeMs.toFixed(0), '≤ 1000', probeMs <= 1000);
  missed += probeMs <= 1000 ? 0 : 1;

  const full = await idleCpu(IDLE_SECONDS);
  const perSecond = (ms: number) => ms / IDLE_SECONDS;
  process.stdout.write(
    `idle, nothing parked: node ${perSecond(empty.nodeMs).toFixed(1)} ms/s CPU, postgres ${perSecond(empty.pgMs).toFixed(1)} ms/s CPU, ${perSecond(empty.txs).toFixed(1)} transactions/s\n`,
  );
  process.stdout.write(
    `idle, ${PARKED} parked:   node ${perSecond(full.nodeMs).toFixed(1)} ms/s CPU, postgres ${perSecond(full.pgMs).toFixed(1)} ms/s CPU, ${perSecond(full.txs).toFixed(1)} transactions/s\n`,
  );
  const txFlat = full.txs <= 2 * empty.txs + 2 * IDLE_SECONDS;
  line(
    `idle database transactions/s with ${PARKED} parked / with none`,
    `${perSecond(full.txs).toFixed(1)}/${perSecond(empty.txs).toFixed(1)}`,
    '≤ 2× + 2/s',
    txFlat,
  );
  missed += txFlat ? 0 : 1;
  // "Grows with parked runs": more than double the idle cost plus a 5 ms/s allowance for noise.
  const before = empty.nodeMs + empty.pgMs;
  const after = full.nodeMs + full.pgMs;
  const flat = after <= 2 * before + 5 * IDLE_SECONDS;
  line(
    `idle CPU with ${PARKED} parked / with none`,
    `${perSecond(after).toFixed(1)}/${perSecond(before).toFixed(1)} ms/s`,
    '≤ 2× + 5 ms/s',
    flat,
  );
  missed += flat ? 0 : 1;

  // ------------------------------------------------------------ 1,000 sleeps due in the same second
  const untilVersion = await version({ steps: [{ id: 'nap', type: 'sleep', until: '{{ input.at }}' }] });
  // Spread over one second, one every millisecond: several wake buckets, as real due times fall.
  const due = new Date(Date.now() + 30_000);
  due.setMilliseconds(0);
  const ids = await startMany(untilVersion, DUE_TOGETHER, (i) => ({
    at: new Date(due.getTime() + (i % 1000)).toISOString(),
  }));
  if (Date.now() >= due.getTime()) throw new Error('starting the sleeps took longer than their due time');
  for (;;) {
    const left = await count(
      `SELECT count(*) AS n FROM executions WHERE id = ANY($1::uuid[]) AND status <> 'SUCCEEDED'`,
      [ids],
    );
    if (left === 0) break;
    if (Date.now() > due.getTime() + 120_000) throw new Error(`${left} sleeps still asleep 2 min after their due time`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const { rows } = await db.pools.owner.query<{ late_ms: number }>(
    `SELECT extract(epoch FROM (ev.at - (x.input ->> 'at')::timestamptz)) * 1000 AS late_ms
       FROM execution_events ev JOIN executions x ON x.workspace_id = ev.workspace_id AND x.id = ev.execution_id
      WHERE ev.execution_id = ANY($1::uuid[]) AND ev.step_id = 'nap' AND ev.type = 'step.succeeded'`,
    [ids],
  );
  const late = rows.map((r) => Number(r.late_ms));
  const p99 = percentile(late, 99);
  process.stdout.write(
    `${DUE_TOGETHER} sleeps due at once: lateness p50 ${percentile(late, 50).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...late).toFixed(0)} ms, earliest ${Math.min(...late).toFixed(0)} ms\n`,
  );
  line(
    `wake-up lateness p99, ${DUE_TOGETHER} sleeps due in the same second, ms`,
    p99.toFixed(0),
    '≤ 1000',
    p99 <= 1000,
  );
  missed += p99 <= 1000 ? 0 : 1;
  if (Math.min(...late) < 0) {
    process.stdout.write('a sleep woke before its due time\n');
    missed++;
  }
} finally {
  await engine.stop();
  await db.drop();
}
process.stdout.write(missed === 0 ? 'all goals met\n' : `${missed} goal(s) missed\n`);
process.exit(missed === 0 ? 0 : 1);
