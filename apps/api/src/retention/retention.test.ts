import { withTenant } from '@weft/db';
import { createEngine, type Engine, type PlanSpec } from '@weft/engine';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  seedExecution,
  seedPlan,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { parseCronItems } from 'graphile-worker';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntimeMetrics } from '../ops-metrics.ts';
import { pruneHistory } from './prune-history.ts';
import { createRetentionTask, RETENTION_CRON, RETENTION_TASK } from './retention-task.ts';

// Real runs (steps, attempts, events written by the engine) made old by moving their dates back
// with the owner pool, then pruned across two workspaces.

const TWO_STEPS: PlanSpec = {
  steps: [
    { id: 'a', tool: 'core.echo', input: { v: 1 } },
    { id: 'b', tool: 'core.echo', input: { v: '{{ steps.a.output.v }}' } },
  ],
};

let db: TestDatabase;
let engine: Engine;
const registry = new Registry();
const metrics = createRuntimeMetrics(registry);

beforeAll(async () => {
  db = await createTestDatabase();
  engine = createEngine({
    pools: db.pools,
    pollIntervalMs: 100,
    tasks: {
      [RETENTION_TASK]: createRetentionTask({
        pools: db.pools,
        options: { executionDays: 30, auditDays: 365, batchSize: 2, pauseMs: 0 },
        logger: pino({ level: 'silent' }),
        metrics,
      }),
    },
  });
  await engine.startWorkers(1);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

async function finishedRun(ws: { workspaceId: string; userId: string }): Promise<string> {
  const id = await startRun(db.pools, engine, ws, TWO_STEPS);
  expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
  return id;
}

async function age(table: 'executions' | 'audit_log', ids: string[], days: number): Promise<void> {
  const column = table === 'executions' ? 'finished_at' : 'at';
  await db.pools.owner.query(`UPDATE ${table} SET ${column} = now() - make_interval(days => $2) WHERE id = ANY($1)`, [
    ids,
    days,
  ]);
}

/** Rows left for an execution in every table keyed by it (owner pool: sees every workspace). */
async function rowsOf(executionId: string): Promise<Record<string, number>> {
  const { rows } = await db.pools.owner.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM executions WHERE id = $1)::int AS executions,
            (SELECT count(*) FROM step_runs WHERE execution_id = $1)::int AS step_runs,
            (SELECT count(*) FROM step_attempts WHERE execution_id = $1)::int AS step_attempts,
            (SELECT count(*) FROM execution_events WHERE execution_id = $1)::int AS execution_events`,
    [executionId],
  );
  return rows[0] ?? {};
}

async function audit(workspaceId: string, action: string): Promise<string> {
  return withTenant(db.pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO audit_log (workspace_id, action) VALUES ($1, $2) RETURNING id',
      [workspaceId, action],
    );
    return rows[0]?.id ?? '';
  });
}

async function auditLeft(ids: string[]): Promise<string[]> {
  const { rows } = await db.pools.owner.query<{ id: string }>('SELECT id FROM audit_log WHERE id = ANY($1)', [ids]);
  return rows.map((r) => r.id).sort();
}

describe('retention', () => {
  it('removes old finished runs and old audit rows of every workspace, and nothing else', async () => {
    const a = await createWorkspace(db.pools);
    const b = await createWorkspace(db.pools);
    const oldA = [await finishedRun(a), await finishedRun(a), await finishedRun(a)];
    const recentA = await finishedRun(a);
    const oldB = await finishedRun(b);
    const recentB = await finishedRun(b);
    // A run that started long ago and is still going (no finished_at), and one just past the limit's edge.
    const longRunning = await withTenant(db.pools.app, { workspaceId: a.workspaceId }, async (client) => {
      const plan = await seedPlan(client, a.workspaceId, 'long');
      return seedExecution(
        client,
        a.workspaceId,
        { planId: plan.planId, versionId: plan.versionIds[0] ?? '' },
        {
          status: 'RUNNING',
          startedAt: new Date(Date.now() - 90 * 86_400_000),
          steps: [{ stepId: 's', tool: 'core.echo', attempts: [{ status: 'SUCCEEDED', durationMs: 5 }] }],
        },
      );
    });
    await age('executions', [...oldA, oldB], 31);
    await age('executions', [recentA, recentB], 29);
    const oldAudit = [await audit(a.workspaceId, 'old.a'), await audit(b.workspaceId, 'old.b')];
    const keptAudit = [await audit(a.workspaceId, 'recent.a'), await audit(b.workspaceId, 'recent.b')];
    await age('audit_log', oldAudit, 366);
    await age('audit_log', [keptAudit[0] ?? ''], 364);
    const before = await rowsOf(oldA[0] ?? '');
    expect(before).toMatchObject({ executions: 1, step_runs: 2, step_attempts: 2 });
    const kept = {
      recentA: await rowsOf(recentA),
      recentB: await rowsOf(recentB),
      longRunning: await rowsOf(longRunning),
    };
    const { rows: plansBefore } = await db.pools.owner.query('SELECT id FROM plan_versions ORDER BY id');

    const pruned = await pruneHistory(db.pools, { executionDays: 30, auditDays: 365, batchSize: 2, pauseMs: 0 });

    for (const id of [...oldA, oldB]) {
      expect(await rowsOf(id)).toEqual({ executions: 0, step_runs: 0, step_attempts: 0, execution_events: 0 });
    }
    expect(await rowsOf(recentA)).toEqual(kept.recentA);
    expect(await rowsOf(recentB)).toEqual(kept.recentB);
    expect(await rowsOf(longRunning)).toEqual(kept.longRunning);
    expect(await auditLeft([...oldAudit, ...keptAudit])).toEqual([...keptAudit].sort());
    expect(pruned).toMatchObject({
      executions: 4,
      step_runs: 8,
      step_attempts: 8,
      execution_events: 4 * (before.execution_events ?? 0),
      audit_log: 2,
    });
    // Plans and versions are never pruned, even when every run of a version is gone.
    const { rows: plansAfter } = await db.pools.owner.query('SELECT id FROM plan_versions ORDER BY id');
    expect(plansAfter).toEqual(plansBefore);

    // Nothing old is left: a second pass removes nothing.
    expect(await pruneHistory(db.pools, { executionDays: 30, auditDays: 365 })).toMatchObject({
      executions: 0,
      audit_log: 0,
    });
  });

  it('stops before its next batch when its signal aborts (a worker shutting down)', async () => {
    const ws = await createWorkspace(db.pools);
    const old = [await finishedRun(ws), await finishedRun(ws), await finishedRun(ws)];
    await age('executions', old, 60);
    const stop = new AbortController();
    const pruned = await pruneHistory(
      db.pools,
      { executionDays: 30, auditDays: 0, batchSize: 1, pauseMs: 0, signal: stop.signal },
      () => stop.abort(),
    );
    expect(pruned.executions).toBe(1);
    const left = await Promise.all(old.map(async (id) => (await rowsOf(id)).executions ?? 0));
    expect(left.reduce((a, b) => a + b, 0)).toBe(2);
    // The next pass goes on.
    expect((await pruneHistory(db.pools, { executionDays: 30, auditDays: 0 })).executions).toBe(2);
  });

  it('keeps everything when the retention is 0 days', async () => {
    const ws = await createWorkspace(db.pools);
    const old = await finishedRun(ws);
    await age('executions', [old], 3650);
    const pruned = await pruneHistory(db.pools, { executionDays: 0, auditDays: 0 });
    expect(pruned.executions).toBe(0);
    expect((await rowsOf(old)).executions).toBe(1);
  });

  it('runs as the weft.retention job on the queue and counts what it removed', async () => {
    const ws = await createWorkspace(db.pools);
    const old = await finishedRun(ws);
    await age('executions', [old], 45);
    const counted = async () => (await registry.getSingleMetric('weft_retention_pruned_rows_total')?.get())?.values;
    const before = (await counted())?.find((v) => v.labels.table === 'executions')?.value ?? 0;
    // The job covers the whole deployment: earlier tests' old runs count too.
    const { rows } = await db.pools.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM executions WHERE finished_at < now() - interval '30 days'`,
    );
    const due = rows[0]?.n ?? 0;
    expect(due).toBeGreaterThanOrEqual(1);
    await db.pools.owner.query(`SELECT graphile_worker.add_job($1, '{}'::json, queue_name => 'weft-retention')`, [
      RETENTION_TASK,
    ]);
    await eventually(async () => ((await rowsOf(old)).executions === 0 ? true : undefined), 15_000, 'old run pruned');
    const after = await eventually(async () => {
      const value = (await counted())?.find((v) => v.labels.table === 'executions')?.value ?? 0;
      return value >= before + due ? value : undefined;
    });
    expect(after).toBe(before + due);
  });

  it("goes on with the other workspaces when one workspace's batch fails, and reports it", async () => {
    const stuck = await createWorkspace(db.pools);
    const fine = await createWorkspace(db.pools);
    const blocked = await finishedRun(stuck);
    const free = await finishedRun(fine);
    await age('executions', [blocked, free], 60);
    // A table that references runs without a cascade (as a later migration might add) blocks the delete.
    await db.pools.owner.query(`CREATE TABLE retention_blocker (workspace_id uuid, execution_id uuid,
      FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id))`);
    try {
      await db.pools.owner.query('INSERT INTO retention_blocker VALUES ($1, $2)', [stuck.workspaceId, blocked]);
      await expect(pruneHistory(db.pools, { executionDays: 30, auditDays: 0, pauseMs: 0 })).rejects.toThrow(
        /retention failed in 1 workspace/,
      );
      expect((await rowsOf(free)).executions).toBe(0);
      expect(await rowsOf(blocked)).toMatchObject({ executions: 1, step_runs: 2 });
    } finally {
      await db.pools.owner.query('DROP TABLE retention_blocker');
    }
  });

  it('is scheduled hourly, one pass at a time', () => {
    const [item] = parseCronItems([RETENTION_CRON]);
    expect(item?.task).toBe(RETENTION_TASK);
    expect(item?.identifier).toBe(RETENTION_TASK);
    expect(item?.options.queueName).toBe('weft-retention');
    expect(item?.options.jobKey).toBe('weft-retention');
  });
});
