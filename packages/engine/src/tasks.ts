/**
 * The engine's graphile-worker job names and the payload of a step job. A leaf module: the store,
 * the scheduler and the step kinds all queue jobs, and none of them should import another for it.
 */
export const Task = {
  step: 'weft.step',
  compensate: 'weft.compensate',
  approvalExpire: 'weft.approval-expire',
  /** A child run ended: its parent's step or map item takes the result (sub-plans.ts). */
  childDone: 'weft.child-done',
  mapItem: 'weft.map-item',
  /** A parked step's due time: a sleep ends, a wait times out (parked-steps.ts). */
  wake: 'weft.wake',
} as const;

export interface StepJob {
  w: string;
  e: string;
  s: string;
  f: number;
}
