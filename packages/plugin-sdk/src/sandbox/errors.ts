/** Why a sandboxed call failed, as a machine code (one map for the whole package). */
export const SandboxErrorCode = {
  TIMEOUT: 'SANDBOX_TIMEOUT',
  CPU_LIMIT: 'SANDBOX_CPU_LIMIT',
  MEMORY_LIMIT: 'SANDBOX_MEMORY_LIMIT',
  HOST_CRASHED: 'SANDBOX_HOST_CRASHED',
  OUTPUT_TOO_LARGE: 'SANDBOX_OUTPUT_TOO_LARGE',
  INPUT_TOO_LARGE: 'SANDBOX_INPUT_TOO_LARGE',
  INVALID_INPUT: 'SANDBOX_INVALID_INPUT',
  INVALID_OUTPUT: 'SANDBOX_INVALID_OUTPUT',
  TOOL_NOT_FOUND: 'SANDBOX_TOOL_NOT_FOUND',
  LOAD_FAILED: 'SANDBOX_LOAD_FAILED',
  INTEGRITY_MISMATCH: 'SANDBOX_INTEGRITY_MISMATCH',
  CAPABILITY_DENIED: 'CAPABILITY_DENIED',
  CAPABILITY_FAILED: 'CAPABILITY_FAILED',
  CANCELLED: 'SANDBOX_CANCELLED',
  TOOL_ERROR: 'TOOL_ERROR',
  CLOSED: 'SANDBOX_CLOSED',
  /** The workspace used its plugin CPU time for the current window; `retryAfterMs` says when it frees. */
  WORKSPACE_CPU_BUDGET: 'SANDBOX_WORKSPACE_CPU_BUDGET',
  /** The workspace already holds as many isolates (or as much isolate heap) as it may, all busy. */
  WORKSPACE_MEMORY_BUDGET: 'SANDBOX_WORKSPACE_MEMORY_BUDGET',
} as const;

/** @public A code of {@link SandboxErrorCode}. */
export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/**
 * @public A sandboxed call's failure. For `TOOL_ERROR`, `toolErrorName` is the error's class name
 * inside the plugin (`NonRetriableError`, `RetryAfterError`, …) and `retryAfterMs` is copied from it.
 */
export class SandboxError extends Error {
  override name = 'SandboxError';
  readonly code: SandboxErrorCode;
  readonly toolErrorName: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    code: SandboxErrorCode,
    message: string,
    extra: {
      toolErrorName?: string;
      retryAfterMs?: number;
      /** The tool error's `cause` as data: `{ name?, code?, message }` (see protocol.ts `WireCause`). */
      cause?: { name?: string; code?: string; message: string };
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.toolErrorName = extra.toolErrorName;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

/** A capability refusal or failure raised by a host handler; its message reaches the plugin. */
export class CapabilityError extends Error {
  override name = 'CapabilityError';
  readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
