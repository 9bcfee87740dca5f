/** Messages between the pool (parent) and a sandbox process (child), over the IPC channel. */
import type { PluginManifest } from '../manifest.ts';

/** Resource limits of one call; every field is enforced by the sandbox process. */
export interface SandboxLimits {
  /** Heap limit of an isolate, in MB. */
  memoryMb: number;
  /**
   * CPU time the plugin may spend on one call: every entry into the isolate while the call runs
   * (the call itself, resumed promises, timers) counts, measured with isolated-vm's `cpuTime`.
   */
  cpuTimeoutMs: number;
  /** Wall-clock deadline of a whole call, awaited promises and host calls included. */
  wallTimeoutMs: number;
  /** Largest serialized output (JSON characters). */
  maxOutputBytes: number;
  /** Largest serialized input (JSON characters). */
  maxInputBytes: number;
  /** After a cancel, how long the tool gets to stop before its isolate is discarded. */
  cancelGraceMs: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryMb: 64,
  cpuTimeoutMs: 5_000,
  wallTimeoutMs: 30_000,
  maxOutputBytes: 1_000_000,
  maxInputBytes: 1_000_000,
  cancelGraceMs: 1_000,
};

export interface RunInfo {
  executionId: string;
  stepId: string;
  attempt: number;
  mode: 'LIVE' | 'DRY_RUN';
}

export interface WireError {
  code: string;
  message: string;
  toolErrorName?: string;
  retryAfterMs?: number;
  /** The tool error's `cause`, as data (capped inside the isolate and again by the host). */
  cause?: WireCause;
}

/** An error's cause as it crosses the sandbox boundary. */
export interface WireCause {
  name?: string;
  code?: string;
  message: string;
}

/**
 * Every isolate, bundle and call is named by its workspace and its key together: keys (installation
 * or version ids) are only meaningful inside a workspace, and no isolate is ever shared across two.
 */
export interface Slot {
  workspace: string;
  key: string;
}

export type ParentMessage =
  | ({ type: 'bundle'; manifest: PluginManifest; bundle: string } & Slot)
  | ({
      type: 'call';
      id: number;
      tool: string;
      input: string;
      run: RunInfo;
      limits: SandboxLimits;
      /** What is left of the workspace's CPU budget (ms): the call is also stopped there. */
      budgetMs: number;
    } & Slot)
  | { type: 'cap-result'; id: number; ok: true; value: string }
  | { type: 'cap-result'; id: number; ok: false; error: WireError }
  | { type: 'abort'; id: number; reason: string }
  | { type: 'stats'; id: number }
  | ({ type: 'evict' } & Slot);

export interface IsolateStats {
  workspace: string;
  key: string;
  usedHeapBytes: number;
  totalHeapBytes: number;
  externalBytes: number;
}

/** CPU time a workspace's isolate used, charged to the workspace's budget. */
export interface Usage {
  workspace: string;
  cpuMs: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | ({ type: 'need-bundle'; id: number } & Slot)
  /** CPU time a workspace's isolates used since the last report, charged to its budget. */
  | { type: 'usage'; workspace: string; cpuMs: number }
  /** `output` as a value (the channel serializes it once), already checked against its schema. */
  | { type: 'result'; id: number; ok: true; output: unknown; usage?: Usage }
  | { type: 'result'; id: number; ok: false; error: WireError; usage?: Usage }
  | { type: 'cap'; id: number; callId: number; name: string; args: string }
  | { type: 'log'; callId: number; level: string; message: string; data: string | null }
  | { type: 'stats'; id: number; rssBytes: number; isolates: IsolateStats[] };
