/**
 * A map tool item's lease, the twin of a step's: taken (worker 'queue') when the item is
 * dispatched, by its worker when the job begins, renewed while the tool runs and until its result
 * is committed, dropped with that commit. A worker killed mid-item stops renewing, and the lease
 * sweeper hands the item to `recoverItem` (map-step.ts) within `STEP_LEASE_MS`.
 */
import { type Pools, withTenant } from '@weft/db';
import type { Logger } from './logger.ts';
import { StepErrorCode } from './step-error.ts';
import { Interrupted } from './tool-call.ts';
import type { TenantClient } from './types.ts';

/** The lease row's step key: brackets cannot occur in a step id, so it never meets a step's lease. */
export function itemLeaseKey(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

/** The step id and index of an item lease's key; null for any other key. */
export function parseItemLeaseKey(key: string): { stepId: string; index: number } | null {
  const match = /^(.+)\[(\d+)\]$/.exec(key);
  return match === null ? null : { stepId: match[1] ?? '', index: Number(match[2]) };
}

/** What a heartbeat needs of the runtime (named here, not imported, so this module adds no import cycle). */
interface LeaseRuntime {
  pools: Pools;
  logger: Logger;
  stepLeaseMs: number;
}

export interface LeasedItem {
  executionId: string;
  stepId: string;
  index: number;
  fence: number;
}

/** Takes (or moves) the item's lease for `worker` ('queue' while its job waits) for `ms`. */
export async function takeItemLeases(
  client: TenantClient,
  items: LeasedItem[],
  worker: string,
  ms: number,
): Promise<void> {
  if (items.length === 0) return;
  await client.query(
    `SELECT weft_lease_take(x.e, x.k, 'item', x.f, $4, $5::int)
       FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS x(e, k, f)`,
    [
      items.map((i) => i.executionId),
      items.map((i) => itemLeaseKey(i.stepId, i.index)),
      items.map((i) => i.fence),
      worker,
      Math.ceil(ms),
    ],
  );
}

export async function dropItemLease(client: TenantClient, item: LeasedItem): Promise<void> {
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [
    item.executionId,
    itemLeaseKey(item.stepId, item.index),
    item.fence,
  ]);
}

/**
 * Renews the item's lease every third of `stepLeaseMs` until the returned function is called;
 * aborts `controller` when the run is cancelled or the lease was lost (another worker owns the
 * item now), so the tool stops and its result is never offered.
 */
export function holdItemLease(
  rt: LeaseRuntime,
  workspaceId: string,
  item: LeasedItem,
  controller: AbortController,
): () => void {
  const beat = async () => {
    if (controller.signal.aborted) return;
    try {
      const state = await withTenant(rt.pools.app, { workspaceId }, async (client) => {
        const { rows } = await client.query<{ held: boolean; status: string | null }>(
          `SELECT weft_lease_renew($1, $2, $3, $4) AS held, (SELECT status FROM executions WHERE id = $1) AS status`,
          [item.executionId, itemLeaseKey(item.stepId, item.index), item.fence, rt.stepLeaseMs],
        );
        return rows[0];
      });
      if (state?.status === 'CANCELLED') {
        controller.abort(new Interrupted('execution cancelled', StepErrorCode.CANCELLED));
      } else if (state?.held === false) {
        controller.abort(new Interrupted('lease lost: another worker owns this item now', StepErrorCode.LEASE_EXPIRED));
      }
    } catch (err) {
      // A missed beat is harmless until the lease runs out; then the sweeper re-dispatches the item.
      rt.logger.warn(
        { err, executionId: item.executionId, stepId: item.stepId, item: item.index },
        'item heartbeat failed',
      );
    }
  };
  const timer = setInterval(() => void beat(), Math.max(50, Math.floor(rt.stepLeaseMs / 3)));
  return () => clearInterval(timer);
}
