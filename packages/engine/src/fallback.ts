/**
 * Fallbacks: a tool step whose attempts are exhausted and that has `fallback: { tool, input? }` is
 * dispatched once more (new fence, a job) with `step_runs.fell_back` set; that dispatch's begin
 * calls the fallback tool instead, and its output becomes the step's. The fallback gets one
 * attempt: if it fails too, the step fails (or goes on with `continueOnError`).
 */
import type { StepJob } from './scheduler.ts';
import type { NewEvent } from './store.ts';
import type { StepSpec, TenantClient } from './types.ts';

/** The step as its fallback dispatch runs it: the fallback's tool and input, no retries or cache. */
export function fallbackStep(step: StepSpec): StepSpec {
  if (step.fallback === undefined) return step;
  const { retry: _retry, cacheTtlMs: _cache, fallback, ...rest } = step;
  return { ...rest, tool: fallback.tool, input: fallback.input ?? step.input ?? {} };
}

/**
 * When a failed attempt was the step's last and it has a fallback not yet tried: marks the step as
 * falling back (the caller then gives it a new fence and queues it) and returns the event to append.
 */
export async function beginFallback(
  client: TenantClient,
  job: StepJob,
  step: StepSpec,
  fellBack: boolean,
  failure: { attempt: number; error: string },
): Promise<NewEvent | null> {
  if (step.fallback === undefined || fellBack) return null;
  await client.query('UPDATE step_runs SET fell_back = true WHERE execution_id = $1 AND step_id = $2', [job.e, job.s]);
  return {
    type: 'step.falling_back',
    stepId: job.s,
    data: { attempt: failure.attempt, error: failure.error, tool: step.fallback.tool },
  };
}
