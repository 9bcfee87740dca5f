/**
 * Groups transitions in this process: while one batch's transaction is in flight, requests with
 * the same key wait and then run together in the next one (one commit, shared locks), instead of
 * queueing one by one on the execution row; each batch also gathers for one event-loop turn.
 * Begins are grouped per execution, finishes per workspace (one transaction may finish steps of
 * several executions; see `finishBatch`).
 */
import { withTenant } from '@weft/db';
import type { Runtime } from './runtime.ts';
import { beginBatch, beginOpening } from './step-begin.ts';
import { finishBatch, finishOpening } from './step-finish.ts';
import { type OpeningQuery, STALE_WRITE, type TxClient, workerScope, workerTx } from './store.ts';
import type { StepJob } from './tasks.ts';
import { tenantKey } from './tenant-key.ts';
import type { CallOutcome, RunBegin } from './tool-call.ts';
import type { ToolDefinition } from './types.ts';

interface Request<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 50;

export class ExecutionBatcher<I, O> {
  /** By `tenantKey(workspace, key)`. */
  private readonly queues = new Map<string, Array<Request<I, O>>>();

  constructor(
    /**
     * The batch's transaction; `opened` are the rows of `opening`, sent with its BEGIN, and `then`
     * those of the statements it sent after it.
     */
    private readonly work: (
      rt: Runtime,
      client: TxClient,
      key: string,
      items: I[],
      opened: unknown[],
      then: unknown[][],
    ) => Promise<O[]>,
    /**
     * The batch's opening statement; with `expect`, it may send statements that presume what the
     * opening will find and refuse (`STALE_WRITE`) when it is not so: the batch then runs again without.
     */
    private readonly opening: (rt: Runtime, key: string, items: I[], expect: boolean) => OpeningQuery,
  ) {}

  /**
   * Queues `item` for the next batch of `key` in `workspaceId`. Batches are per workspace AND key:
   * keys such as execution ids are unique only within a workspace, and a batch runs in one
   * workspace's transaction.
   */
  submit(rt: Runtime, workspaceId: string, key: string, item: I): Promise<O> {
    const queueKey = tenantKey(workspaceId, key);
    return new Promise<O>((resolve, reject) => {
      const queue = this.queues.get(queueKey);
      const request = { item, resolve, reject };
      if (queue !== undefined) {
        queue.push(request);
        return;
      }
      this.queues.set(queueKey, [request]);
      void this.drain(rt, queueKey, key, workspaceId);
    });
  }

  private async drain(rt: Runtime, queueKey: string, key: string, workspaceId: string): Promise<void> {
    const queue = this.queues.get(queueKey);
    if (queue === undefined) return;
    while (queue.length > 0) {
      // Gather for one turn of the event loop before taking the batch. A commit releases its
      // batch's slots together, and each soon submits again (a quick tool's next step, begun
      // ahead); jobs fetched together submit their begins together. Taken at once, a batch holds
      // only what queued during the last transaction and the rest waits a whole transaction more:
      // in bench/engine that halved batch sizes and steps per second.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = queue.splice(0, MAX_BATCH);
      const items = batch.map((r) => r.item);
      try {
        const run = (expect: boolean) =>
          withTenant(
            rt.pools.app,
            workerScope(workspaceId),
            (_client, tx) => this.work(rt, tx, key, items, tx.opened[0] ?? [], tx.opened.slice(1)),
            workerTx(rt.publish, this.opening(rt, key, items, expect)),
          );
        const results = await run(true).catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== STALE_WRITE) throw error;
          return run(false);
        });
        batch.forEach((r, i) => {
          r.resolve(results[i] as O);
        });
      } catch (error) {
        // The jobs fail and graphile-worker retries them; their fences decide what still counts.
        for (const r of batch) r.reject(error);
      }
    }
    this.queues.delete(queueKey);
  }
}

export interface FinishItem {
  begun: RunBegin;
  outcome: CallOutcome;
  /** Set when the item's worker slot is free to run a step begun ahead (run-ahead.ts). */
  tools: readonly ToolDefinition[] | null;
}

/** Begins of one execution's step jobs. */
export class BeginBatcher {
  private readonly batcher = new ExecutionBatcher<StepJob, Awaited<ReturnType<typeof beginBatch>>[number]>(
    beginBatch,
    (_rt, executionId, jobs) => beginOpening(executionId, jobs),
  );

  submit(rt: Runtime, job: StepJob) {
    return this.batcher.submit(rt, job.w, job.e, job);
  }
}

/** Finishes of one workspace's step attempts; each may come back with a step begun for its slot. */
export class FinishBatcher {
  private readonly batcher = new ExecutionBatcher<FinishItem, RunBegin | null>(
    (rt, client, _workspaceId, items, opened, then) => finishBatch(rt, client, items, opened, then),
    (rt, _workspaceId, items, expect) => finishOpening(rt, items, expect),
  );

  submit(
    rt: Runtime,
    begun: RunBegin,
    outcome: CallOutcome,
    offer: { tools: readonly ToolDefinition[] } | null,
  ): Promise<RunBegin | null> {
    const { call } = begun;
    return this.batcher.submit(rt, call.workspaceId, call.workspaceId, {
      begun,
      outcome,
      tools: offer?.tools ?? null,
    });
  }
}
