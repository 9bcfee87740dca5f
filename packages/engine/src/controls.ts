/**
 * Controls of EngineApi. Each runs inside the caller's tenant transaction, locks the execution,
 * checks its state and either changes it with its event or returns a typed reason (nothing written).
 */
import {
  type ApprovalPolicyInput,
  allowedRoles,
  defaultApprovalPolicy,
  planApprovalRefusal,
} from './approval-policy.ts';
import { type ExecutionEventData, type NewEvent, stepSucceeded } from './events.ts';
import { closeParked } from './parked-steps.ts';
import type { Runtime } from './runtime.ts';
import type { ControlResult } from './service-types.ts';
import { engineStepError, type StepError, StepErrorCode } from './step-error.ts';
import {
  ACTIVE,
  appendEvents,
  Channel,
  type ExecutionRow,
  enqueue,
  lockExecution,
  setExecutionStatus,
  TERMINAL,
} from './store.ts';
import { Task } from './tasks.ts';
import type { Actor, ExecutionStatus, PlanSpec, Role, TenantClient } from './types.ts';

function notFound(executionId: string): ControlResult {
  return { ok: false, code: 'NOT_FOUND', message: `execution ${executionId} not found` };
}

function invalid(exec: ExecutionRow, action: string): ControlResult {
  return { ok: false, code: 'INVALID_STATE', message: `cannot ${action} an execution that is ${exec.status}` };
}

function done(status: ExecutionStatus): ControlResult {
  return { ok: true, status };
}

type Control = (rt: Runtime, client: TenantClient, executionId: string, actor: Actor) => Promise<ControlResult>;

/**
 * A control: locks the run, answers NOT_FOUND or INVALID_STATE (nothing written) unless `applies`
 * accepts the state it found, and otherwise acts on the locked run.
 */
function control(
  action: string,
  applies: (status: ExecutionStatus) => boolean,
  act: (rt: Runtime, client: TenantClient, exec: ExecutionRow, actor: Actor) => Promise<ControlResult>,
): Control {
  return async (rt, client, executionId, actor) => {
    const exec = await lockExecution(client, executionId);
    if (exec === null) return notFound(executionId);
    if (!applies(exec.status)) return invalid(exec, action);
    return act(rt, client, exec, actor);
  };
}

/** Moves the run to `status` with the event that says so (and who asked). */
async function transition(
  client: TenantClient,
  exec: ExecutionRow,
  status: ExecutionStatus,
  event: NewEvent,
  extra?: Parameters<typeof setExecutionStatus>[3],
): Promise<void> {
  await setExecutionStatus(client, exec, status, extra);
  await appendEvents(client, exec.workspace_id, exec.id, [event]);
}

export const pause = control(
  'pause',
  (status) => ACTIVE.includes(status),
  async (rt, client, exec, actor) => {
    await transition(client, exec, 'PAUSED', { type: 'execution.paused', data: { by: actor.userId } });
    rt.logger.info({ executionId: exec.id }, 'execution paused');
    return done('PAUSED');
  },
);

export const resume = control(
  'resume',
  (status) => status === 'PAUSED',
  async (rt, client, exec, actor) => {
    await transition(client, exec, 'RUNNING', { type: 'execution.resumed', data: { by: actor.userId } });
    await rt.advance(client, exec);
    return done(exec.status);
  },
);

export const cancel: Control = control(
  'cancel',
  (status) => !TERMINAL.includes(status) && status !== 'ROLLING_BACK',
  async (rt, client, exec, actor) => {
    const executionId = exec.id;
    // Steps no worker transaction holds right now end here, with a new fence so whatever a running
    // tool returns later is rejected. Rows a worker holds (SKIP LOCKED) are finished by that worker,
    // which takes the execution lock after us and sees CANCELLED (lock order: see store.ts).
    const { rows: cancelled } = await client.query<{ step_id: string }>(
      `UPDATE step_runs SET status = 'CANCELLED', fence = fence + 1, finished_at = now(), lease_owner = NULL,
              lease_expires_at = NULL
        WHERE execution_id = $1 AND step_id IN (
          SELECT step_id FROM step_runs
           WHERE execution_id = $1 AND status IN ('PENDING', 'QUEUED', 'RUNNING', 'WAITING', 'WAITING_APPROVAL')
             FOR UPDATE SKIP LOCKED)
        RETURNING step_id`,
      [executionId],
    );
    const ids = cancelled.map((r) => r.step_id);
    if (ids.length > 0) {
      await client.query(
        `UPDATE step_attempts SET status = 'CANCELLED', finished_at = now(), error = 'execution cancelled', error_detail = $3
          WHERE execution_id = $1 AND step_id = ANY($2::text[]) AND status = 'RUNNING'`,
        [executionId, ids, JSON.stringify(engineStepError(StepErrorCode.CANCELLED, 'execution cancelled'))],
      );
      await client.query('SELECT weft_lease_drop($1, s, NULL) FROM unnest($2::text[]) AS s', [executionId, ids]);
      await closeParked(client, executionId, ids);
      // Resource locks stay with their holders: a running tool's finish releases them (its result is
      // rejected), a dead worker's expire with its lease.
    }
    await client.query(
      `UPDATE approvals SET status = 'EXPIRED', decided_at = now(), comment = 'execution cancelled'
        WHERE execution_id = $1 AND status = 'PENDING'`,
      [executionId],
    );
    await transition(
      client,
      exec,
      'CANCELLED',
      { type: 'execution.cancelled', data: { by: actor.userId } },
      { finished: true, error: null },
    );
    await client.query('SELECT pg_notify($1, $2)', [
      Channel.cancel,
      JSON.stringify({ w: exec.workspace_id, e: exec.id }),
    ]);
    await cancelChildren(rt, client, exec, actor);
    return done('CANCELLED');
  },
);

/**
 * Cancelling a run cancels its child runs, and theirs (sub-plans, map items). Parent before child:
 * a child never takes its parent's lock (it reports its end through a job), so this order is safe.
 */
async function cancelChildren(rt: Runtime, client: TenantClient, exec: ExecutionRow, actor: Actor): Promise<void> {
  await client.query(
    `UPDATE map_items SET status = 'CANCELLED', fence = fence + 1, finished_at = now()
      WHERE execution_id = $1 AND status IN ('PENDING', 'RUNNING')`,
    [exec.id],
  );
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM executions WHERE parent_execution_id = $1 AND status = ANY($2::text[]) ORDER BY id`,
    [exec.id, [...ACTIVE, 'PAUSED']],
  );
  for (const child of rows) await cancel(rt, client, child.id, actor);
}

export const retry = control(
  'retry',
  (status) => status === 'FAILED' || status === 'CANCELLED',
  async (rt, client, exec, actor) => {
    // Retry means "re-run what failed". A cancelled run is final: someone chose to stop it, and
    // restarting it would undo that choice; a new run of the plan is the way to run it again.
    if (exec.status === 'CANCELLED') {
      return {
        ok: false,
        code: 'INVALID_STATE',
        message: 'cannot retry a cancelled execution: cancelling is final; start a new run of the plan instead',
      };
    }
    // The failed steps, and the steps the failure stopped before they started (CANCELLED), run again.
    const { rows } = await client.query<{ step_id: string }>(
      `UPDATE step_runs SET status = 'PENDING', error = NULL, error_detail = NULL, finished_at = NULL, attempt_base = attempts,
              compensation_error = NULL, fell_back = false
        WHERE execution_id = $1 AND status IN ('FAILED', 'CANCELLED') RETURNING step_id`,
      [exec.id],
    );
    const steps = rows.map((r) => r.step_id);
    await transition(
      client,
      exec,
      'RUNNING',
      { type: 'execution.retried', data: { by: actor.userId, steps } },
      { error: null, output: null },
    );
    await rt.advance(client, exec);
    return done(exec.status);
  },
);

export const rollback = control(
  'roll back',
  (status) => TERMINAL.includes(status) && status !== 'ROLLED_BACK',
  async (_rt, client, exec, actor) => {
    await transition(client, exec, 'ROLLING_BACK', { type: 'execution.rolling_back', data: { by: actor.userId } });
    await enqueue(client, Task.compensate, [{ w: exec.workspace_id, e: exec.id }]);
    return done('ROLLING_BACK');
  },
);

export async function decideApproval(
  rt: Runtime,
  client: TenantClient,
  approvalId: string,
  decision: { approve: boolean; comment?: string; actor: Actor },
): Promise<ControlResult> {
  const { rows: found } = await client.query<{ execution_id: string }>(
    'SELECT execution_id FROM approvals WHERE id = $1',
    [approvalId],
  );
  const executionId = found[0]?.execution_id;
  if (executionId === undefined) return { ok: false, code: 'NOT_FOUND', message: `approval ${approvalId} not found` };
  const exec = await lockExecution(client, executionId);
  if (exec === null) return notFound(executionId);
  const { rows } = await client.query<{ step_id: string; status: string; approvers: Role[]; expired: boolean }>(
    `SELECT step_id, status, approvers, (expires_at IS NOT NULL AND expires_at <= now()) AS expired
       FROM approvals WHERE id = $1 FOR UPDATE`,
    [approvalId],
  );
  const approval = rows[0];
  if (approval === undefined) return { ok: false, code: 'NOT_FOUND', message: `approval ${approvalId} not found` };
  if (approval.status !== 'PENDING' || approval.expired) {
    return {
      ok: false,
      code: 'INVALID_STATE',
      message: `approval is ${approval.expired ? 'EXPIRED' : approval.status}`,
    };
  }
  const { rows: started } = await client.query<{ created_by: string | null; rules: PlanSpec['approval'] | null }>(
    `SELECT e.created_by, v.spec->'approval' AS rules
       FROM executions e JOIN plan_versions v ON v.workspace_id = e.workspace_id AND v.id = e.plan_version_id
      WHERE e.id = $1`,
    [executionId],
  );
  const input: ApprovalPolicyInput = {
    workspaceId: exec.workspace_id,
    executionId,
    stepId: approval.step_id,
    approvers: [...approval.approvers],
    actor: decision.actor,
    startedBy: started[0]?.created_by ?? null,
    approve: decision.approve,
  };
  const planRefusal = planApprovalRefusal(input, started[0]?.rules ?? undefined);
  if (planRefusal !== null) return { ok: false, code: 'FORBIDDEN', message: planRefusal };
  const policy = rt.approvalPolicy ?? defaultApprovalPolicy;
  const allowed = await policy(input);
  if (!allowed) {
    const message =
      rt.approvalPolicy === undefined
        ? `only ${allowedRoles(approval.approvers).join(' or ')} may decide this approval`
        : 'the approval policy does not let this actor decide this approval';
    return { ok: false, code: 'FORBIDDEN', message };
  }
  if (TERMINAL.includes(exec.status) || exec.status === 'ROLLING_BACK') return invalid(exec, 'decide an approval of');
  const status = decision.approve ? 'APPROVED' : 'REJECTED';
  const comment = decision.comment ?? null;
  await client.query(
    `UPDATE approvals SET status = $2, decided_by = $3, comment = $4, decided_at = now() WHERE id = $1`,
    [approvalId, status, decision.actor.userId, comment],
  );
  const data = { approvalId, approved: decision.approve, decidedBy: decision.actor.userId, comment };
  if (decision.approve) {
    await client.query(
      `UPDATE step_runs SET status = 'SUCCEEDED', output = $3, error = NULL, error_detail = NULL, finished_at = now()
        WHERE execution_id = $1 AND step_id = $2`,
      [executionId, approval.step_id, JSON.stringify(data)],
    );
    await appendEvents(client, exec.workspace_id, exec.id, [
      { type: 'approval.decided', stepId: approval.step_id, data },
      stepSucceeded(approval.step_id, { output: data }),
    ]);
  } else {
    const rejected = engineStepError(
      StepErrorCode.APPROVAL_REJECTED,
      `approval rejected${comment === null ? '' : `: ${comment}`}`,
    );
    await failApprovalStep(client, exec.workspace_id, exec.id, approval.step_id, data, 'approval rejected', rejected);
  }
  await rt.advance(client, exec);
  return done(exec.status);
}

export interface ApprovalExpireJob {
  w: string;
  e: string;
  s: string;
  a: string;
}

/** The `weft.approval-expire` job: a still-pending approval past its deadline fails its step. */
export async function expireApproval(rt: Runtime, client: TenantClient, job: ApprovalExpireJob): Promise<void> {
  const exec = await lockExecution(client, job.e);
  if (exec === null) return;
  const { rowCount } = await client.query(
    `UPDATE approvals SET status = 'EXPIRED', decided_at = now()
      WHERE id = $1 AND status = 'PENDING' AND expires_at <= now()`,
    [job.a],
  );
  if (rowCount === 0) return;
  const expired = engineStepError(StepErrorCode.APPROVAL_EXPIRED, 'approval expired');
  const decided = { approvalId: job.a, approved: false, expired: true } as const;
  await failApprovalStep(client, job.w, job.e, job.s, decided, 'approval expired', expired);
  await rt.advance(client, exec);
}

/**
 * Fails the step of a rejected or expired approval, with the decision's event and the step's. Only
 * a step still waiting on its approval: one that a cancel or a retry moved on stays as it is.
 */
async function failApprovalStep(
  client: TenantClient,
  workspaceId: string,
  executionId: string,
  stepId: string,
  decided: ExecutionEventData['approval.decided'],
  reason: string,
  stepError: StepError,
): Promise<void> {
  await client.query(
    `UPDATE step_runs SET status = 'FAILED', error = $3, error_detail = $4, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2 AND status = 'WAITING_APPROVAL'`,
    [executionId, stepId, stepError.message, JSON.stringify(stepError)],
  );
  await appendEvents(client, workspaceId, executionId, [
    { type: 'approval.decided', stepId, data: decided },
    { type: 'step.failed', stepId, data: { error: reason, stepError } },
  ]);
}
