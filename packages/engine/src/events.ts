/**
 * The execution events the engine writes, one declared payload per type: what subscribers, the
 * run history and outbound webhooks (docs/events.md) receive as `data`. Every place that builds an
 * event goes through `NewEvent`, so the compiler rejects a payload that does not match its type.
 */

import type { StepError } from './step-error.ts';
import type { ExecutionMode, Role } from './types.ts';

/** @public Who asked for a control (null: the system, a webhook or an API token without a user). */
interface ByActor {
  by: string | null;
}

/** @public The `data` of each execution event type (docs/events.md describes them for customers). */
export interface ExecutionEventData {
  'execution.started': { mode: ExecutionMode; planVersionId: string; by: string | null };
  'execution.succeeded': { output: unknown };
  /** `stepId` on the event names the failed step when a step's failure ended the run. */
  'execution.failed': { error: string };
  'execution.paused': ByActor;
  'execution.resumed': ByActor;
  'execution.cancelled': ByActor;
  'execution.retried': ByActor & { steps: string[] };
  'execution.rolling_back': ByActor;
  'execution.rolled_back': undefined;
  /** A tool step's attempt began in a worker; a plan or map step (`kind`) opened, holding no worker. */
  'step.started': { attempt: number; tool?: string; worker?: string; kind?: 'plan' | 'map' };
  'step.succeeded': StepSucceededData;
  'step.retrying': {
    attempt: number;
    error: string;
    /** Absent for a compensation's retry (its job is queued again at once). */
    delayMs?: number;
    compensate?: true;
    stepError?: StepError;
  };
  'step.failed': {
    /** Absent when no attempt ran (tool gone, approval rejected or expired). */
    attempt?: number;
    error: string;
    compensate?: true;
    stepError?: StepError;
    /** A wait step whose event did not come in time. */
    timedOut?: true;
    /** The step's `if`, when evaluating it failed the step. */
    condition?: string;
    /** The run goes on without this step (`continueOnError`). */
    continueOnError?: true;
  };
  /** The step will not run: its `if` was false, or (no `if` of its own) a dependency was skipped. */
  'step.skipped': { reason: 'condition' | 'dependency'; condition?: string; dependency?: string };
  /** The step's attempts are exhausted: its `fallback` tool runs instead. */
  'step.falling_back': { attempt: number; error: string; tool: string };
  /** A sleep or wait step parked (no worker slot) until `until`, or until its event comes. */
  'step.waiting': {
    kind: 'sleep' | 'wait';
    until: Date | null;
    event?: string;
    match?: unknown;
    timeoutMs?: number | null;
  };
  /** A waiting step closed because another step failed the run. */
  'step.cancelled': { reason: string };
  /** A plan step (or a retry of it) started its child run. */
  'step.child_started': { executionId: string };
  /** A map step wrote its items. */
  'map.opened': { items: number };
  'map.item_started': { index: number; attempt: number };
  'map.item_finished': { index: number; ok: boolean; error?: string; retrying?: boolean };
  'step.cached': { tool: string };
  'step.lost': { worker: string | null; started?: boolean; compensate?: true };
  'step.waiting_lock': { locks: string[] };
  'step.rate_limited': { waitMs: number };
  'step.compensated': { output: unknown };
  'approval.requested': {
    approvalId: string | undefined;
    message: string | null;
    approvers: Role[];
    expiresAt: Date | null;
  };
  'approval.decided': {
    approvalId: string;
    approved: boolean;
    decidedBy?: string | null;
    comment?: string | null;
    expired?: true;
  };
}

/** @public An execution event type the engine writes. */
export type ExecutionEventType = keyof ExecutionEventData;

/** An event to append: its type, the step it concerns, and the payload its type declares. */
export type NewEvent = {
  [K in ExecutionEventType]: { type: K; stepId?: string | null } & (undefined extends ExecutionEventData[K]
    ? { data?: ExecutionEventData[K] }
    : { data: ExecutionEventData[K] });
}[ExecutionEventType];

/** @public `step.succeeded`'s payload: the output, and how it was produced when not by a plain call. */
export interface StepSucceededData {
  output: unknown;
  /** Absent for an approval gate, which has no attempt. */
  attempt?: number;
  durationMs?: number;
  /** A dry run's mock output. */
  mocked?: boolean;
  /** Served from the step cache (a `step.cached` event comes first). */
  cacheHit?: boolean;
  /** The step's `fallback` tool produced the output. */
  fellBack?: boolean;
  /** A wait step: the event that resumed it. */
  event?: { id: string; name: string };
}

/** The one way `step.succeeded` is built (tool calls, cache hits, dry-run mocks, approval gates). */
export function stepSucceeded(stepId: string, data: StepSucceededData): NewEvent {
  const { durationMs, ...rest } = data;
  return {
    type: 'step.succeeded',
    stepId,
    data: durationMs === undefined ? rest : { ...rest, durationMs: Math.round(durationMs) },
  };
}
