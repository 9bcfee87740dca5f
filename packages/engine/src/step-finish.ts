/**
 * The finish of `weft.step` attempts, for the attempts of one workspace in one transaction:
 * rejects a stale fence, records each outcome (success, cache write, output size limit, failure,
 * retry or fallback), appends each execution's events and moves it on (`advance`), possibly
 * beginning a ready step for the finishing slot (run-ahead.ts). Plain successes take a fast path:
 * their writes travel with the transaction's first round trip.
 */
import { stepSucceeded } from './events.ts';
import { beginFallback } from './fallback.ts';
import { releaseLocks } from './resource-locks.ts';
import { retryDelay } from './retry-delay.ts';
import { canRunAhead } from './run-ahead.ts';
import type { Runtime } from './runtime.ts';
import { advance } from './scheduler.ts';
import { type Succeeded, succeedAttempts } from './sql/attempt-appends.ts';
import { endFailedAttempt, rejectLateAttempt } from './sql/attempt-rows.ts';
import { lockStepsToFinish } from './sql/step-locks.ts';
import { failStep } from './sql/step-rows.ts';
import { runTogether } from './statement-batch.ts';
import { cachePut } from './step-cache.ts';
import { stepErrorOf, withStepErrorCode } from './step-error.ts';
import { bumpFence, requeueAfter } from './step-retry.ts';
import {
  type ExecutionRow,
  type LockedAndAppended,
  lockAndAppend,
  lockAndAppendStatement,
  lockedAndAppended,
  type NewEvent,
  type OpeningQuery,
  type TxClient,
} from './store.ts';
import type { StepJob } from './tasks.ts';
import type { CallOutcome, RunBegin } from './tool-call.ts';
import { NonRetriableToolError, RetryAfterToolError, type TenantClient, type ToolDefinition } from './types.ts';

function outputSize(output: unknown): number {
  return Buffer.byteLength(JSON.stringify(output ?? null));
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
  const opening = lockStepsToFinish(
    items.map((i) => i.begun.call.executionId),
    items.map((i) => i.begun.call.stepId),
  );
  if (!expect) return opening;
  const then: Array<ReturnType<typeof lockAndAppendStatement>> = [];
  for (const group of byExecution(items)) {
    const plain = group.items.map((item) => plainSuccess(rt, item));
    if (!plain.every((p): p is PlainSuccess => p !== null)) return opening;
    then.push(
      lockAndAppendStatement(
        group.executionId,
        plain.map((p) => p.event),
        succeedAttempts(plain.map((p) => p.succeeded)),
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
      succeeded.length === 0 ? undefined : succeedAttempts(succeeded),
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
    await client.query(rejectLateAttempt(job.e, job.s, call.attempt, job.f));
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
    endFailedAttempt(
      { executionId: job.e, stepId: job.s, fence: job.f },
      {
        attempt: call.attempt,
        status: outcome.interrupted ? 'LOST' : 'FAILED',
        error: error.message,
        detail: stepError,
        durationMs: outcome.durationMs,
      },
    ),
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
  await client.query(failStep(job.e, job.s, { message: error.message, detail: stepError }, true));
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
