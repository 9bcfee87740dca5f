/**
 * When a call may start with a synchronous entry into its isolate (`applySync` on the sandbox
 * process's own thread) instead of an asynchronous one (isolated-vm's thread pool). The
 * asynchronous entry costs two thread hand-offs, most of a warm call's time; the synchronous one
 * holds the process's thread, and with it every other workspace's calls in this process, while
 * the plugin runs. So it is only tried for a tool whose last call on that isolate used almost no
 * CPU, only on an isolate with nothing else running, and only for a short slice: past the slice
 * the attempt is stopped, nothing of it has left the isolate (host requests and log lines wait
 * for the thread, and are dropped with it), the isolate is discarded and the call runs again
 * asynchronously on a fresh one. A workspace whose tool overran a slice gets no synchronous entry
 * for a while, so it cannot hold the thread slice after slice.
 */
import { LRUCache } from 'lru-cache';

/** A tool whose last call used less CPU than this (ms) may start synchronously. */
export const QUICK_CPU_MS = 1;
/** The longest a synchronous entry may hold the sandbox process's thread (ms). */
export const SYNC_SLICE_MS = 50;
/** How long a workspace whose tool overran a slice gets asynchronous entries only (ms). */
export const STRIKE_MS = 60_000;

export class QuickEntries {
  private readonly struck = new LRUCache<string, true>({ max: 10_000, ttl: STRIKE_MS });

  /** `quick`: the tools of this isolate whose last call was quick. */
  allows(workspace: string, quick: ReadonlySet<string>, tool: string): boolean {
    return quick.has(tool) && !this.struck.has(workspace);
  }

  /** Records a call's CPU time (ms): it decides whether the tool's next call may start synchronously. */
  record(quick: Set<string>, tool: string, cpuMs: number): void {
    if (cpuMs < QUICK_CPU_MS) quick.add(tool);
    else quick.delete(tool);
  }

  /** A tool of `workspace` overran its slice. */
  strike(workspace: string): void {
    this.struck.set(workspace, true);
  }
}
