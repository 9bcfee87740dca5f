/**
 * Groups the finishes of one execution's steps in this process: while one batch's transaction is
 * in flight, finishes that arrive wait and then commit together (see `finishBatch`).
 */
import type { Runtime } from './runtime.ts';
import type { StepJob } from './scheduler.ts';
import { finishBatch, type RunBegin } from './step-runner.ts';
import { tenantTx } from './store.ts';
import type { CallOutcome } from './tool-call.ts';

interface Request {
  job: StepJob;
  begun: RunBegin;
  outcome: CallOutcome;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 50;

export class FinishBatcher {
  private readonly queues = new Map<string, Request[]>();

  submit(rt: Runtime, job: StepJob, begun: RunBegin, outcome: CallOutcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(job.e);
      const request = { job, begun, outcome, resolve, reject };
      if (queue !== undefined) {
        queue.push(request);
        return;
      }
      this.queues.set(job.e, [request]);
      void this.drain(rt, job.e, job.w);
    });
  }

  private async drain(rt: Runtime, executionId: string, workspaceId: string): Promise<void> {
    const queue = this.queues.get(executionId);
    if (queue === undefined) return;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await tenantTx(rt.pools.app, workspaceId, (client) => finishBatch(rt, client, executionId, batch), rt.publish);
        for (const r of batch) r.resolve();
      } catch (error) {
        // The jobs fail and graphile-worker retries them; their fences decide what still counts.
        for (const r of batch) r.reject(error);
      }
    }
    this.queues.delete(executionId);
  }
}
