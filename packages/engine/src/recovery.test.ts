import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from './engine.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('recovery', () => {
  it('re-dispatches a step whose job a worker took but never started (queued lease)', async () => {
    const engine = createEngine({ pools: db.pools, stepLeaseMs: 1000, queuedLeaseMs: 400, pollIntervalMs: 200 });
    try {
      const ws = await createWorkspace(db.pools);
      const executionId = await startRun(db.pools, engine, ws, {
        steps: [{ id: 'only', tool: 'core.echo', input: { v: 1 } }],
      });
      // A worker took the job and died before its first transaction: graphile-worker keeps such a
      // job locked for 4 hours.
      const { rowCount } = await db.pools.owner.query(
        `UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'dead-worker'
          WHERE task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'weft.step')`,
      );
      expect(rowCount).toBe(1);
      await engine.startWorkers(1);
      const done = await waitForExecution(db.pools, ws.workspaceId, executionId);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.steps.only?.attempts).toBe(1);
      expect(done.events.find((e) => e.type === 'step.lost')?.data).toMatchObject({ started: false });
    } finally {
      await engine.stop();
    }
  });

  it('a worker stopping gracefully hands its running step back without spending an attempt', async () => {
    const first = createEngine({ pools: db.pools, stepLeaseMs: 1000, pollIntervalMs: 200 });
    const ws = await createWorkspace(db.pools);
    await first.startWorkers(1);
    const executionId = await startRun(db.pools, first, ws, {
      steps: [{ id: 'slow', tool: 'core.sleep', input: { ms: 1500 } }],
    });
    await eventually(async () => {
      const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
        c.query(`SELECT 1 FROM step_attempts WHERE execution_id = $1 AND status = 'RUNNING'`, [executionId]),
      );
      return rows.length > 0 ? true : undefined;
    });
    await first.stop();
    const second = createEngine({ pools: db.pools, stepLeaseMs: 1000, pollIntervalMs: 200 });
    try {
      await second.startWorkers(1);
      const done = await waitForExecution(db.pools, ws.workspaceId, executionId);
      expect(done.status).toBe('SUCCEEDED');
      const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
        c.query<{ status: string }>(`SELECT status FROM step_attempts WHERE execution_id = $1 ORDER BY attempt`, [
          executionId,
        ]),
      );
      expect(rows.map((r) => r.status)).toEqual(['LOST', 'SUCCEEDED']);
    } finally {
      await second.stop();
    }
  });
});
