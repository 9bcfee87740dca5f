/**
 * Types of the engine's service interface (engine-api.ts) that its modules keep or return too:
 * the store writes `DryRunOptions`, a run's start records its trigger, controls answer a
 * `ControlResult`, parked steps take a `DeliveredEvent`. They live here, importing nothing of the
 * engine's runtime, so those modules need not import the interface that is built from them.
 */
import type { ChaosOptions } from './chaos.ts';
import type { RegressionFixture } from './regression.ts';
import type { ExecutionStatus } from './types.ts';

/** @public Outcome of a control: done, or a typed reason it could not be (nothing was written). */
export type ControlResult =
  | { ok: true; status: ExecutionStatus }
  | { ok: false; code: 'NOT_FOUND' | 'INVALID_STATE' | 'FORBIDDEN'; message: string };

/** @public How a run was started (`Execution.trigger`). */
export const EXECUTION_TRIGGERS = ['MANUAL', 'SCHEDULE', 'WEBHOOK', 'EVENT', 'PARENT'] as const;
/** @public One of `EXECUTION_TRIGGERS`. */
export type ExecutionTrigger = (typeof EXECUTION_TRIGGERS)[number];

/** @public What a dry run is started with besides its plan version (kept on the execution). */
export interface DryRunOptions {
  /** Outputs by step id that replace the step's tool (over the plan's own `mocks`): a regression replay. */
  mocks?: Record<string, unknown>;
  chaos?: ChaosOptions;
  /** The recorded run a regression replay is compared with; kept for the report, never read by steps. */
  fixture?: RegressionFixture;
}

/** @public What `deliverEvent` is given: an event sent in the caller's workspace. */
export interface DeliveredEvent {
  workspaceId: string;
  eventId: string;
  name: string;
  data: unknown;
  /** When the event was sent: waits that began after it do not see it. */
  sentAt: Date;
}
