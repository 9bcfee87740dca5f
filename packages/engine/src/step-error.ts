/**
 * A failed attempt's (and step's) error as data: a machine code, the message, whether the engine
 * would try such a failure again, and the tool's `cause` when it gave one. Recorded on
 * `step_attempts` / `step_runs` (`error_detail`, migration 21) and on `step.retrying` /
 * `step.failed` events; derived in one place from what the engine and the plugin host distinguish.
 */
import { EngineError } from './errors.ts';
import { NonRetriableToolError, RetryAfterToolError } from './types.ts';

/** @public Machine codes of step failures (`StepError.code`). */
export const StepErrorCode = {
  /** The tool threw (or the plugin reported an error): retried while attempts remain. */
  TOOL_ERROR: 'TOOL_ERROR',
  /** The tool said retrying cannot help (`NonRetriableToolError`, the SDK's `NonRetriableError`). */
  NON_RETRIABLE: 'NON_RETRIABLE',
  /** The tool asked to be retried later (`RetryAfterToolError`, the SDK's `RetryAfterError`). */
  RETRY_LATER: 'RETRY_LATER',
  /** The step's `timeoutMs` (or the sandbox's wall-clock limit) ran out. */
  TIMEOUT: 'TIMEOUT',
  /** The output is larger than the engine's `maxOutputBytes` (or the sandbox's output limit). */
  OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE',
  /** The plugin's isolate hit a CPU, memory or workspace budget, or its sandbox crashed. */
  SANDBOX_LIMIT: 'SANDBOX_LIMIT',
  /** The step's tool is not (or no longer) installed in the workspace. */
  TOOL_NOT_FOUND: 'TOOL_NOT_FOUND',
  /** The run was cancelled while the attempt ran. */
  CANCELLED: 'CANCELLED',
  /** The worker stopped during the call: the step goes back to the queue without spending an attempt. */
  INTERRUPTED: 'INTERRUPTED',
  /** The attempt lost its lease (its worker stopped or stalled); another attempt took the step. */
  LEASE_EXPIRED: 'LEASE_EXPIRED',
  /** An approval gate was rejected or expired. */
  APPROVAL_REJECTED: 'APPROVAL_REJECTED',
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  /** A row written before errors were recorded as data: only its message is known. */
  UNKNOWN: 'UNKNOWN',
} as const;
export type StepErrorCode = (typeof StepErrorCode)[keyof typeof StepErrorCode];

/** @public What a tool gave as its error's `cause`, as data (size-capped). */
export interface StepErrorCause {
  name?: string;
  code?: string;
  message: string;
}

/** @public A failed attempt's or step's error. */
export interface StepError {
  code: StepErrorCode;
  message: string;
  /** Whether the engine retries a failure of this kind (while the step's attempts last). */
  retriable: boolean;
  cause?: StepErrorCause;
}

/** Caps on what a cause may hold: it comes from tenant code and is stored with every attempt. */
export const CAUSE_LIMITS = { message: 1000, name: 100, code: 100 } as const;

/**
 * An error that carries its step error code (the plugin host sets it on what it maps from the
 * sandbox), so the engine does not guess from messages.
 */
export interface CodedError extends Error {
  stepErrorCode?: StepErrorCode;
}

const CODES = new Set<string>(Object.values(StepErrorCode));

function capped(value: unknown, max: number): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/** A cause as data: its name, code and message, capped; undefined when there is none. */
export function causeOf(error: unknown): StepErrorCause | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause !== 'object') return { message: String(cause).slice(0, CAUSE_LIMITS.message) };
  const c = cause as { name?: unknown; code?: unknown; message?: unknown };
  const name = capped(c.name, CAUSE_LIMITS.name);
  const code = capped(c.code, CAUSE_LIMITS.code) ?? (typeof c.code === 'number' ? String(c.code) : undefined);
  return {
    ...(name === undefined ? {} : { name }),
    ...(code === undefined ? {} : { code }),
    message: capped(c.message, CAUSE_LIMITS.message) ?? '',
  };
}

function codeOf(error: Error): StepErrorCode {
  const carried = (error as CodedError).stepErrorCode;
  if (carried !== undefined && CODES.has(carried)) return carried;
  if (error instanceof EngineError) {
    if (error.code === 'STEP_TIMEOUT') return StepErrorCode.TIMEOUT;
    if (error.code === 'OUTPUT_TOO_LARGE') return StepErrorCode.OUTPUT_TOO_LARGE;
    if (error.code === 'TOOL_NOT_FOUND') return StepErrorCode.TOOL_NOT_FOUND;
    if (error.code === 'APPROVAL_REJECTED') return StepErrorCode.APPROVAL_REJECTED;
    if (error.code === 'APPROVAL_EXPIRED') return StepErrorCode.APPROVAL_EXPIRED;
  }
  if (error instanceof NonRetriableToolError) return StepErrorCode.NON_RETRIABLE;
  if (error instanceof RetryAfterToolError) return StepErrorCode.RETRY_LATER;
  return StepErrorCode.TOOL_ERROR;
}

/** The step error of a failed attempt; `error` as the tool call ended (see `callTool`). */
export function stepErrorOf(error: Error): StepError {
  const code = codeOf(error);
  const cause = causeOf(error);
  return {
    code,
    message: error.message,
    retriable: !(error instanceof NonRetriableToolError) && code !== StepErrorCode.TOOL_NOT_FOUND,
    ...(cause === undefined ? {} : { cause }),
  };
}

/** `error`, marked with the step error code it stands for. */
export function withStepErrorCode<E extends Error>(error: E, code: StepErrorCode): E & CodedError {
  return Object.assign(error, { stepErrorCode: code });
}

/** A step error the engine states itself (no tool error behind it). */
export function engineStepError(code: StepErrorCode, message: string, retriable = false): StepError {
  return { code, message, retriable };
}

/**
 * A row's step error as readers show it: its recorded `error_detail`, or for a row written before
 * details were recorded (migration 21), its `error` text under code UNKNOWN. Null without an error.
 */
export function storedStepError(detail: unknown, error: string | null): StepError | null {
  if (detail !== null && typeof detail === 'object') {
    const d = detail as Partial<StepError>;
    if (typeof d.code === 'string' && typeof d.message === 'string') {
      return {
        code: CODES.has(d.code) ? d.code : StepErrorCode.UNKNOWN,
        message: d.message,
        retriable: d.retriable === true,
        ...(d.cause === undefined ? {} : { cause: d.cause }),
      };
    }
  }
  return error === null ? null : { code: StepErrorCode.UNKNOWN, message: error, retriable: false };
}
