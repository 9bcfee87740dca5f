import type { StepSpec } from './types.ts';

/**
 * Delay before the next attempt of a step or a map item (`n` = attempts so far in this cycle):
 * `retry.delayMs` (default 1 s), doubled per attempt with `backoff: "exponential"` (capped at 5 min).
 */
export function retryDelay(step: StepSpec, n: number): number {
  const base = step.retry?.delayMs ?? 1000;
  if (step.retry?.backoff !== 'exponential') return base;
  const raw = Math.min(base * 2 ** (n - 1), 5 * 60_000);
  // Jitter spreads retries of many failing steps so they do not hit a recovering service together.
  return Math.round(raw * (0.5 + Math.random() * 0.5));
}
