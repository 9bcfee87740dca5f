/**
 * Who may decide an approval gate: the policy's types, the built-in rule and the plan's own rule.
 * Pure functions, so the runtime can name the policy without importing the controls that use it.
 */
import type { Actor, PlanSpec, Role } from './types.ts';

/** @public What an approval policy decides on: one actor deciding one approval gate. */
export interface ApprovalPolicyInput {
  workspaceId: string;
  executionId: string;
  /** The gate's step id. */
  stepId: string;
  /** The gate's `approvers` (empty when the plan names none). */
  approvers: Role[];
  actor: Actor;
  /** The user who started the run (null: started by a webhook or the system). Always set by the engine. */
  startedBy?: string | null;
  /** Whether the decision approves (true) or rejects the gate. Always set by the engine. */
  approve?: boolean;
}

/**
 * @public Whether an actor may decide (approve or reject) an approval gate. Runs inside the
 * deciding transaction with the execution locked, so it should be quick; a throw fails the call.
 */
export type ApprovalPolicy = (input: ApprovalPolicyInput) => boolean | Promise<boolean>;

/** @public The built-in rule: the actor's role is one of `approvers`; empty means ADMIN or MEMBER. */
export function defaultApprovalPolicy(input: ApprovalPolicyInput): boolean {
  return input.actor.role !== null && allowedRoles(input.approvers).includes(input.actor.role);
}

/**
 * The plan's own rule, applied whatever policy the operator configured: with
 * `approval.selfApproval: false`, the user who started a run may not approve its gates (rejecting,
 * which they could also get by cancelling, stays allowed). Null when the decision may go on.
 */
export function planApprovalRefusal(input: ApprovalPolicyInput, plan: PlanSpec['approval']): string | null {
  if (plan?.selfApproval !== false || input.approve !== true) return null;
  if (input.startedBy == null || input.actor.userId !== input.startedBy) return null;
  return 'the plan does not let the member who started this run approve it (approval.selfApproval is false); another member must approve';
}

export function allowedRoles(approvers: Role[]): Role[] {
  return approvers.length > 0 ? approvers : ['ADMIN', 'MEMBER'];
}
