/**
 * The `weft.step` job: one attempt of one step. Three parts, two transactions:
 * `begin` (checks the fence, waits for a slot/lock/token, answers from a mock or the cache, or
 * records the attempt and takes the lease), the tool call itself (no transaction), and `finish`
 * (rejects a stale fence, records the outcome, retries or moves the execution on).
 */
import { withTenant } from '@weft/db';
import { EngineError } from './errors.ts';
import { mockFromSchema } from './mock-output.ts';
import { takeToken } from './rate-limits.ts';
import { acquireLocks, lockHolder, releaseLocks } from './resource-locks.ts';
import type { Runtime } from './runtime.ts';
import { advance, type StepJob, Task } from './scheduler.ts';
import { cacheGet, cachePut } from './step-cache.ts';
import {
  appendEvents,
  type ExecutionRow,
  enqueue,
  loadStepRun,
  lockExecution,
  type NewEvent,
  type StepRunRow,
} from './store.ts';
import { referencedSteps, resolveTemplates } from './templates.ts';
import { type CallOutcome, callTool, type ToolCall } from './tool-call.ts';
import { inStepSpan, logAttempt, stepSpanAttributes } from './tracing.ts';
import {
  NonRetriableToolError,
  RetryAfterToolError,
  type StepSpec,
  type TenantClient,
  type ToolDefinition,
} from './types.ts';

type Begin = { kind: 'skip' } | { kind: 'run'; call: ToolCall; step: StepSpec; traceParent: string | null };

export async function runStepJob(rt: Runtime, job: StepJob): Promise<void> {
  const begun = await withTenant(rt.pools.app, { workspaceId: job.w }, (client) => begin(rt, client, job));
  if (begun.kind !== 'run') return;
  await inStepSpan(begun.traceParent, stepSpanAttributes(rt, begun.call), async (span) => {
    const outcome = await callTool(rt, begun.call);
    logAttempt(rt, span, begun.call, outcome);
    await withTenant(rt.pools.app, { workspaceId: job.w }, (client) => finish(rt, client, job, begun, outcome));
  });
}

async function begin(rt: Runtime, client: TenantClient, job: StepJob): Promise<Begin> {
  const exec = await lockExecution(client, job.e);
  if (exec === null) return { kind: 'skip' };
  const run = await loadStepRun(client, job.e, job.s);
  // A job for an older dispatch (the step was re-dispatched, cancelled or finished): nothing to do.
  if (run === null || run.fence !== job.f || run.status !== 'RUNNING') return { kind: 'skip' };
  if (exec.status === 'PAUSED') {
    // Dispatched before the pause but not started: back to PENDING; resume dispatches it again.
    await client.query(`UPDATE step_runs SET status = 'PENDING' WHERE execution_id = $1 AND step_id = $2`, [
      job.e,
      job.s,
    ]);
    return { kind: 'skip' };
  }
  if (exec.status !== 'RUNNING' && exec.status !== 'WAITING_APPROVAL') return { kind: 'skip' };
  const plan = await rt.plans.load(client, exec.plan_version_id);
  const step = plan.steps.get(job.s);
  if (step === undefined) return { kind: 'skip' };
  const tool = step.tool === undefined ? null : await rt.registry.resolve(job.w, step.tool);
  if (tool === null) {
    await failNow(rt, client, exec, step, new EngineError('TOOL_NOT_FOUND', `tool "${step.tool}" is not available`));
    return { kind: 'skip' };
  }

  if (rt.workspaceConcurrency !== null) {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('weft-workspace-slots:' || $1))`, [job.w]);
    const { rows } = await client.query<{ n: number }>('SELECT weft_lease_count() AS n');
    if ((rows[0]?.n ?? 0) >= rt.workspaceConcurrency) {
      await wait(client, exec, run, job, 100 + Math.random() * 100, 'workspace', null);
      return { kind: 'skip' };
    }
  }
  const locks = step.locks ?? [];
  const holder = locks.length > 0 ? lockHolder(job.e, job.s, job.f) : null;
  if (holder !== null && !(await acquireLocks(client, locks, holder, rt.stepLeaseMs))) {
    await wait(client, exec, run, job, 100 + Math.random() * 100, 'lock', {
      type: 'step.waiting_lock',
      data: { locks },
    });
    return { kind: 'skip' };
  }
  const waitMs = await takeToken(client, rt.rateLimits, tool.name);
  if (waitMs > 0) {
    if (holder !== null) await releaseLocks(client, holder);
    await wait(client, exec, run, job, waitMs, 'rate', { type: 'step.rate_limited', data: { waitMs } });
    return { kind: 'skip' };
  }

  const input = await resolveInput(client, exec, step);
  const attempt = run.attempts + 1;

  if (exec.mode === 'DRY_RUN') {
    const mocks = plan.spec.mocks ?? {};
    if (Object.hasOwn(mocks, step.id) || tool.dryRun !== 'run') {
      const output = Object.hasOwn(mocks, step.id) ? mocks[step.id] : mockFromSchema(tool.outputSchema);
      await succeedNow(rt, client, exec, run, tool, input, output, holder, { mocked: true });
      return { kind: 'skip' };
    }
  } else if (step.cacheTtlMs !== undefined && tool.cacheable === true) {
    const cached = await cacheGet(client, tool, input);
    if (cached.hit) {
      await succeedNow(rt, client, exec, run, tool, input, cached.output, holder, { cacheHit: true });
      return { kind: 'skip' };
    }
  }

  await client.query(
    `INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, worker_id)
     VALUES ($1, $2, $3, 'run', $4, $5, 'RUNNING', $6, $7, $8)`,
    [job.w, job.e, job.s, attempt, job.f, `${tool.name}@${tool.version}`, JSON.stringify(input ?? null), rt.workerId],
  );
  await client.query(
    `UPDATE step_runs SET attempts = $3, input = $4, started_at = coalesce(started_at, now()), waiting_reason = NULL,
            lease_owner = $5, lease_expires_at = clock_timestamp() + make_interval(secs => $6 / 1000.0)
      WHERE execution_id = $1 AND step_id = $2`,
    [job.e, job.s, attempt, JSON.stringify(input ?? null), rt.workerId, rt.stepLeaseMs],
  );
  await client.query('SELECT weft_lease_take($1, $2, $3, $4, $5, $6)', [
    job.e,
    job.s,
    'run',
    job.f,
    rt.workerId,
    rt.stepLeaseMs,
  ]);
  await appendEvents(client, job.w, job.e, [
    {
      type: 'step.started',
      stepId: job.s,
      data: { attempt, tool: `${tool.name}@${tool.version}`, worker: rt.workerId },
    },
  ]);
  return {
    kind: 'run',
    step,
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
    },
  };
}

async function resolveInput(client: TenantClient, exec: ExecutionRow, step: StepSpec): Promise<unknown> {
  const refs = referencedSteps(step.input ?? {});
  const steps: Record<string, unknown> = {};
  if (refs.length > 0) {
    const { rows } = await client.query<{ step_id: string; output: unknown }>(
      'SELECT step_id, output FROM step_runs WHERE execution_id = $1 AND step_id = ANY($2::text[])',
      [exec.id, refs],
    );
    for (const r of rows) steps[r.step_id] = r.output;
  }
  return resolveTemplates(step.input ?? {}, { input: exec.input, steps, context: exec.context });
}

/** Re-queues the job for later (same fence); the wait's event is written once per reason. */
async function wait(
  client: TenantClient,
  exec: ExecutionRow,
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
    if (event !== null) await appendEvents(client, exec.workspace_id, exec.id, [{ ...event, stepId: job.s }]);
  }
  await enqueue(client, Task.step, [{ ...job }], new Date(Date.now() + delayMs));
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
  holder: string | null,
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
    `UPDATE step_runs SET status = 'SUCCEEDED', attempts = $3, input = $4, output = $5, error = NULL, cache_hit = $6,
            waiting_reason = NULL, started_at = coalesce(started_at, now()), finished_at = now()
      WHERE execution_id = $1 AND step_id = $2`,
    [exec.id, run.step_id, attempt, JSON.stringify(input ?? null), JSON.stringify(output ?? null), cacheHit],
  );
  if (holder !== null) await releaseLocks(client, holder);
  const events: NewEvent[] = [];
  if (cacheHit) events.push({ type: 'step.cached', stepId: run.step_id, data: { tool: tool.name } });
  events.push({ type: 'step.succeeded', stepId: run.step_id, data: { attempt, output, ...how } });
  await appendEvents(client, exec.workspace_id, exec.id, events);
  await advance(rt, client, exec);
}

/** Fails a step before any attempt ran (its tool is gone). */
async function failNow(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  error: Error,
): Promise<void> {
  await client.query(
    `UPDATE step_runs SET status = 'FAILED', error = $3, finished_at = now() WHERE execution_id = $1 AND step_id = $2`,
    [exec.id, step.id, error.message],
  );
  await appendEvents(client, exec.workspace_id, exec.id, [
    { type: 'step.failed', stepId: step.id, data: { error: error.message } },
  ]);
  await advance(rt, client, exec);
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

async function finish(
  rt: Runtime,
  client: TenantClient,
  job: StepJob,
  begun: Extract<Begin, { kind: 'run' }>,
  result: CallOutcome,
): Promise<void> {
  const { call, step } = begun;
  let outcome = result;
  const exec = await lockExecution(client, job.e);
  const run = exec === null ? null : await loadStepRun(client, job.e, job.s);
  if (exec === null || run === null || run.fence !== job.f || run.status !== 'RUNNING') {
    // Fenced off: the step was re-dispatched (lease lost) or cancelled; this result must not count.
    await client.query(
      `UPDATE step_attempts SET status = CASE WHEN status = 'RUNNING' THEN 'REJECTED' ELSE status END,
              error = coalesce(error || '; ', '') || 'late result rejected (fence ' || $4 || ')'
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
      [job.e, job.s, call.attempt, job.f],
    );
    if (call.lockHolder !== null) await releaseLocks(client, call.lockHolder);
    rt.logger.warn({ executionId: job.e, stepId: job.s, fence: job.f }, 'late step result rejected');
    return;
  }
  await client.query('SELECT weft_lease_drop($1, $2, $3)', [job.e, job.s, job.f]);
  if (call.lockHolder !== null) await releaseLocks(client, call.lockHolder);

  if (outcome.ok) {
    const size = outputSize(outcome.output);
    if (size > rt.maxOutputBytes) {
      outcome = {
        ok: false,
        durationMs: outcome.durationMs,
        interrupted: false,
        error: new NonRetriableToolError(
          `output of ${size} bytes is above the limit of ${rt.maxOutputBytes} bytes (not truncated: the step fails)`,
        ),
      };
    }
  }

  if (outcome.ok) {
    const output = outcome.output ?? null;
    await client.query(
      `UPDATE step_attempts SET status = 'SUCCEEDED', output = $4, finished_at = now(), duration_ms = $5
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
      [job.e, job.s, call.attempt, JSON.stringify(output), outcome.durationMs],
    );
    await client.query(
      `UPDATE step_runs SET status = 'SUCCEEDED', output = $3, error = NULL, cache_hit = false, finished_at = now(),
              lease_owner = NULL, lease_expires_at = NULL
        WHERE execution_id = $1 AND step_id = $2`,
      [job.e, job.s, JSON.stringify(output)],
    );
    if (step.cacheTtlMs !== undefined && call.tool.cacheable === true && exec.mode === 'LIVE') {
      await cachePut(client, call.tool, call.input, output, step.cacheTtlMs);
    }
    await appendEvents(client, job.w, job.e, [
      {
        type: 'step.succeeded',
        stepId: job.s,
        data: { attempt: call.attempt, durationMs: Math.round(outcome.durationMs), output },
      },
    ]);
    await advance(rt, client, exec);
    return;
  }

  const error = outcome.error;
  if (outcome.interrupted) {
    // The worker stopped (not the tool's fault): re-dispatch without spending an attempt.
    await client.query(
      `UPDATE step_attempts SET status = 'LOST', error = $4, finished_at = now(), duration_ms = $5
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
      [job.e, job.s, call.attempt, error.message, outcome.durationMs],
    );
    const { rows } = await client.query<{ fence: number }>(
      `UPDATE step_runs SET fence = fence + 1, attempt_base = attempt_base + 1 WHERE execution_id = $1 AND step_id = $2
       RETURNING fence`,
      [job.e, job.s],
    );
    await enqueue(client, Task.step, [{ ...job, f: rows[0]?.fence ?? job.f + 1 }]);
    return;
  }
  await client.query(
    `UPDATE step_attempts SET status = 'FAILED', error = $4, finished_at = now(), duration_ms = $5
      WHERE execution_id = $1 AND step_id = $2 AND kind = 'run' AND attempt = $3`,
    [job.e, job.s, call.attempt, error.message, outcome.durationMs],
  );
  const cycle = run.attempts - run.attempt_base;
  const retriable = !(error instanceof NonRetriableToolError);
  if (retriable && cycle < (step.retry?.maxAttempts ?? 1)) {
    const delayMs = error instanceof RetryAfterToolError ? error.retryAfterMs : retryDelay(step, cycle);
    const runAt = new Date(Date.now() + delayMs);
    const { rows } = await client.query<{ fence: number }>(
      `UPDATE step_runs SET fence = fence + 1, error = $3, next_attempt_at = $4 WHERE execution_id = $1 AND step_id = $2
       RETURNING fence`,
      [job.e, job.s, error.message, runAt],
    );
    await appendEvents(client, job.w, job.e, [
      { type: 'step.retrying', stepId: job.s, data: { attempt: call.attempt, error: error.message, delayMs } },
    ]);
    await enqueue(client, Task.step, [{ ...job, f: rows[0]?.fence ?? job.f + 1 }], runAt);
    return;
  }
  await client.query(
    `UPDATE step_runs SET status = 'FAILED', error = $3, finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE execution_id = $1 AND step_id = $2`,
    [job.e, job.s, error.message],
  );
  await appendEvents(client, job.w, job.e, [
    { type: 'step.failed', stepId: job.s, data: { attempt: call.attempt, error: error.message } },
  ]);
  await advance(rt, client, exec);
}
