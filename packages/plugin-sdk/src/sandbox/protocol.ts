/** Messages between the pool (parent) and a sandbox process (child), over the IPC channel. */
import type { PluginManifest } from '../manifest.ts';

/** Resource limits of one call; every field is enforced by the sandbox process. */
export interface SandboxLimits {
  /** Heap limit of an isolate, in MB. */
  memoryMb: number;
  /** Time the plugin may spend executing JavaScript per entry into the isolate. */
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
}

export type ParentMessage =
  | { type: 'bundle'; key: string; manifest: PluginManifest; bundle: string }
  | { type: 'call'; id: number; key: string; tool: string; input: string; run: RunInfo; limits: SandboxLimits }
  | { type: 'cap-result'; id: number; ok: true; value: string }
  | { type: 'cap-result'; id: number; ok: false; error: WireError }
  | { type: 'abort'; id: number; reason: string }
  | { type: 'stats'; id: number }
  | { type: 'evict'; key: string };

export interface IsolateStats {
  key: string;
  usedHeapBytes: number;
  totalHeapBytes: number;
  externalBytes: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'need-bundle'; id: number; key: string }
  | { type: 'result'; id: number; ok: true; output: string }
  | { type: 'result'; id: number; ok: false; error: WireError }
  | { type: 'cap'; id: number; callId: number; name: string; args: string }
  | { type: 'log'; callId: number; level: string; message: string; data: string | null }
  | { type: 'stats'; id: number; rssBytes: number; isolates: IsolateStats[] };
