/**
 * Finds due schedules and takes their ticks on time. Every API and worker process may run one:
 * the claim in `fire.ts` makes them safe together. Each scan (every `pollMs`) asks the database
 * which schedules are due within `horizonMs`; those due now are fired at once, the others get a
 * timer for their exact time, and a tick this process takes arms the schedule's next one right
 * away. So a tick is late by a timer's jitter and one transaction, not by the polling interval.
 * Scans find new, changed and buffered schedules, and ticks another process took.
 */
import type { Runtime } from '../runtime.ts';
import { fireSchedule, type StartFn } from './fire.ts';

export interface TickerOptions {
  /** How often the database is asked for due schedules. Default 1000 ms. */
  pollMs?: number;
  /** How far ahead a scan looks (more than `pollMs`, so no tick falls between two scans). */
  horizonMs?: number;
  /** Schedules one scan returns at most. */
  batch?: number;
  /** Ticks this process takes at once (each is a transaction on the app pool). Default 8. */
  concurrency?: number;
}

interface DueRow {
  workspace_id: string;
  id: string;
  next_run_at: Date | null;
  buffered: boolean;
}

export class ScheduleTicker {
  private readonly pollMs: number;
  private readonly horizonMs: number;
  private readonly batch: number;
  private readonly concurrency: number;
  /** Armed timers by `workspace:schedule`, with the time each was armed for. */
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Ticks waiting for a free slot, in the order they came due; and those being taken. */
  private readonly waiting: { workspaceId: string; scheduleId: string }[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private loop: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private idle: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly rt: Runtime,
    private readonly start: StartFn,
    options: TickerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.horizonMs = options.horizonMs ?? this.pollMs + 500;
    this.batch = options.batch ?? 500;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  run(): void {
    if (this.loop !== null || this.stopped) return;
    const tick = (): void => {
      this.scanning = this.scan()
        .catch((err: unknown) => this.rt.logger.error({ err }, 'schedule scan failed'))
        .finally(() => {
          this.scanning = null;
          if (!this.stopped) this.loop = setTimeout(tick, this.pollMs);
        });
    };
    this.loop = setTimeout(tick, 0);
  }

  /** Stops scanning and arming; waits for ticks being taken to commit or roll back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.loop !== null) clearTimeout(this.loop);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.length = 0;
    await this.scanning;
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /** One scan: queues what is due, arms timers for what is due soon. */
  async scan(): Promise<void> {
    // The owner pool, as the lease sweeper's scan: only it may look across workspaces (migration 20).
    const { rows } = await this.rt.pools.owner.query<DueRow>('SELECT * FROM weft_due_schedules($1, $2)', [
      this.horizonMs,
      this.batch,
    ]);
    for (const row of rows) {
      const at = row.next_run_at?.getTime() ?? Date.now();
      if (row.buffered) this.enqueue(row.workspace_id, row.id);
      else this.arm(row.workspace_id, row.id, at);
    }
  }

  private arm(workspaceId: string, scheduleId: string, at: number): void {
    if (this.stopped) return;
    const key = `${workspaceId}:${scheduleId}`;
    const armed = this.timers.get(key);
    if (armed?.at === at) return;
    if (armed !== undefined) clearTimeout(armed.timer);
    const delay = at - Date.now();
    if (delay <= 0) {
      this.timers.delete(key);
      this.enqueue(workspaceId, scheduleId);
      return;
    }
    // A time beyond the next scan's horizon is left to that scan (it may change before then).
    if (delay > this.horizonMs + this.pollMs) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.enqueue(workspaceId, scheduleId);
    }, delay);
    this.timers.set(key, { at, timer });
  }

  private enqueue(workspaceId: string, scheduleId: string): void {
    const key = `${workspaceId}:${scheduleId}`;
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push({ workspaceId, scheduleId });
    this.drain();
  }

  private drain(): void {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift();
      if (next === undefined) break;
      this.active++;
      void this.fire(next.workspaceId, next.scheduleId).finally(() => {
        this.active--;
        this.queued.delete(`${next.workspaceId}:${next.scheduleId}`);
        if (this.active === 0 && this.idle !== null) this.idle();
        this.drain();
      });
    }
  }

  private async fire(workspaceId: string, scheduleId: string): Promise<void> {
    if (this.stopped) return;
    try {
      const { outcome, nextRunAt } = await fireSchedule(this.rt, this.start, workspaceId, scheduleId);
      // This process knows the next time of a tick it took: no scan needed to keep the rhythm.
      if (outcome !== 'not-due' && nextRunAt !== null) this.arm(workspaceId, scheduleId, nextRunAt.getTime());
    } catch (err) {
      // The tick stays due (nothing committed): the next scan tries again.
      this.rt.logger.error({ err, workspaceId, scheduleId }, 'schedule tick failed');
    }
  }
}
