/**
 * A step's next dispatch after an attempt that did not end it: the retry delay, a new fence, and
 * the job queued again under the execution's lock (or the step parked or ended, if the run was
 * paused or closed meanwhile). Used by finishes (step-finish.ts) and the lease sweeper.
 */
import type { Runtime } from './runtime.ts';
import { takeQueueLease } from './sql/leases.ts';
import { bumpStepFence, setStepStatus } from './sql/step-rows.ts';
import type { StepError } from './step-error.ts';
import { type ExecutionRow, enqueue, lockAndAppend, type NewEvent } from './store.ts';
import { type StepJob, Task } from './tasks.ts';
import type { TenantClient } from './types.ts';

/** A new fence for the step's next dispatch (the caller holds the step row's lock). */
export async function bumpFence(
  client: TenantClient,
  job: StepJob,
  how: { spendAttempt: boolean; runAt: Date | null; error?: StepError },
): Promise<number> {
  const { rows } = await client.query<{ fence: number }>(bumpStepFence(job.e, job.s, how));
  return rows[0]?.fence ?? job.f + 1;
}

/** Under the execution lock: queue the step's next attempt, or park it (paused) or end it (closed run). */
export async function requeueAfter(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  fence: number,
  exec: ExecutionRow,
  runAt: Date | null,
): Promise<void> {
  if (exec.status === 'PAUSED') {
    await client.query(setStepStatus(job.e, job.s, 'PENDING'));
  } else if (exec.status === 'RUNNING' || exec.status === 'WAITING_APPROVAL') {
    await enqueue(client, Task.step, [{ ...job, f: fence }], runAt);
    const delay = runAt === null ? 0 : Math.max(0, runAt.getTime() - Date.now());
    await client.query(takeQueueLease(job.e, job.s, fence, Math.ceil(delay) + rt.queuedLeaseMs));
  } else {
    await client.query(setStepStatus(job.e, job.s, 'CANCELLED'));
  }
}

/**
 * Gives the step a new fence and queues its next attempt, unless the run was cancelled meanwhile
 * (then the step ends CANCELLED). The caller holds the step row's lock.
 */
export async function redispatch(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  how: { spendAttempt: boolean; runAt: Date | null; error?: StepError; event: NewEvent | null },
): Promise<void> {
  const fence = await bumpFence(client, job, how);
  const exec = await lockAndAppend(client, job.e, how.event === null ? [] : [how.event]);
  if (exec !== null) await requeueAfter(rt, client, job, fence, exec, how.runAt);
}
