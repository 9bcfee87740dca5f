import type { RunEvent } from './types.ts';

const when = (at: unknown) => (typeof at === 'string' ? new Date(at).toLocaleString() : null);

/**
 * Why a step is WAITING or SKIPPED, from the latest event that said so (`step.waiting`,
 * `step.skipped`); null when the run's events do not tell (older runs, or a truncated history).
 */
export function stepReason(events: readonly RunEvent[], stepId: string, status: string): string | null {
  const type = status === 'WAITING' ? 'step.waiting' : status === 'SKIPPED' ? 'step.skipped' : null;
  if (type === null) return null;
  const event = events.findLast((e) => e.stepId === stepId && e.type === type);
  if (event === undefined || typeof event.data !== 'object' || event.data === null) return null;
  const data = event.data as Record<string, unknown>;
  if (type === 'step.skipped') {
    if (data.reason === 'condition') {
      return `Skipped: its condition ${typeof data.condition === 'string' ? `\`${data.condition}\` ` : ''}was false.`;
    }
    return `Skipped: ${typeof data.dependency === 'string' ? `step ${data.dependency}` : 'a step it depends on'} was skipped.`;
  }
  const until = when(data.until);
  if (data.kind === 'sleep') return until === null ? 'Sleeping.' : `Sleeping until ${until}.`;
  const name = typeof data.event === 'string' ? `event "${data.event}"` : 'an event';
  return `Waiting for ${name}${until === null ? '' : ` until ${until}`}${data.match == null ? '' : ` matching ${JSON.stringify(data.match)}`}.`;
}
