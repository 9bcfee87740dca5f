import { createHash } from 'node:crypto';
import { EngineError } from './errors.ts';
import type { ToolDefinition } from './types.ts';

/**
 * @public Fault injection for a dry run: each attempt of a step may fail, time out, or be slowed.
 * Outcomes are drawn per (seed, step, attempt), so a run with the same seed fails the same way.
 */
export interface ChaosOptions {
  /** Chance (0..1) that an attempt fails like a tool error (retries apply). */
  failRate: number;
  /** Added latency before each attempt answers, in milliseconds (0..CHAOS_LIMITS.maxLatencyMs). */
  latencyMs: number;
  /** Chance (0..1) that an attempt ends as a step timeout. */
  timeoutRate: number;
  /** Any integer; the same seed gives the same faults. */
  seed: number;
}

/** @public Bounds of `chaos` on a start: latency is held by a worker slot, so it stays short. */
export const CHAOS_LIMITS = { maxLatencyMs: 10_000, maxSeed: 2 ** 31 - 1 } as const;

/** @public Problems with a `chaos` object, as field paths and messages (empty when it is valid). */
export function chaosIssues(chaos: ChaosOptions): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  for (const field of ['failRate', 'timeoutRate'] as const) {
    const rate = chaos[field];
    if (!Number.isFinite(rate) || rate < 0 || rate > 1)
      issues.push({ field, message: `${field} must be from 0 to 1.` });
  }
  if (issues.length === 0 && chaos.failRate + chaos.timeoutRate > 1) {
    issues.push({ field: 'timeoutRate', message: 'failRate and timeoutRate together must not exceed 1.' });
  }
  if (!Number.isInteger(chaos.latencyMs) || chaos.latencyMs < 0 || chaos.latencyMs > CHAOS_LIMITS.maxLatencyMs) {
    issues.push({
      field: 'latencyMs',
      message: `latencyMs must be an integer from 0 to ${CHAOS_LIMITS.maxLatencyMs}.`,
    });
  }
  if (!Number.isInteger(chaos.seed) || Math.abs(chaos.seed) > CHAOS_LIMITS.maxSeed) {
    issues.push({ field: 'seed', message: `seed must be an integer within ±${CHAOS_LIMITS.maxSeed}.` });
  }
  return issues;
}

export type ChaosFault = 'fail' | 'timeout' | null;

/**
 * The fault of one attempt: a keyed hash rather than a sequential generator, because a run's steps
 * start in an order that depends on workers and timing; a stream of draws would hand the same
 * seed different faults from one run to the next, a hash of (seed, step, attempt) cannot.
 */
export function chaosFault(chaos: ChaosOptions, stepId: string, attempt: number): ChaosFault {
  const digest = createHash('sha256').update(`${chaos.seed}\0${stepId}\0${attempt}`).digest();
  const draw = digest.readUInt32BE(0) / 2 ** 32;
  if (draw < chaos.failRate) return 'fail';
  if (draw < chaos.failRate + chaos.timeoutRate) return 'timeout';
  return null;
}

/**
 * The tool as this attempt of a chaos run sees it: the added latency first (abortable, so cancel
 * and the step's own timeout still work), then the drawn fault, else the mock `answer` when the
 * dry run would have mocked the step, else the tool itself.
 */
export function withChaos(
  tool: ToolDefinition,
  chaos: ChaosOptions,
  stepId: string,
  attempt: number,
  answer: { output: unknown } | null,
): ToolDefinition {
  const fault = chaosFault(chaos, stepId, attempt);
  return {
    ...tool,
    async run(input, ctx) {
      if (chaos.latencyMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, chaos.latencyMs);
          ctx.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(ctx.signal.reason);
            },
            { once: true },
          );
        });
      }
      if (fault === 'fail') throw new Error(`chaos: injected failure of "${stepId}" (attempt ${attempt})`);
      if (fault === 'timeout') {
        throw new EngineError('STEP_TIMEOUT', `chaos: injected timeout of "${stepId}" (attempt ${attempt})`);
      }
      return answer === null ? tool.run(input, ctx) : answer.output;
    },
  };
}
