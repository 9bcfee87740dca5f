/**
 * The `weft.step` job: one attempt of one step. Three parts, two transactions:
 * `begin` (checks the fence, waits for a slot/lock/token, answers from a mock or the cache, or
 * records the attempt and takes the lease), the tool call itself (no transaction), and `finish`
 * (rejects a stale fence, records the outcome, retries or moves the execution on). A finish may
 * begin the next step for the same slot (run-ahead.ts): the job then runs it too, without a begin.
 */
import { withChaos } from './chaos.ts';
import { EngineError } from './errors.ts';
import { stepSucceeded } from './events.ts';
import { beginFallback, fallbackStep } from './fallback.ts';
import { mockFromSchema } from './mock-output.ts';
import { takeToken } from './rate-limits.ts';
import { acquireLocks, lockHolder, releaseLocks } from './resource-locks.ts';
import { canRunAhead } from './run-ahead.ts';
import type { Runtime } from './runtime.ts';
import { advance, type StepJob, Task } from './scheduler.ts';
import { runTogether } from './statement-batch.ts';
import { cacheGet, cachePut } from './step-cache.ts';
import { engineStepError, type StepError, stepErrorOf, withStepErrorCode } from './step-error.ts';
import { resolveInput } from './step-input.ts';
import {
  appendEventsAtCommit,
  type ExecutionRow,
  enqueue,
  type LockedAndAppended,
  lockAndAppend,
  lockAndAppendStatement,
  lockExecution,
  lockedAndAppended,
  type NewEvent,
  OPEN,
  type OpeningQuery,
  type StepRunRow,
  type TxClient,
  type WritesWithAppend,
} from './store.ts';
import { type CallOutcome, callTool, holdLease, Interrupted, type RunBegin } from './tool-call.ts';
import { inStepSpan, logAttempt, stepSpanAttributes } from './tracing.ts';
import {
  NonRetriableToolError,
  RetryAfterToolError,
  type StepSpec,
  type TenantClient,
  type ToolDefinition,
} from './types.ts';

type Begin = { kind: 'skip' } | RunBegin;
/** A begin that will start its attempt once its `step.started` event is appended. */
type Starting = RunBegin & { started: NewEvent };

/**
 * How long one job's slot keeps running steps begun ahead before their successors go through the
 * queue again: queued jobs of other runs (and their queued leases) must not wait behind a long chain.
 */
const RUN_AHEAD_SLICE_MS = 1000;

/**
 * Where step begins and finishes are grouped with others' (execution-batcher.ts): the engine owns
 * one of each and hands them to its step jobs.
 */
export interface StepBatches {
  begins: { submit(rt: Runtime, job: StepJob): Promise<Begin> };
  finishes: {
    submit(
      rt: Runtime,
      begun: RunBegin,
      outcome: CallOutcome,
      offer: { tools: readonly ToolDefinition[] } | null,
    ): Promise<RunBegin | null>;
  };
}

export async function runStepJob(rt: Runtime, batches: StepBatches, job: StepJob): Promise<void> {
  const begun = await batches.begins.submit(rt, job);
  if (begun.kind !== 'run') return;
  // The job's slot keeps running the steps its finishes begin ahead (run-ahead.ts).
  const until = performance.now() + RUN_AHEAD_SLICE_MS;
  let next: RunBegin | null = begun;
  while (next !== null) next = await runAttempt(rt, batches, next, performance.now() < until);
}

/**
 * Calls the tool of a begun attempt and records its outcome; with `offerSlot`, returns a step
 * begun ahead for this slot to run next.
 */
async function runAttempt(
  rt: Runtime,
  batches: StepBatches,
  begun: RunBegin,
  offerSlot: boolean,
): Promise<RunBegin | null> {
  return inStepSpan(begun.traceParent, stepSpanAttributes(rt, begun.call), async (span) => {
    // A step begun ahead while the workers stop goes back the way an interrupted call does.
    const outcome: CallOutcome = rt.stopping
      ? { ok: false, error: new Interrupted('worker stopping'), durationMs: 0, interrupted: true }
      : await callTool(rt, begun.call);
    logAttempt(rt, span, begun.call, outcome);
    const release = holdLease(rt, begun.call);
    try {
      const offer = offerSlot && canRunAhead(rt) ? { tools: await rt.registry.list(begun.call.workspaceId) } : null;
      return await batches.finishes.submit(rt, begun, outcome, offer);
    } finally {
      release();
    }
  });
}

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
  return {
    text: `WITH s AS (
         SELECT s.step_id, s.fence, s.status, s.attempts, s.attempt_base, s.waiting_reason, s.fell_back,
                e.status AS exec_status,
                json_build_object('workspace_id', e.workspace_id, 'id', e.id, 'plan_id', e.plan_id,
                  'plan_version_id', e.plan_version_id, 'status', e.status, 'mode', e.mode, 'input', e.input,
                  'context', e.context, 'last_seq', e.last_seq, 'trace_parent', e.trace_parent,
                  'dry_run_options', e.dry_run_options) AS exec
           FROM step_runs s JOIN executions e ON e.workspace_id = s.workspace_id AND e.id = s.execution_id
          WHERE s.execution_id = $1 AND s.step_id = ANY($2::text[]) AND s.status IN ('QUEUED', 'RUNNING')
          ORDER BY s.step_id
            FOR UPDATE OF s
       ), x AS (
         SELECT status, last_seq FROM executions WHERE id = $1 AND (SELECT count(*) FROM s) > 0 FOR UPDATE
       )
       SELECT s.*, x.status AS locked_status, x.last_seq AS locked_seq, now() AS tx_at FROM s, x`,
    values: [executionId, jobs.map((j) => j.s)],
  };
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
  return {
    name: `started${execution === '$2' ? '-at-commit' : ''}`,
    ctes: `st AS (
        SELECT * FROM unnest($7::text[], $8::int[], $9::bigint[], $10::text[], $11::jsonb[])
          AS st(step_id, attempt, fence, tool, input)
      ), st_attempts AS (
        INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, worker_id)
        SELECT $12::uuid, ${execution}::uuid, step_id, 'run', attempt, fence, 'RUNNING', tool, input, $13 FROM st
      ), st_steps AS (
        UPDATE step_runs r SET status = 'RUNNING', attempts = st.attempt, input = st.input,
               started_at = coalesce(r.started_at, now()),
               waiting_reason = NULL, lease_owner = $13,
               lease_expires_at = clock_timestamp() + make_interval(secs => $14::int / 1000.0)
          FROM st WHERE r.execution_id = ${execution}::uuid AND r.step_id = st.step_id
      ), st_leases AS (
        SELECT weft_lease_take(${execution}::uuid, step_id, 'run', fence, $13, $14::int) FROM st
      )`,
    select: ['st_leases'],
    values: [
      starting.map((r) => r.call.stepId),
      starting.map((r) => r.call.attempt),
      starting.map((r) => r.call.fence),
      starting.map((r) => `${r.call.tool.name}@${r.call.tool.version}`),
      starting.map((r) => JSON.stringify(r.call.input ?? null)),
      starting[0]?.call.workspaceId,
      rt.workerId,
      rt.stepLeaseMs,
    ],
  };
}

async function cancelBeforeStart(rt: Runtime, client: TenantClient, r: Starting): Promise<void> {
  const { call } = r;
  const job = { w: call.workspaceId, e: call.executionId, s: call.stepId, f: call.fence };
  await client.query(
    `UPDATE step_attempts SET status = 'CANCELLED', finished_at = now(), error = 'execution cancelled', error_detail = $4
      WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
    [job.e, job.s, call.attempt, JSON.stringify(engineStepError('CANCELLED', 'execution cancelled'))],
  );
  await setStepStatus(client, job, 'CANCELLED');
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [job.e, job.s, job.f]);
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
      await setStepStatus(client, job, 'PENDING');
      await client.query('SELECT weft_lease_drop($1, $2, $3)', [job.e, job.s, job.f]);
      return { kind: 'skip' };
    }
    if (exec.status !== 'RUNNING' && exec.status !== 'WAITING_APPROVAL') {
      await setStepStatus(client, job, 'CANCELLED');
      await client.query('SELECT weft_lease_drop($1, $2, $3)', [job.e, job.s, job.f]);
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
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('weft-workspace-slots:' || $1))`, [job.w]);
    const { rows } = await client.query<{ n: number }>('SELECT weft_lease_count() AS n');
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
    // meet the injected faults exactly as they would meet real ones.
    if (options?.chaos !== undefined) tool = withChaos(tool, options.chaos, step.id, attempt, answer);
    else if (answer !== null) {
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
    await client.query(`SELECT weft_lease_take($1, $2, 'run', $3::bigint, $4, $5::int)`, [
      job.e,
      job.s,
      job.f,
      rt.workerId,
      rt.stepLeaseMs,
    ]);
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

async function setStepStatus(client: TenantClient, job: StepJob, status: 'PENDING' | 'CANCELLED'): Promise<void> {
  await client.query(
    `UPDATE step_runs SET status = $3, finished_at = CASE WHEN $3 = 'CANCELLED' THEN now() ELSE finished_at END
      WHERE execution_id = $1 AND step_id = $2`,
    [job.e, job.s, status],
  );
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
    await client.query('UPDATE step_runs SET waiting_reason = $3 WHERE execution_id = $1 AND step_id = $2', [
      job.e,
      job.s,
      reason,
    ]);
    if (event !== null) await lockAndAppend(client, job.e, [{ ...event, stepId: job.s }]);
  }
  await enqueue(client, Task.step, [{ ...job }], new Date(Date.now() + delayMs));
  await client.query(`SELECT weft_lease_take($1, $2, 'run', $3::bigint, 'queue', $4::int)`, [
    job.e,
    job.s,
    job.f,
    Math.ceil(delayMs) + rt.queuedLeaseMs,
  ]);
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
    `INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, output,
                                worker_id, cache_hit, finished_at, duration_ms)
     VALUES ($1, $2, $3, 'run', $4, $5, 'SUCCEEDED', $6, $7, $8, $9, $10, now(), 0)`,
    [
      exec.workspace_id,
      exec.id,
      run.step_id,
      attempt,
      run.fence,
      `${tool.name}@${tool.version}`,
      JSON.stringify(input ?? null),
      JSON.stringify(output ?? null),
      rt.workerId,
      cacheHit,
    ],
  );
  await client.query(
    `UPDATE step_runs SET status = 'SUCCEEDED', attempts = $3, input = $4, output = $5, error = NULL, error_detail = NULL, cache_hit = $6,
            waiting_reason = NULL, started_at = coalesce(started_at, now()), finished_at = now()
      WHERE execution_id = $1 AND step_id = $2`,
    [exec.id, run.step_id, attempt, JSON.stringify(input ?? null), JSON.stringify(output ?? null), cacheHit],
  );
  if (locks.holder !== null) await releaseLocks(rt, client, exec.workspace_id, locks.keys, locks.holder);
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [exec.id, run.step_id, run.fence]);
  const events: NewEvent[] = [];
  if (cacheHit) events.push({ type: 'step.cached', stepId: run.step_id, data: { tool: tool.name } });
  events.push(stepSucceeded(run.step_id, { attempt, output, ...how }));
  const locked = await lockAndAppend(client, exec.id, events);
  if (locked !== null) await advance(rt, client, locked);
}

/** Fails a step before any attempt ran (its tool is gone). */
async function failNow(rt: Runtime, client: TenantClient, job: StepJob, error: Error): Promise<void> {
  const stepError = stepErrorOf(error);
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [job.e, job.s, job.f]);
  await client.query(
    `UPDATE step_runs SET status = 'FAILED', error = $3, error_detail = $4, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2`,
    [job.e, job.s, error.message, JSON.stringify(stepError)],
  );
  const locked = await lockAndAppend(client, job.e, [
    { type: 'step.failed', stepId: job.s, data: { error: error.message, stepError } },
  ]);
  if (locked !== null) await advance(rt, client, locked);
}

function outputSize(output: unknown): number {
  return Buffer.byteLength(JSON.stringify(output ?? null));
}

/** Delay before the next attempt (`n` = attempts so far in this cycle). */
export function retryDelay(step: StepSpec, n: number): number {
  const base = step.retry?.delayMs ?? 1000;
  if (step.retry?.backoff !== 'exponential') return base;
  const raw = Math.min(base * 2 ** (n - 1), 5 * 60_000);
  // Jitter spreads retries of many failing steps so they do not hit a recovering service together.
  return Math.round(raw * (0.5 + Math.random() * 0.5));
}

/** What one finished attempt adds to its execution's batch. */
interface Finished {
  events: NewEvent[];
  /** Runs once the execution row is locked (and the batch's events appended). */
  after?: (exec: ExecutionRow & { appended: boolean }) => Promise<void>;
  /** The execution may move on (a step ended). */
  advances: boolean;
}

/**
 * Locks the attempts' step rows (sorted), then their executions' rows (sorted; `e` only runs once
 * `s` is complete), so worker transactions take locks in one order; sent with the finish
 * transaction's BEGIN. Holding the execution locks from here on lets the statement that appends an
 * execution's events also read its unfinished steps for `advance` (its snapshot starts after the
 * lock was taken). Executions none of whose steps is still RUNNING are not locked.
 *
 * With `expect`, when every attempt is a plain success (`plainSuccess`), each execution's append
 * goes in the same round trip (`then`), before the locked rows are seen: it writes the successes
 * only on rows still RUNNING under the attempt's fence and fails the transaction (`STALE_WRITE`,
 * see `weft_check`) unless all of them were, and the batch then runs again without `expect`.
 */
export function finishOpening(rt: Runtime, items: FinishInput[], expect: boolean): OpeningQuery {
  const opening: OpeningQuery = {
    text: `WITH s AS (
         SELECT r.execution_id, r.step_id, r.fence, r.status, r.attempts, r.attempt_base
           FROM step_runs r JOIN unnest($1::text[]::uuid[], $2::text[]) AS i(execution_id, step_id)
             ON r.execution_id = i.execution_id AND r.step_id = i.step_id
          WHERE r.status = 'RUNNING'
          ORDER BY r.execution_id, r.step_id FOR UPDATE OF r
       ), e AS (
         SELECT id FROM executions WHERE (SELECT count(*) FROM s) > 0 AND id IN (SELECT execution_id FROM s)
          ORDER BY id FOR UPDATE
       )
       SELECT s.* FROM s WHERE (SELECT count(*) FROM e) >= 0`,
    values: [items.map((i) => i.begun.call.executionId), items.map((i) => i.begun.call.stepId)],
  };
  if (!expect) return opening;
  const then: Array<ReturnType<typeof lockAndAppendStatement>> = [];
  for (const group of byExecution(items)) {
    const plain = group.items.map((item) => plainSuccess(rt, item));
    if (!plain.every((p): p is PlainSuccess => p !== null)) return opening;
    then.push(
      lockAndAppendStatement(
        group.executionId,
        plain.map((p) => p.event),
        successWrites(plain.map((p) => p.succeeded)),
        { openSteps: true },
      ),
    );
  }
  return { ...opening, then };
}

/** The batch's items by execution, sorted like the execution locks. */
function byExecution(items: FinishInput[]): Array<{ executionId: string; indexes: number[]; items: FinishInput[] }> {
  const groups = new Map<string, { executionId: string; indexes: number[]; items: FinishInput[] }>();
  items.forEach((item, i) => {
    const { executionId } = item.begun.call;
    const group = groups.get(executionId);
    if (group === undefined) groups.set(executionId, { executionId, indexes: [i], items: [item] });
    else {
      group.indexes.push(i);
      group.items.push(item);
    }
  });
  return [...groups.values()].sort((a, b) => (a.executionId < b.executionId ? -1 : 1));
}

/**
 * Records the outcomes of attempts of one workspace in one transaction (`opened`: the rows
 * `finishOpening` locked; `appended`: the rows of its appends, if it sent them), execution by
 * execution: each gets one event append and one `advance`. Concurrent steps finishing together
 * share the commit instead of queueing for it one by one. Items with `tools` offer their worker
 * slot: `advance` may begin a ready step for each, returned at the item's index for that slot to run.
 */
export async function finishBatch(
  rt: Runtime,
  client: TxClient,
  items: FinishInput[],
  opened: unknown[],
  appended: unknown[][],
): Promise<Array<RunBegin | null>> {
  const rows = opened as Array<LockedForFinish & { execution_id: string }>;
  const out = items.map((): RunBegin | null => null);
  // Sorted like the locks, so the statements below meet the rows in the order they were taken. The
  // executions' statements travel together (one round trip per stage, not per execution).
  const groups = byExecution(items).map((group, k) => ({ ...group, appended: appended[k] }));
  const nexts = await runTogether(client, groups, (batched, group) =>
    finishExecution(
      rt,
      batched,
      group.executionId,
      group.items,
      rows.filter((r) => r.execution_id === group.executionId),
      group.appended,
    ),
  );
  groups.forEach((group, g) => {
    nexts[g]?.forEach((n, k) => {
      const i = group.indexes[k];
      if (i !== undefined) out[i] = n;
    });
  });
  return out;
}

/** One attempt to finish: what its tool call returned, and its slot's tools if the slot may run ahead. */
export interface FinishInput {
  begun: RunBegin;
  outcome: CallOutcome;
  tools: readonly ToolDefinition[] | null;
}

interface LockedForFinish {
  step_id: string;
  fence: number;
  status: string;
  attempts: number;
  attempt_base: number;
}

/**
 * The part of a finish batch for one execution, whose rows `finishOpening` locked; `appended`: the
 * rows of the append `finishOpening` sent for it (all its attempts succeeded plainly).
 */
async function finishExecution(
  rt: Runtime,
  client: TenantClient,
  executionId: string,
  items: FinishInput[],
  rows: LockedForFinish[],
  appended: unknown[] | undefined,
): Promise<Array<RunBegin | null>> {
  const none = items.map((): RunBegin | null => null);
  const results: Finished[] = [];
  const succeeded: Succeeded[] = [];
  let exec: LockedAndAppended | null;
  if (appended !== undefined) {
    for (const item of items) {
      const plain = plainSuccess(rt, item);
      if (plain !== null) succeeded.push(plain.succeeded);
      results.push({ events: [], advances: true });
    }
    exec = await lockedAndAppended(client, appended);
  } else {
    const locked = new Map(rows.map((r) => [r.step_id, r]));
    for (const item of items) {
      const job = jobOf(item.begun);
      results.push(await finishOne(rt, client, job, item.begun, item.outcome, locked.get(job.s), succeeded));
    }
    if (results.every((r) => r.events.length === 0 && r.after === undefined && !r.advances)) return none;
    exec = await lockAndAppend(
      client,
      executionId,
      results.flatMap((r) => r.events),
      succeeded.length === 0 ? undefined : successWrites(succeeded),
      { openSteps: rows.length > 0 },
    );
  }
  if (exec === null) return none;
  for (const r of results) if (r.after !== undefined) await r.after(exec);
  if (!exec.appended || !results.some((r) => r.advances)) return none;
  const slots = items.flatMap((item, i) => (item.tools === null ? [] : [{ i, tools: item.tools }]));
  const first = slots[0];
  // The statement that wrote the successes read the steps as they were before it.
  const done = new Set(succeeded.map((s) => s.stepId));
  const ahead = await advance(
    rt,
    client,
    exec,
    first === undefined || !canRunAhead(rt) ? undefined : { max: slots.length, tools: first.tools },
    exec.openSteps?.filter((o) => !done.has(o.step_id)),
    exec.appendedAt,
  );
  ahead.forEach((begun, k) => {
    const slot = slots[k];
    if (slot !== undefined) none[slot.i] = begun;
  });
  return none;
}

interface PlainSuccess {
  succeeded: Succeeded;
  event: NewEvent;
}

/**
 * A success that finish records with its writes and event alone: no resource locks to release,
 * nothing to cache, output within the limit. Null for any other outcome.
 */
function plainSuccess(rt: Runtime, item: { begun: RunBegin; outcome: CallOutcome }): PlainSuccess | null {
  const { call, step } = item.begun;
  const { outcome } = item;
  if (!outcome.ok || call.lockHolder !== null) return null;
  if (step.cacheTtlMs !== undefined && call.tool.cacheable === true && call.mode === 'LIVE') return null;
  const output = outcome.output ?? null;
  if (outputSize(output) > rt.maxOutputBytes) return null;
  return {
    succeeded: {
      stepId: call.stepId,
      attempt: call.attempt,
      output,
      durationMs: outcome.durationMs,
      fence: call.fence,
    },
    event: stepSucceeded(call.stepId, {
      attempt: call.attempt,
      durationMs: outcome.durationMs,
      output,
      ...fellBackData(item.begun),
    }),
  };
}

/** A successful attempt whose step row this transaction holds, recorded with the event append. */
interface Succeeded {
  stepId: string;
  attempt: number;
  output: unknown;
  durationMs: number;
  fence: number;
}

/** The attempts', step rows' and leases' side of successes, for the statement that appends their events. */
function successWrites(items: Succeeded[]): WritesWithAppend {
  return {
    name: 'succeeded',
    ctes: `ok AS (
        SELECT * FROM unnest($7::text[], $8::int[], $9::jsonb[], $10::float8[], $11::bigint[])
          AS ok(step_id, attempt, output, duration_ms, fence)
      ), ok_attempts AS (
        UPDATE step_attempts a SET status = 'SUCCEEDED', output = ok.output, finished_at = now(), duration_ms = ok.duration_ms
          FROM ok WHERE a.execution_id = $1 AND a.step_id = ok.step_id AND a.kind = 'run' AND a.attempt = ok.attempt
      ), ok_steps AS (
        UPDATE step_runs r SET status = 'SUCCEEDED', output = ok.output, error = NULL, error_detail = NULL, cache_hit = false, finished_at = now(),
               lease_owner = NULL, lease_expires_at = NULL
          FROM ok WHERE r.execution_id = $1 AND r.step_id = ok.step_id AND r.status = 'RUNNING' AND r.fence = ok.fence
        RETURNING 1
      ), ok_leases AS (
        SELECT weft_lease_drop($1, ok.step_id, ok.fence) FROM ok
      )`,
    select: ['ok_leases'],
    // Sent before the rows were seen (finishOpening), every success must still be the step's.
    check: '(SELECT count(*) FROM ok_steps) = cardinality($7::text[])',
    values: [
      items.map((i) => i.stepId),
      items.map((i) => i.attempt),
      items.map((i) => JSON.stringify(i.output)),
      items.map((i) => i.durationMs),
      items.map((i) => i.fence),
    ],
  };
}

/** What a success's event adds when its attempt ran the step's fallback. */
function fellBackData(begun: RunBegin): { fellBack?: true } {
  return begun.fellBack === true ? { fellBack: true } : {};
}

/** The job a begun attempt answers to (its fence is the dispatch it began under). */
function jobOf(begun: RunBegin): StepJob {
  const { call } = begun;
  return { w: call.workspaceId, e: call.executionId, s: call.stepId, f: call.fence };
}

async function finishOne(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  begun: RunBegin,
  result: CallOutcome,
  locked: { fence: number; status: string; attempts: number; attempt_base: number } | undefined,
  succeeded: Succeeded[],
): Promise<Finished> {
  const { call, step } = begun;
  let outcome = result;
  if (locked === undefined || locked.fence !== job.f || locked.status !== 'RUNNING') {
    // Fenced off: the step was re-dispatched (lease lost) or cancelled; this result must not count.
    await client.query(
      `UPDATE step_attempts SET status = CASE WHEN status = 'RUNNING' THEN 'REJECTED' ELSE status END,
              error = coalesce(error || '; ', '') || 'late result rejected (fence ' || $4 || ')'
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
      [job.e, job.s, call.attempt, job.f],
    );
    if (call.lockHolder !== null) await releaseLocks(rt, client, job.w, call.lockKeys, call.lockHolder);
    rt.logger.warn({ executionId: job.e, stepId: job.s, fence: job.f }, 'late step result rejected');
    return { events: [], advances: false };
  }
  if (call.lockHolder !== null) await releaseLocks(rt, client, job.w, call.lockKeys, call.lockHolder);

  if (outcome.ok) {
    const size = outputSize(outcome.output);
    if (size > rt.maxOutputBytes) {
      outcome = {
        ok: false,
        durationMs: outcome.durationMs,
        interrupted: false,
        error: withStepErrorCode(
          new NonRetriableToolError(
            `output of ${size} bytes is above the limit of ${rt.maxOutputBytes} bytes (not truncated: the step fails)`,
          ),
          'OUTPUT_TOO_LARGE',
        ),
      };
    }
  }

  if (outcome.ok) {
    const output = outcome.output ?? null;
    succeeded.push({ stepId: job.s, attempt: call.attempt, output, durationMs: outcome.durationMs, fence: job.f });
    if (step.cacheTtlMs !== undefined && call.tool.cacheable === true && call.mode === 'LIVE') {
      await cachePut(client, call.tool, call.input, output, step.cacheTtlMs);
    }
    return {
      events: [
        stepSucceeded(job.s, { attempt: call.attempt, durationMs: outcome.durationMs, output, ...fellBackData(begun) }),
      ],
      advances: true,
    };
  }

  const error = outcome.error;
  const stepError = stepErrorOf(error);
  await client.query(
    `WITH a AS (
       UPDATE step_attempts SET status = $7, error = $4, error_detail = $8, finished_at = now(), duration_ms = $5
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3
     )
     SELECT weft_lease_drop($1, $2, $6)`,
    [
      job.e,
      job.s,
      call.attempt,
      error.message,
      outcome.durationMs,
      job.f,
      outcome.interrupted ? 'LOST' : 'FAILED',
      JSON.stringify(stepError),
    ],
  );
  if (outcome.interrupted) {
    // The worker stopped (not the tool's fault): hand the step back without spending an attempt.
    const fence = await bumpFence(client, job, { spendAttempt: false, runAt: null });
    return { events: [], after: (exec) => requeueAfter(rt, client, job, fence, exec, null), advances: false };
  }
  const cycle = locked.attempts - locked.attempt_base;
  if (stepError.retriable && cycle < (step.retry?.maxAttempts ?? 1)) {
    const delayMs = error instanceof RetryAfterToolError ? error.retryAfterMs : retryDelay(step, cycle);
    const runAt = new Date(Date.now() + delayMs);
    const fence = await bumpFence(client, job, { spendAttempt: true, runAt, error: stepError });
    return {
      events: [
        {
          type: 'step.retrying',
          stepId: job.s,
          data: { attempt: call.attempt, error: error.message, delayMs, stepError },
        },
      ],
      after: (exec) => requeueAfter(rt, client, job, fence, exec, runAt),
      advances: false,
    };
  }
  const falling = await beginFallback(client, job, step, begun.fellBack === true, {
    attempt: call.attempt,
    error: error.message,
  });
  if (falling !== null) {
    const fence = await bumpFence(client, job, { spendAttempt: true, runAt: null, error: stepError });
    return { events: [falling], after: (exec) => requeueAfter(rt, client, job, fence, exec, null), advances: false };
  }
  await client.query(
    `UPDATE step_runs SET status = 'FAILED', error = $3, error_detail = $4, finished_at = now(), lease_owner = NULL,
            lease_expires_at = NULL
      WHERE execution_id = $1 AND step_id = $2`,
    [job.e, job.s, error.message, JSON.stringify(stepError)],
  );
  const goesOn = step.continueOnError === true ? { continueOnError: true as const } : {};
  return {
    events: [
      {
        type: 'step.failed',
        stepId: job.s,
        data: { attempt: call.attempt, error: error.message, stepError, ...goesOn },
      },
    ],
    advances: true,
  };
}

/** A new fence for the step's next dispatch (the caller holds the step row's lock). */
async function bumpFence(
  client: TenantClient,
  job: StepJob,
  how: { spendAttempt: boolean; runAt: Date | null; error?: StepError },
): Promise<number> {
  const { rows } = await client.query<{ fence: number }>(
    `UPDATE step_runs SET status = 'QUEUED', fence = fence + 1, next_attempt_at = $3, error = coalesce($4, error),
            error_detail = coalesce($6::jsonb, error_detail),
            attempt_base = attempt_base + CASE WHEN $5::boolean THEN 0 ELSE 1 END,
            lease_owner = NULL, lease_expires_at = NULL
      WHERE execution_id = $1 AND step_id = $2 RETURNING fence`,
    [
      job.e,
      job.s,
      how.runAt,
      how.error?.message ?? null,
      how.spendAttempt,
      how.error === undefined ? null : JSON.stringify(how.error),
    ],
  );
  return rows[0]?.fence ?? job.f + 1;
}

/** Under the execution lock: queue the step's next attempt, or park it (paused) or end it (closed run). */
async function requeueAfter(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  fence: number,
  exec: ExecutionRow,
  runAt: Date | null,
): Promise<void> {
  if (exec.status === 'PAUSED') {
    await setStepStatus(client, job, 'PENDING');
  } else if (exec.status === 'RUNNING' || exec.status === 'WAITING_APPROVAL') {
    await enqueue(client, Task.step, [{ ...job, f: fence }], runAt);
    const delay = runAt === null ? 0 : Math.max(0, runAt.getTime() - Date.now());
    await client.query(`SELECT weft_lease_take($1, $2, 'run', $3::bigint, 'queue', $4::int)`, [
      job.e,
      job.s,
      fence,
      Math.ceil(delay) + rt.queuedLeaseMs,
    ]);
  } else {
    await setStepStatus(client, job, 'CANCELLED');
  }
}

/**
 * Gives the step a new fence and queues its next attempt, unless the run was cancelled meanwhile
 * (then the step ends CANCELLED). The caller holds the step row's lock.
 */
export async function redispatch(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  how: { spendAttempt: boolean; runAt: Date | null; error?: StepError; event: NewEvent | null },
): Promise<void> {
  const fence = await bumpFence(client, job, how);
  const exec = await lockAndAppend(client, job.e, how.event === null ? [] : [how.event]);
  if (exec !== null) await requeueAfter(rt, client, job, fence, exec, how.runAt);
}
