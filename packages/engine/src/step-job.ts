/**
 * The `weft.step` job: one attempt of one step. Three parts, two transactions: begin
 * (step-begin.ts), the tool call itself (no transaction, tool-call.ts), and finish
 * (step-finish.ts). A finish may begin the next step for the same slot (run-ahead.ts): the job
 * then runs it too, without a begin, for up to one slice.
 */
import { canRunAhead } from './run-ahead.ts';
import type { Runtime } from './runtime.ts';
import type { Begin } from './step-begin.ts';
import type { StepJob } from './tasks.ts';
import { type CallOutcome, callTool, holdLease, Interrupted, type RunBegin } from './tool-call.ts';
import { inStepSpan, logAttempt, stepSpanAttributes } from './tracing.ts';
import type { ToolDefinition } from './types.ts';

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
