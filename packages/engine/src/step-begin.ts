/**
 * The begin of a `weft.step` job, for the jobs of one execution in one transaction: checks the
 * fence, then waits for a workspace slot, resource locks or a rate-limit token, answers from a
 * dry-run mock or the cache, or records the attempt and takes the lease with its `step.started`.
 */
import { withChaos } from './chaos.ts';
import { EngineError } from './errors.ts';
import { stepSucceeded } from './events.ts';
import { fallbackStep } from './fallback.ts';
import { mockFromSchema } from './mock-output.ts';
import { takeToken } from './rate-limits.ts';
import { acquireLocks, lockHolder, releaseLocks } from './resource-locks.ts';
import type { Runtime } from './runtime.ts';
import { advance } from './scheduler.ts';
import { startAttempts } from './sql/attempt-appends.ts';
import { cancelAttemptBeforeStart, insertAnsweredAttempt } from './sql/attempt-rows.ts';
import { countLeases, dropLease, lockWorkspaceSlots, takeQueueLease, takeRunLease } from './sql/leases.ts';
import { lockStepsToBegin } from './sql/step-locks.ts';
import { failStep, setStepStatus, setWaitingReason, succeedStepWithoutCall } from './sql/step-rows.ts';
import { cacheGet } from './step-cache.ts';
import { engineStepError, stepErrorOf } from './step-error.ts';
import { resolveInput } from './step-input.ts';
import {
  appendEventsAtCommit,
  type ExecutionRow,
  enqueue,
  lockAndAppend,
  lockExecution,
  type NewEvent,
  OPEN,
  type OpeningQuery,
  type StepRunRow,
  type WritesWithAppend,
} from './store.ts';
import { type StepJob, Task } from './tasks.ts';
import type { RunBegin } from './tool-call.ts';
import type { TenantClient, ToolDefinition } from './types.ts';

/** What a begin answers its job: run the attempt, or nothing to do (now). */
export type Begin = { kind: 'skip' } | RunBegin;
/** A begin that will start its attempt once its `step.started` event is appended. */
type Starting = RunBegin & { started: NewEvent };

interface LockedStep {
  fence: number;
  status: string;
  attempts: number;
  attempt_base: number;
  waiting_reason: string | null;
  /** The step's attempts were exhausted and this dispatch runs its fallback. */
  fell_back: boolean;
  exec_status: ExecutionRow['status'];
  /** The execution as read (not locked) with the step row. */
  exec: ExecutionRow;
}

/**
 * Locks the jobs' step rows, sorted, then the execution's row (last, as the lock order in store.ts
 * wants; only if a step row was found); sent with the begin transaction's BEGIN. Only dispatched
 * rows (QUEUED; RUNNING for a job whose worker died before its finish, which the fence sorts out):
 * a job for a row in any other state has nothing to do, and leaving such rows unlocked keeps
 * controls that update them (retry) from waiting on a batch that waits on them. Holding the
 * execution's lock from here on fixes the seqs the batch's `step.started` events will get, so
 * their append can go with the COMMIT (`appendEventsAtCommit`).
 */
export function beginOpening(executionId: string, jobs: StepJob[]): OpeningQuery {
  return lockStepsToBegin(
    executionId,
    jobs.map((j) => j.s),
  );
}

/** What `beginOpening` adds to each row: the execution as locked, and the transaction's time. */
interface LockedExecution {
  locked_status: ExecutionRow['status'];
  locked_seq: number;
  tx_at: Date;
}

/**
 * Begins several jobs of ONE execution in one transaction: their step rows locked first (sorted),
 * then the execution; their `step.started` events appended together, one commit. When every job
 * starts, that append goes with the COMMIT (its seqs follow the `last_seq` read under the lock).
 */
export async function beginBatch(
  rt: Runtime,
  client: TenantClient,
  executionId: string,
  jobs: StepJob[],
  opened: unknown[],
): Promise<Begin[]> {
  const rows = opened as Array<LockedStep & LockedExecution & { step_id: string }>;
  const locked = new Map(rows.map((r) => [r.step_id, r]));
  const results: Array<Begin | Starting> = [];
  for (const job of jobs) results.push(await begin(rt, client, job, locked.get(job.s) ?? null));
  const starting = results.filter((r): r is Starting => r.kind === 'run' && 'started' in r);
  if (starting.length === 0) return results;
  const first = rows[0];
  // Any other outcome may have appended events of its own (the seqs read are then stale).
  if (first !== undefined && starting.length === results.length && OPEN.includes(first.locked_status)) {
    const exec = { workspaceId: first.exec.workspace_id, executionId, lastSeq: first.locked_seq, at: first.tx_at };
    await appendEventsAtCommit(
      client,
      exec,
      starting.map((r) => r.started),
      startWrites(rt, starting, '$2'),
    );
    return results;
  }
  const after = await lockAndAppend(
    client,
    executionId,
    starting.map((r) => r.started),
    startWrites(rt, starting, '$1'),
  );
  if (after?.appended) return results;
  // Cancelled while we prepared: these attempts never start.
  for (const r of starting) await cancelBeforeStart(rt, client, r);
  return results.map((r) => (r.kind === 'run' ? { kind: 'skip' } : r));
}

/**
 * The attempts' rows, their step rows and leases, for the statement that appends `step.started`;
 * `execution`: the parameter holding the execution's id in that statement.
 */
function startWrites(rt: Runtime, starting: Starting[], execution: '$1' | '$2'): WritesWithAppend {
  return startAttempts(
    execution,
    starting.map((r) => ({
      stepId: r.call.stepId,
      attempt: r.call.attempt,
      fence: r.call.fence,
      tool: `${r.call.tool.name}@${r.call.tool.version}`,
      input: r.call.input,
    })),
    { workspaceId: starting[0]?.call.workspaceId, workerId: rt.workerId, leaseMs: rt.stepLeaseMs },
  );
}

async function cancelBeforeStart(rt: Runtime, client: TenantClient, r: Starting): Promise<void> {
  const { call } = r;
  const job = { w: call.workspaceId, e: call.executionId, s: call.stepId, f: call.fence };
  await client.query(
    cancelAttemptBeforeStart(job.e, job.s, call.attempt, engineStepError('CANCELLED', 'execution cancelled')),
  );
  await client.query(setStepStatus(job.e, job.s, 'CANCELLED'));
  await client.query(dropLease(job.e, job.s, job.f));
  if (call.lockHolder !== null) await releaseLocks(rt, client, job.w, call.lockKeys, call.lockHolder);
}

async function begin(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  locked: LockedStep | null,
): Promise<Begin | Starting> {
  // A job for an older dispatch (the step was re-dispatched, cancelled or finished): nothing to do.
  if (locked === null || locked.fence !== job.f || (locked.status !== 'QUEUED' && locked.status !== 'RUNNING')) {
    return { kind: 'skip' };
  }
  if (locked.exec_status !== 'RUNNING' && locked.exec_status !== 'WAITING_APPROVAL') {
    // Paused or finished since dispatch: decide under the execution's lock, which a resume or a
    // retry also takes, so the step cannot be stranded.
    const exec = await lockExecution(client, job.e);
    if (exec === null) return { kind: 'skip' };
    if (exec.status === 'PAUSED') {
      await client.query(setStepStatus(job.e, job.s, 'PENDING'));
      await client.query(dropLease(job.e, job.s, job.f));
      return { kind: 'skip' };
    }
    if (exec.status !== 'RUNNING' && exec.status !== 'WAITING_APPROVAL') {
      await client.query(setStepStatus(job.e, job.s, 'CANCELLED'));
      await client.query(dropLease(job.e, job.s, job.f));
      return { kind: 'skip' };
    }
  }
  const exec = locked.exec;
  const run: StepRunRow = {
    step_id: job.s,
    status: 'RUNNING',
    attempts: locked.attempts,
    attempt_base: locked.attempt_base,
    output: null,
    error: null,
    fence: locked.fence,
    waiting_reason: locked.waiting_reason,
    compensated_at: null,
  };
  const plan = await rt.plans.load(client, exec.workspace_id, exec.plan_version_id);
  const planned = plan.steps.get(job.s);
  if (planned === undefined) return { kind: 'skip' };
  const fellBack = locked.fell_back && planned.fallback !== undefined;
  const step = fellBack ? fallbackStep(planned) : planned;
  let tool = step.tool === undefined ? null : await rt.registry.resolve(job.w, step.tool);
  if (tool === null) {
    await failNow(rt, client, job, new EngineError('TOOL_NOT_FOUND', `tool "${step.tool}" is not available`));
    return { kind: 'skip' };
  }

  if (rt.workspaceConcurrency !== null) {
    await client.query(lockWorkspaceSlots(job.w));
    const { rows } = await client.query<{ n: number }>(countLeases());
    if ((rows[0]?.n ?? 0) >= rt.workspaceConcurrency) {
      await wait(rt, client, run, job, 50 + Math.random() * 100, 'workspace', null);
      return { kind: 'skip' };
    }
  }
  const locks = step.locks ?? [];
  const holder = locks.length > 0 ? lockHolder(job.e, job.s, job.f) : null;
  if (holder !== null && !(await acquireLocks(rt, client, job.w, locks, holder))) {
    await wait(rt, client, run, job, 100 + Math.random() * 100, 'lock', { type: 'step.waiting_lock', data: { locks } });
    return { kind: 'skip' };
  }
  const waitMs = await takeToken(rt, client, job.w, tool.name);
  if (waitMs > 0) {
    if (holder !== null) await releaseLocks(rt, client, job.w, locks, holder);
    await wait(rt, client, run, job, waitMs, 'rate', { type: 'step.rate_limited', data: { waitMs } });
    return { kind: 'skip' };
  }

  const input = await resolveInput(client, exec, step);
  const attempt = run.attempts + 1;

  if (exec.mode === 'DRY_RUN') {
    const options = exec.dry_run_options ?? null;
    const mocks = { ...plan.spec.mocks, ...options?.mocks };
    const mocked = Object.hasOwn(mocks, step.id) || tool.dryRun !== 'run';
    const answer = mocked
      ? { output: Object.hasOwn(mocks, step.id) ? mocks[step.id] : mockFromSchema(tool.outputSchema) }
      : null;
    // Under chaos every attempt goes through the tool call, so retries, timeouts and compensation
    // meet the injected faults exactly as they would meet real ones. A fallback is recovery, like a
    // compensation: it is spared the faults (not the latency), so a chaos run shows whether it rescues.
    if (options?.chaos !== undefined) {
      const chaos = fellBack ? { ...options.chaos, failRate: 0, timeoutRate: 0 } : options.chaos;
      tool = withChaos(tool, chaos, step.id, attempt, answer);
    } else if (answer !== null) {
      await succeedNow(rt, client, exec, run, tool, input, answer.output, { holder, keys: locks }, { mocked: true });
      return { kind: 'skip' };
    }
  } else if (step.cacheTtlMs !== undefined && tool.cacheable === true) {
    const cached = await cacheGet(client, tool, input);
    if (cached.hit) {
      await succeedNow(
        rt,
        client,
        exec,
        run,
        tool,
        input,
        cached.output,
        { holder, keys: locks },
        {
          cacheHit: true,
        },
      );
      return { kind: 'skip' };
    }
  }

  // The attempt row, the step row and the lease are written with the `step.started` append
  // (`startWrites`), once every job of the batch has been looked at; but a per-workspace slot
  // counts leases, so with that limit the lease is taken now, before the next job counts.
  if (rt.workspaceConcurrency !== null) {
    await client.query(takeRunLease(job.e, job.s, job.f, rt.workerId, rt.stepLeaseMs));
  }
  const toolRef = `${tool.name}@${tool.version}`;
  return {
    kind: 'run',
    step,
    ...(fellBack ? { fellBack: true } : {}),
    started: {
      type: 'step.started',
      stepId: job.s,
      data: { attempt, tool: toolRef, worker: rt.workerId, ...(fellBack ? { fallback: true } : {}) },
    },
    traceParent: exec.trace_parent ?? null,
    call: {
      workspaceId: job.w,
      executionId: job.e,
      stepId: job.s,
      fence: job.f,
      attempt,
      mode: exec.mode,
      tool,
      input,
      timeoutMs: step.timeoutMs,
      lockHolder: holder,
      lockKeys: locks,
    },
  };
}

/** Re-queues the job for later (same fence); the wait's event is written once per reason. */
async function wait(
  rt: Runtime,
  client: TenantClient,
  run: StepRunRow,
  job: StepJob,
  delayMs: number,
  reason: string,
  event: NewEvent | null,
): Promise<void> {
  if (run.waiting_reason !== reason) {
    await client.query(setWaitingReason(job.e, job.s, reason));
    if (event !== null) await lockAndAppend(client, job.e, [{ ...event, stepId: job.s }]);
  }
  await enqueue(client, Task.step, [{ ...job }], new Date(Date.now() + delayMs));
  await client.query(takeQueueLease(job.e, job.s, job.f, Math.ceil(delayMs) + rt.queuedLeaseMs));
}

/** Completes a step without calling its tool (dry-run mock, cache hit). */
async function succeedNow(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  run: StepRunRow,
  tool: ToolDefinition,
  input: unknown,
  output: unknown,
  locks: { holder: string | null; keys: string[] },
  how: { mocked?: boolean; cacheHit?: boolean },
): Promise<void> {
  const attempt = run.attempts + 1;
  const cacheHit = how.cacheHit === true;
  await client.query(
    insertAnsweredAttempt({
      workspaceId: exec.workspace_id,
      executionId: exec.id,
      stepId: run.step_id,
      attempt,
      fence: run.fence,
      tool: `${tool.name}@${tool.version}`,
      input,
      output,
      workerId: rt.workerId,
      cacheHit,
    }),
  );
  await client.query(succeedStepWithoutCall(exec.id, run.step_id, { attempt, input, output, cacheHit }));
  if (locks.holder !== null) await releaseLocks(rt, client, exec.workspace_id, locks.keys, locks.holder);
  await client.query(dropLease(exec.id, run.step_id, run.fence));
  const events: NewEvent[] = [];
  if (cacheHit) events.push({ type: 'step.cached', stepId: run.step_id, data: { tool: tool.name } });
  events.push(stepSucceeded(run.step_id, { attempt, output, ...how }));
  const locked = await lockAndAppend(client, exec.id, events);
  if (locked !== null) await advance(rt, client, locked);
}

/** Fails a step before any attempt ran (its tool is gone). */
async function failNow(rt: Runtime, client: TenantClient, job: StepJob, error: Error): Promise<void> {
  const stepError = stepErrorOf(error);
  await client.query(dropLease(job.e, job.s, job.f));
  await client.query(failStep(job.e, job.s, { message: error.message, detail: stepError }, false));
  const locked = await lockAndAppend(client, job.e, [
    { type: 'step.failed', stepId: job.s, data: { error: error.message, stepError } },
  ]);
  if (locked !== null) await advance(rt, client, locked);
}
