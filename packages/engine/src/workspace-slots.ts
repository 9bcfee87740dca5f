/**
 * Worker slots per workspace, in this process. Every engine job carries its workspace as a
 * graphile-worker flag (`workspaceFlag`, set by the queue doors in migration 28); while one
 * workspace runs `cap` jobs here, this process's free slots fetch with that flag forbidden, so they
 * stay free for any other workspace's next job instead of taking more of the flood. Priorities
 * (migration 24) decide the order of what is waiting; this bounds what one workspace holds once
 * it runs, so a neighbour's step never waits for a slot behind a whole worker of someone else's.
 *
 * The count is this process's own (no query, no lock): N worker processes let a workspace hold up
 * to N × cap slots, never all of them. The flags are read before a fetch and the count moves when
 * a job starts, so slots that fetch in the same tick (all of them, when a batch arrives at an idle
 * worker) can take more than the share: a job that starts with its workspace already at the share
 * is handed back to the queue as it was (same priority, due time, flags) and its slot fetches
 * again, the workspace now forbidden. `WORKSPACE_CONCURRENCY` (step-begin.ts) is the other limit:
 * global, counted in the database at a query per step.
 */
import type { JobHelpers, Task } from 'graphile-worker';

/** The graphile-worker flag a workspace's engine jobs carry (see migration 28's queue doors). */
export function workspaceFlag(workspaceId: string): string {
  return `w:${workspaceId}`;
}

/** The workspace an engine job's payload belongs to: `w`, or its items' (a wake job is a batch). */
export function payloadWorkspace(payload: unknown): string | null {
  const item = Array.isArray(payload) ? payload[0] : payload;
  if (typeof item !== 'object' || item === null) return null;
  const w = (item as { w?: unknown }).w;
  return typeof w === 'string' ? w : null;
}

export class WorkspaceSlots {
  private readonly running = new Map<string, number>();
  /** Jobs running here, of every workspace. */
  private runningTotal = 0;
  /** Flags of the workspaces at their cap; null when none is (graphile-worker then fetches in batches). */
  private forbidden: string[] | null = null;

  /** `cap`: the most slots one workspace may hold here; null counts without a cap (reserved-slots.ts). */
  constructor(readonly cap: number | null) {}

  /** A job of `workspaceId` starts here; the returned function ends it (call it exactly once). */
  enter(workspaceId: string): () => void {
    const n = (this.running.get(workspaceId) ?? 0) + 1;
    this.running.set(workspaceId, n);
    this.runningTotal++;
    if (n === this.cap) this.refresh();
    return () => {
      this.runningTotal--;
      const left = (this.running.get(workspaceId) ?? 1) - 1;
      if (left === 0) this.running.delete(workspaceId);
      else this.running.set(workspaceId, left);
      if (this.cap !== null && left === this.cap - 1) this.refresh();
    };
  }

  /** What graphile-worker's `forbiddenFlags` asks before each fetch. */
  readonly forbiddenFlags = (): string[] | null => this.forbidden;

  /** Jobs of `workspaceId` running here now. */
  count(workspaceId: string): number {
    return this.running.get(workspaceId) ?? 0;
  }

  /** Whether a job of `workspaceId` would take it over its cap. */
  full(workspaceId: string): boolean {
    return this.cap !== null && this.count(workspaceId) >= this.cap;
  }

  /** Jobs running here, of every workspace. */
  total(): number {
    return this.runningTotal;
  }

  /** The workspaces with a job running here. */
  runningWorkspaces(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Puts a started job back in the queue as it was (same priority, due time, attempts left), with
   * its workspace's flag even if it lacked one (queued before migration 28), so forbidding the
   * flag keeps it away from the slot that handed it back.
   */
  async handBack(helpers: JobHelpers, payload: unknown, workspaceId: string): Promise<void> {
    const { job } = helpers;
    await helpers.addJob(job.task_identifier, payload, {
      runAt: job.run_at,
      priority: job.priority,
      maxAttempts: Math.max(1, job.max_attempts - job.attempts + 1),
      flags: [...new Set([...Object.keys(job.flags ?? {}), workspaceFlag(workspaceId)])],
    });
  }

  private refresh(): void {
    const full: string[] = [];
    for (const [workspaceId, n] of this.running)
      if (this.cap !== null && n >= this.cap) full.push(workspaceFlag(workspaceId));
    this.forbidden = full.length === 0 ? null : full;
  }
}

/**
 * `tasks` as graphile-worker tasks, each job of a workspace handed to `run` with its task and
 * workspace; jobs without one (not the engine's) run as they are.
 */
export function byWorkspace(
  tasks: Record<string, (payload: unknown) => Promise<void>>,
  run: (
    task: (payload: unknown) => Promise<void>,
    payload: unknown,
    helpers: JobHelpers,
    workspaceId: string,
  ) => Promise<void>,
): Record<string, Task> {
  const wrapped: Record<string, Task> = {};
  for (const [name, task] of Object.entries(tasks)) {
    wrapped[name] = async (payload: unknown, helpers: JobHelpers) => {
      const workspaceId = payloadWorkspace(payload);
      if (workspaceId === null) return task(payload);
      return run(task, payload, helpers, workspaceId);
    };
  }
  return wrapped;
}

/** `tasks`, each counted in `slots` by its job's workspace; a job over the share is handed back. */
export function withWorkspaceSlots(
  slots: WorkspaceSlots,
  tasks: Record<string, (payload: unknown) => Promise<void>>,
): Record<string, Task> {
  return byWorkspace(tasks, async (task, payload, helpers, workspaceId) => {
    // A keyed job (a wake bucket) runs anyway: adding its key again while it is locked here
    // would not queue a copy of it. It is short and batched already.
    if (slots.full(workspaceId) && helpers.job.key === null) {
      await slots.handBack(helpers, payload, workspaceId);
      return;
    }
    const leave = slots.enter(workspaceId);
    try {
      await task(payload);
    } finally {
      leave();
    }
  });
}
