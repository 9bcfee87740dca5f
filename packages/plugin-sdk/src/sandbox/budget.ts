/**
 * Per-workspace CPU budgets of one sandbox pool: every workspace may spend `cpuMs` of plugin CPU
 * time per window of `windowMs`, so one tenant's plugins cannot starve the others of the shared
 * sandbox processes. A fixed window per workspace (starting with its first charge) keeps the rule
 * simple to state and to test: over budget, calls are refused until the window ends.
 */

/** @public Limits of {@link CpuBudgets}. */
export interface WorkspaceCpuBudget {
  /** Plugin CPU time one workspace may use per window, in ms. */
  cpuMs: number;
  /** Length of the window, in ms. */
  windowMs: number;
}

export const DEFAULT_CPU_BUDGET: WorkspaceCpuBudget = { cpuMs: 30_000, windowMs: 60_000 };

interface Window {
  startedAt: number;
  usedMs: number;
}

/** Windows are pruned once this many workspaces are tracked, so the map cannot grow without bound. */
const PRUNE_AT = 10_000;

export class CpuBudgets {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly budget: WorkspaceCpuBudget,
    private readonly now: () => number = Date.now,
  ) {}

  private current(workspace: string): Window | undefined {
    const window = this.windows.get(workspace);
    if (window === undefined) return undefined;
    if (this.now() - window.startedAt >= this.budget.windowMs) {
      this.windows.delete(workspace);
      return undefined;
    }
    return window;
  }

  /** What the workspace may still spend in its window, and when the window ends (ms from now). */
  remaining(workspace: string): { remainingMs: number; resetsInMs: number } {
    const window = this.current(workspace);
    if (window === undefined) return { remainingMs: this.budget.cpuMs, resetsInMs: this.budget.windowMs };
    return {
      remainingMs: Math.max(0, this.budget.cpuMs - window.usedMs),
      resetsInMs: Math.max(0, window.startedAt + this.budget.windowMs - this.now()),
    };
  }

  charge(workspace: string, cpuMs: number): void {
    if (!(cpuMs > 0)) return;
    let window = this.current(workspace);
    if (window === undefined) {
      if (this.windows.size >= PRUNE_AT) this.prune();
      window = { startedAt: this.now(), usedMs: 0 };
      this.windows.set(workspace, window);
    }
    window.usedMs += cpuMs;
  }

  private prune(): void {
    for (const workspace of [...this.windows.keys()]) this.current(workspace);
  }
}
