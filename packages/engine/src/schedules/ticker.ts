/**
 * Finds due schedules and takes their ticks on time. Every API and worker process may run one:
 * the claim in `fire.ts` makes them safe together. Each scan (every `pollMs`) asks the database
 * which schedules are due within `horizonMs`; those due now are fired at once, the others get a
 * timer for their exact time, so a tick is late by a timer's jitter and one transaction rather than
 * by the polling interval.
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
  /** Armed timers by `workspace:schedule`, with the time each was armed for. */
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Schedules being fired by this process right now (one transaction each at a time). */
  private readonly firing = new Set<string>();
  private loop: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly rt: Runtime,
    private readonly start: StartFn,
    options: TickerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.horizonMs = options.horizonMs ?? this.pollMs + 500;
    this.batch = options.batch ?? 500;
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.loop !== null) clearTimeout(this.loop);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.scanning;
  }

  /** One scan: fires what is due, arms timers for what is due soon. */
  async scan(): Promise<void> {
    const { rows } = await this.rt.pools.app.query<DueRow>('SELECT * FROM weft_due_schedules($1, $2)', [
      this.horizonMs,
      this.batch,
    ]);
    const now = Date.now();
    const dueNow: DueRow[] = [];
    for (const row of rows) {
      const at = row.next_run_at?.getTime() ?? now;
      if (row.buffered || at <= now) dueNow.push(row);
      else this.arm(row, at);
    }
    for (const row of dueNow) await this.fire(row.workspace_id, row.id);
  }

  private arm(row: DueRow, at: number): void {
    const key = `${row.workspace_id}:${row.id}`;
    const armed = this.timers.get(key);
    if (armed?.at === at) return;
    if (armed !== undefined) clearTimeout(armed.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        void this.fire(row.workspace_id, row.id);
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(key, { at, timer });
  }

  private async fire(workspaceId: string, scheduleId: string): Promise<void> {
    const key = `${workspaceId}:${scheduleId}`;
    if (this.stopped || this.firing.has(key)) return;
    this.firing.add(key);
    try {
      await fireSchedule(this.rt, this.start, workspaceId, scheduleId);
    } catch (err) {
      // The tick stays due (nothing committed): the next scan tries again.
      this.rt.logger.error({ err, workspaceId, scheduleId }, 'schedule tick failed');
    } finally {
      this.firing.delete(key);
    }
  }
}
