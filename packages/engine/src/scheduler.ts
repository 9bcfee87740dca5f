/**
 * Decides what happens next in an execution, inside the transaction that changed it: dispatches
 * ready steps up to the plan's concurrency, opens approval gates, or ends the run. Dispatch takes
 * a new fencing token per step and queues its job in the same transaction, or, for a finishing
 * worker with a free slot, begins the step right there for that worker to run (run-ahead.ts).
 */
import { failsRun, holdsBack, settleBranches } from './branching.ts';
import { isComposite } from './composite-steps.ts';
import { closeParked, isParkedStep, parkSteps } from './parked-steps.ts';
import { beginAhead, type RunAheadOffer } from './run-ahead.ts';
import type { LoadedPlan, Runtime } from './runtime.ts';
import { dispatchSteps } from './sql/dispatch-steps.ts';
import {
  appendEvents,
  appendEventsAtCommit,
  type ExecutionRow,
  enqueue,
  type NewEvent,
  type OpenStep,
  readOpenSteps,
  setExecutionStatus,
  type WritesWithAppend,
} from './store.ts';
import { openComposite } from './sub-plans.ts';
import { Task } from './tasks.ts';
import type { RunBegin } from './tool-call.ts';
import type { TenantClient } from './types.ts';

/**
 * Moves an active execution forward; a no-op for paused, finished or rolling-back ones. The caller
 * holds the execution row's lock (so concurrent finishes see each other's committed results).
 * With an `offer` (a worker finishing steps), ready steps it can run are begun here for it to run
 * after commit (returned); the rest are dispatched as jobs. `known`: the unfinished steps, if the
 * caller read them after taking the execution's lock. `appendedAt`: the `at` of events the caller
 * appended in this transaction, with `exec.last_seq` as they left it: advance's own append may then
 * go with the COMMIT (`appendEventsAtCommit`).
 */
export async function advance(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  offer?: RunAheadOffer,
  known?: OpenStep[],
  appendedAt?: Date,
): Promise<RunBegin[]> {
  if (exec.status !== 'RUNNING' && exec.status !== 'WAITING_APPROVAL' && exec.status !== 'QUEUED') return [];
  const plan = await rt.plans.load(client, exec.workspace_id, exec.plan_version_id);
  // Only unfinished rows are read: a step without one here has SUCCEEDED (every step has a row).
  // `known`: the caller read them under the execution lock already.
  const open = known ?? (await readOpenSteps(client, exec.id));
  const unfinished = new Map(open.map((r) => [r.step_id, { ...r }]));
  // Conditions first (branching.ts): a step switched off here is SKIPPED before anything is dispatched.
  const events: NewEvent[] = await settleBranches(client, exec, plan, unfinished);
  let ahead: RunBegin[] = [];
  let aheadWrites: WritesWithAppend | undefined;
  // running: steps holding a slot of the plan's concurrency (dispatched or begun); parked: WAITING
  // steps (sleeps, waits, plan/map steps whose children run), which hold none but keep the run
  // RUNNING; waiting: approval gates.
  let running = 0;
  let parked = 0;
  let waiting = 0;
  let reopen = false;
  let failed: { step_id: string; error: string | null } | undefined;
  for (const run of unfinished.values()) {
    if (run.status === 'RUNNING' || run.status === 'QUEUED') running++;
    else if (run.status === 'WAITING') parked++;
    else if (run.status === 'WAITING_APPROVAL') waiting++;
    else if (failsRun(plan, run) && failed === undefined) failed = run;
  }

  if (failed === undefined) {
    const ready: string[] = [];
    const approvals: string[] = [];
    const composites: string[] = [];
    const parks: string[] = [];
    let slots = plan.concurrency - running;
    for (const id of plan.order) {
      if (unfinished.get(id)?.status !== 'PENDING') continue;
      if ((plan.deps.get(id) ?? []).some((d) => holdsBack(plan, unfinished.get(d)))) continue;
      if (plan.steps.get(id)?.type === 'approval') approvals.push(id);
      else if (isComposite(plan.steps.get(id))) composites.push(id);
      else if (isParkedStep(plan, id)) parks.push(id);
      else if (slots > 0) {
        ready.push(id);
        slots--;
      }
    }
    let queued = ready;
    if (ready.length > 0 && offer !== undefined && offer.max > 0) {
      const begun = await beginAhead(rt, client, exec, plan, ready, unfinished, offer);
      if (begun !== null) {
        ahead = begun.begun;
        aheadWrites = begun.writes;
        events.push(...begun.events);
        running += ahead.length;
        const taken = new Set(ahead.map((b) => b.call.stepId));
        queued = ready.filter((id) => !taken.has(id));
      }
    }
    if (queued.length > 0) {
      // Dispatch: new fence per step, its job and a lease, in this transaction (see dispatchSteps).
      const { rows } = await client.query<{ queued: number }>(
        dispatchSteps({ id: exec.id, workspaceId: exec.workspace_id }, queued, rt.queuedLeaseMs),
      );
      running += rows[0]?.queued ?? 0;
    }
    for (const id of approvals) {
      await openApproval(client, exec, plan, id, events);
      waiting++;
    }
    for (const id of composites) {
      const opened = await openComposite(rt, client, exec, plan, id, events);
      if (opened.status === 'WAITING') parked++;
      else if (opened.status === 'FAILED') failed ??= { step_id: id, error: opened.error };
      // Finished at once (an empty map, a child that could not start): its dependents may be ready now.
      else reopen = true;
      unfinished.delete(id);
    }
    const parking = await parkSteps(client, exec, plan, parks, events);
    parked += parking.parked;
    failed ??= parking.failed;
  }
  if (failed !== undefined && parked > 0) parked -= await closeParkedAfterFailure(client, exec, plan, events);

  if (reopen && failed === undefined) {
    // Its events go now (not with the commit) so the next pass appends after them.
    await appendEvents(client, exec.workspace_id, exec.id, events, aheadWrites);
    return [...ahead, ...(await advance(rt, client, exec, offer === undefined ? undefined : { ...offer, max: 0 }))];
  }

  if (running === 0 && waiting === 0 && parked === 0) {
    if (failed !== undefined) {
      const error = `step "${failed.step_id}" failed: ${failed.error ?? 'unknown error'}`;
      await setExecutionStatus(client, exec, 'FAILED', { error, finished: true });
      events.push({ type: 'execution.failed', stepId: failed.step_id, data: { error } });
    } else if (![...unfinished.values()].some((r) => r.status === 'PENDING')) {
      const output = await finalOutput(client, exec, plan);
      await setExecutionStatus(client, exec, 'SUCCEEDED', { output, error: null, finished: true });
      events.push({ type: 'execution.succeeded', data: { output } });
    }
  } else {
    const next = running === 0 && parked === 0 ? 'WAITING_APPROVAL' : 'RUNNING';
    if (next !== exec.status) await setExecutionStatus(client, exec, next);
  }
  if (appendedAt === undefined) await appendEvents(client, exec.workspace_id, exec.id, events, aheadWrites);
  else {
    const at = { workspaceId: exec.workspace_id, executionId: exec.id, lastSeq: exec.last_seq, at: appendedAt };
    await appendEventsAtCommit(client, at, events, aheadWrites);
  }
  return ahead;
}

/**
 * A failed step ends the run once nothing runs; parked steps would keep it open for as long as they
 * wait, so they are cancelled now (`retryExecution` parks them again). Returns how many.
 */
async function closeParkedAfterFailure(
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  events: NewEvent[],
): Promise<number> {
  const { rows } = await client.query<{ step_id: string }>(
    `UPDATE step_runs SET status = 'CANCELLED', finished_at = now()
      WHERE execution_id = $1 AND status = 'WAITING' AND step_id = ANY($2::text[]) RETURNING step_id`,
    // Read again rather than from `open`: steps parked by this very call are WAITING too.
    [exec.id, plan.order.filter((id) => isParkedStep(plan, id))],
  );
  const ids = rows.map((r) => r.step_id);
  await closeParked(client, exec.id, ids);
  for (const stepId of ids) events.push({ type: 'step.cancelled', stepId, data: { reason: 'another step failed' } });
  return ids.length;
}

/** Outputs of the plan's sink steps (those nothing depends on), by step id. */
async function finalOutput(
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
): Promise<Record<string, unknown>> {
  const used = new Set<string>();
  for (const deps of plan.deps.values()) for (const d of deps) used.add(d);
  const sinks = plan.order.filter((id) => !used.has(id));
  const { rows } = await client.query<{ step_id: string; output: unknown }>(
    'SELECT step_id, output FROM step_runs WHERE execution_id = $1 AND step_id = ANY($2::text[])',
    [exec.id, sinks],
  );
  const outputs = new Map(rows.map((r) => [r.step_id, r.output]));
  const out: Record<string, unknown> = {};
  for (const id of sinks) out[id] = outputs.get(id) ?? null;
  return out;
}

async function openApproval(
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  stepId: string,
  events: NewEvent[],
): Promise<void> {
  const step = plan.steps.get(stepId);
  const expiresAt = step?.expiresInMs === undefined ? null : new Date(Date.now() + step.expiresInMs);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO approvals (workspace_id, execution_id, step_id, message, approvers, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (workspace_id, execution_id, step_id) DO UPDATE
       SET status = 'PENDING', decided_by = NULL, comment = NULL, decided_at = NULL,
           expires_at = excluded.expires_at, created_at = now()
     RETURNING id`,
    [exec.workspace_id, exec.id, stepId, step?.message ?? null, step?.approvers ?? [], expiresAt],
  );
  const approvalId = rows[0]?.id;
  await client.query(
    `UPDATE step_runs SET status = 'WAITING_APPROVAL', started_at = coalesce(started_at, now())
      WHERE execution_id = $1 AND step_id = $2`,
    [exec.id, stepId],
  );
  events.push({
    type: 'approval.requested',
    stepId,
    data: { approvalId, message: step?.message ?? null, approvers: step?.approvers ?? [], expiresAt },
  });
  if (expiresAt !== null && approvalId !== undefined) {
    await enqueue(
      client,
      Task.approvalExpire,
      [{ w: exec.workspace_id, e: exec.id, s: stepId, a: approvalId }],
      expiresAt,
    );
  }
}
