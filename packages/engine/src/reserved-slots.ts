/**
 * Slots a worker process keeps for a quiet workspace's next step while a flood of another holds
 * every regular slot (on by default: `EngineOptions.reservedSlots`, two slots).
 *
 * Priorities (migration 24) order what waits, but cannot free a slot: with every regular slot
 * running the flood, a neighbour's step first waits for one of them to end, then for the slot's
 * next fetch. The reserved slots are a second graphile-worker runner of this process that fetches
 * with every workspace that already runs a job here forbidden (the `w:<id>` flag of migration 28),
 * so a flood never fills them: a workspace's first job here is picked up at once. A job fetched
 * there runs only if its workspace runs nothing here, and either every regular slot is busy or it
 * was queued while its workspace had nothing else waiting; otherwise it goes back to the queue
 * unchanged, for the regular slots, and its workspace is kept out of the reserved ones for a
 * moment so the same job is not fetched again at once. So a burst reaching an idle worker (both
 * runners fetch it at once) can put its first job in one reserved slot, never more: hence two.
 *
 * Unlike a per-workspace share (`WorkspaceSlots` with a cap), this never limits a lone workspace:
 * its regular slots fetch as before (in batches through the local queue), and the reserved ones only
 * fetch when jobs are announced (finding nothing while the lone workspace is forbidden).
 */
import type { Task } from 'graphile-worker';
import { byWorkspace, type WorkspaceSlots, workspaceFlag } from './workspace-slots.ts';

/**
 * The highest priority of a job queued while its workspace had no other step waiting, for a run of
 * the default priority or an earlier one (`weft_job_priority(0, p)` = 4p, p ≤ 0; one waiting step
 * before it makes 10 + 4p).
 */
const QUIET_PRIORITY = 0;

/** How long a workspace whose job was handed back stays out of the reserved slots. */
const COOLDOWN_MS = 1000;

export class ReservedSlots {
  private readonly cooling = new Map<string, number>();

  /** Jobs running in the reserved slots now. */
  private running = 0;

  /** The slots of this process's regular runners (`addRegular` as they start). */
  private regularSlots = 0;

  constructor(private readonly slots: WorkspaceSlots) {}

  /** A regular runner of `concurrency` slots started in this process. */
  addRegular(concurrency: number): void {
    this.regularSlots += concurrency;
  }

  /** graphile-worker's `forbiddenFlags` for the reserved runner: every workspace running here, or cooling down. */
  readonly forbiddenFlags = (): string[] | null => {
    const now = Date.now();
    const flags = this.slots.runningWorkspaces().map(workspaceFlag);
    for (const [workspaceId, until] of this.cooling) {
      if (until <= now) this.cooling.delete(workspaceId);
      else flags.push(workspaceFlag(workspaceId));
    }
    return flags.length === 0 ? null : flags;
  };

  /**
   * Whether a job of `workspaceId` may run in a reserved slot now: never while its workspace runs
   * a job here; with every regular slot busy, yes; with some free (they are between jobs, or a
   * burst reached an idle worker and both runners fetched), only a job queued while its workspace
   * had nothing waiting (a burst's later jobs are queued behind its first: `weft_job_priority`).
   */
  admits(workspaceId: string, priority: number): boolean {
    if (this.slots.count(workspaceId) > 0) return false;
    return this.slots.total() - this.running >= this.regularSlots || priority <= QUIET_PRIORITY;
  }

  /** A job starts in a reserved slot; the returned function ends it (call it exactly once). */
  enter(workspaceId: string): () => void {
    this.running++;
    const leave = this.slots.enter(workspaceId);
    return () => {
      this.running--;
      leave();
    };
  }

  /** Keeps `workspaceId` out of the reserved slots for a moment (its job was handed back). */
  coolDown(workspaceId: string): void {
    this.cooling.set(workspaceId, Date.now() + COOLDOWN_MS);
  }
}

/** `tasks` for the reserved runner: a job it may not run goes back to the queue as it was. */
export function withReservedSlots(
  reserved: ReservedSlots,
  slots: WorkspaceSlots,
  tasks: Record<string, (payload: unknown) => Promise<void>>,
): Record<string, Task> {
  return byWorkspace(tasks, async (task, payload, helpers, workspaceId) => {
    // A keyed job (a wake bucket) runs anyway: adding its key again while it is locked here
    // would not queue a copy of it. It is short and batched already.
    if (helpers.job.key === null && !reserved.admits(workspaceId, helpers.job.priority)) {
      reserved.coolDown(workspaceId);
      await slots.handBack(helpers, payload, workspaceId);
      return;
    }
    const leave = reserved.enter(workspaceId);
    try {
      await task(payload);
    } finally {
      leave();
    }
  });
}
