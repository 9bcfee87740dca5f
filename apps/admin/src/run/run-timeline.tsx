import { Text, Tooltip } from '@mantine/core';
import { statusColour } from '../components/status-chip.tsx';
import type { Attempt, StepRun } from './types.ts';

const ms = (iso: string) => new Date(iso).getTime();

export function formatDuration(millis: number | null): string {
  if (millis === null) return '—';
  if (millis < 1000) return `${Math.round(millis)} ms`;
  if (millis < 60_000) return `${(millis / 1000).toFixed(1)} s`;
  return `${Math.floor(millis / 60_000)} min ${Math.round((millis % 60_000) / 1000)} s`;
}

/**
 * A Gantt of the run: a row per step, a bar per attempt (retries side by side, their gaps the
 * backoff), and a hatched bar for the time a step waited (approval, sleep) with no attempt running.
 */
export function RunTimeline(props: {
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepRun[];
  attempts: Attempt[];
  onSelect: (stepId: string) => void;
}) {
  const now = Date.now();
  const begin = props.startedAt === null ? now : ms(props.startedAt);
  const end = Math.max(
    props.finishedAt === null ? now : ms(props.finishedAt),
    ...props.attempts.map((a) => (a.finishedAt === null ? now : ms(a.finishedAt))),
    begin + 1,
  );
  const span = end - begin;
  const pct = (t: number) => `${Math.max(0, Math.min(100, ((t - begin) / span) * 100))}%`;
  const width = (from: number, to: number) => `${Math.max(0.5, ((to - from) / span) * 100)}%`;
  if (props.steps.length === 0) return <Text c="dimmed">No step has started yet.</Text>;
  return (
    <section className="timeline" aria-label="Timeline">
      <Text size="xs" c="dimmed">
        0 → {formatDuration(span)}
      </Text>
      {props.steps.map((step) => {
        const attempts = props.attempts.filter((a) => a.stepId === step.stepId);
        const waitFrom = step.startedAt === null ? null : ms(step.startedAt);
        const waitTo = step.finishedAt === null ? now : ms(step.finishedAt);
        return (
          <div key={step.stepId} className="timeline-row">
            <button type="button" className="link timeline-label" onClick={() => props.onSelect(step.stepId)}>
              {step.stepId}
            </button>
            <div className="timeline-track">
              {waitFrom !== null && attempts.length === 0 && (
                <span
                  className="timeline-bar waiting"
                  title={`${step.stepId} ${step.status}`}
                  style={{ left: pct(waitFrom), width: width(waitFrom, waitTo) }}
                />
              )}
              {attempts.map((a) => {
                const from = ms(a.startedAt);
                const to = a.finishedAt === null ? now : ms(a.finishedAt);
                return (
                  <Tooltip
                    key={`${a.kind}-${a.attempt}`}
                    label={`${a.kind === 'compensate' ? 'compensation ' : ''}attempt ${a.attempt}: ${a.status}, ${formatDuration(a.durationMs ?? to - from)}`}
                  >
                    <span
                      className="timeline-bar"
                      data-status={a.status}
                      style={{
                        left: pct(from),
                        width: width(from, to),
                        background: `var(--mantine-color-${statusColour(a.status)}-5)`,
                      }}
                    />
                  </Tooltip>
                );
              })}
            </div>
          </div>
        );
      })}
    </section>
  );
}
