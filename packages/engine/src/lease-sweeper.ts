/**
 * Notices workers that died mid-step. Leases live in `step_leases` (no RLS, owner-only), so one
 * owner-pool query finds expired ones in every workspace; each is then recovered in a tenant
 * transaction through the app pool: the attempt becomes LOST, the step gets a new fence and a new
 * job (a map tool item's lease: `recoverItem`, the same with the item's row). Several sweepers may
 * run (one per worker process): the fence check makes them idempotent.
 */
import { withTenant } from '@weft/db';
import { recoverItem } from './map-step.ts';
import { releaseLocks } from './resource-locks.ts';
import type { Runtime } from './runtime.ts';
import { StepErrorCode } from './step-error.ts';
import { redispatch } from './step-retry.ts';
import { appendEvents, enqueue, loadStepRun, lockExecution, workerScope, workerTx } from './store.ts';
import { Task } from './tasks.ts';
import type { TenantClient } from './types.ts';

interface ExpiredLease {
  workspace_id: string;
  execution_id: string;
  step_id: string;
  kind: 'run' | 'compensate' | 'item';
  fence: number;
  worker_id: string;
}

/** One pass: recovers every lease that has expired. Returns how many it looked at. */
export async function sweepLeases(rt: Runtime): Promise<number> {
  const { rows } = await rt.pools.owner.query<ExpiredLease>(
    `SELECT workspace_id, execution_id, step_id, kind, fence, worker_id FROM step_leases
      WHERE expires_at < clock_timestamp() ORDER BY expires_at LIMIT 100`,
  );
  for (const lease of rows) {
    try {
      await withTenant(
        rt.pools.app,
        workerScope(lease.workspace_id),
        (_client, tx) => recover(rt, tx, lease),
        workerTx(rt.publish),
      );
    } catch (err) {
      rt.logger.error({ err, lease }, 'lease recovery failed; will retry on the next sweep');
    }
  }
  return rows.length;
}

async function recover(rt: Runtime, client: TenantClient, lease: ExpiredLease): Promise<void> {
  if (lease.kind === 'item') {
    if (await recoverItem(rt, client, lease))
      rt.logger.warn({ ...lease }, 'map item lease expired: item re-dispatched');
    return;
  }
  if (lease.kind === 'compensate') {
    await recoverCompensation(rt, client, lease);
    return;
  }
  // Step row first, execution row last: the order every worker transaction uses (store.ts).
  const { rows } = await client.query<{ fence: number; status: string }>(
    'SELECT fence, status FROM step_runs WHERE execution_id = $1 AND step_id = $2 FOR UPDATE',
    [lease.execution_id, lease.step_id],
  );
  const run = rows[0];
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [lease.execution_id, lease.step_id, lease.fence]);
  // QUEUED: a queued lease (its job was never begun); RUNNING: a begun attempt's.
  if (run === undefined || run.fence !== lease.fence || (run.status !== 'RUNNING' && run.status !== 'QUEUED')) return;
  const hadAttempt = await markLost(rt, client, lease);
  await redispatch(
    rt,
    client,
    { w: lease.workspace_id, e: lease.execution_id, s: lease.step_id, f: lease.fence },
    {
      // A lost attempt is the worker's fault, not the tool's: it does not count against maxAttempts.
      spendAttempt: !hadAttempt,
      runAt: null,
      event: { type: 'step.lost', stepId: lease.step_id, data: { worker: lease.worker_id, started: hadAttempt } },
    },
  );
  rt.logger.warn({ ...lease }, 'step lease expired: step re-dispatched');
}

/** Marks the lease's running attempt LOST; false when the step had not started (queued lease). */
async function markLost(rt: Runtime, client: TenantClient, lease: ExpiredLease): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE step_attempts SET status = 'LOST', finished_at = now(),
            error = 'lease expired: worker ' || worker_id || ' stopped heartbeating',
            error_detail = jsonb_build_object('code', $5::text, 'retriable', true,
                                              'message', 'lease expired: worker ' || worker_id || ' stopped heartbeating')
      WHERE execution_id = $1 AND step_id = $2 AND kind = $3 AND fence = $4 AND status = 'RUNNING'`,
    [lease.execution_id, lease.step_id, lease.kind, lease.fence, StepErrorCode.LEASE_EXPIRED],
  );
  await releaseLocks(rt, client, lease.workspace_id, null, `${lease.execution_id}/${lease.step_id}/`);
  return (rowCount ?? 0) > 0;
}

/** Rollback transactions lock the execution first, so this one does too. */
async function recoverCompensation(rt: Runtime, client: TenantClient, lease: ExpiredLease): Promise<void> {
  const exec = await lockExecution(client, lease.execution_id);
  const run = exec === null ? null : await loadStepRun(client, lease.execution_id, lease.step_id);
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [lease.execution_id, lease.step_id, lease.fence]);
  if (exec === null || run === null || run.fence !== lease.fence || exec.status !== 'ROLLING_BACK') return;
  await markLost(rt, client, lease);
  await client.query('UPDATE step_runs SET fence = fence + 1 WHERE execution_id = $1 AND step_id = $2', [
    lease.execution_id,
    lease.step_id,
  ]);
  await appendEvents(client, lease.workspace_id, lease.execution_id, [
    { type: 'step.lost', stepId: lease.step_id, data: { worker: lease.worker_id, compensate: true } },
  ]);
  await enqueue(client, Task.compensate, [{ w: lease.workspace_id, e: lease.execution_id }]);
  rt.logger.warn({ ...lease }, 'compensation lease expired: rollback resumes');
}
