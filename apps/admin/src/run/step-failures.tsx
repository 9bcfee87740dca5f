import { Badge, Group } from '@mantine/core';
import { statusColour } from '../components/status-chip.tsx';

interface FailedStep {
  stepId: string;
  status: string;
  errorDetail?: { code: string; message: string } | null;
}

/** Each failed step of a run with its error's code and message, in plain view (no hover, no click). */
export function StepFailures({ steps }: { steps: readonly FailedStep[] }) {
  const failed = steps.filter((s) => s.status === 'FAILED' && s.errorDetail != null);
  if (failed.length === 0) return null;
  return (
    <ul className="step-errors" aria-label="Step errors">
      {failed.map((s) => (
        <li key={s.stepId}>
          <code>{s.stepId}</code> <strong>{s.errorDetail?.code}</strong>: {s.errorDetail?.message}
        </li>
      ))}
    </ul>
  );
}

/** Says what a step's status means where it is easy to mistake (QUEUED is not yet RUNNING). */
export const STATUS_HINTS: Record<string, string> = {
  QUEUED: 'queued: no worker has begun it yet',
  RUNNING: 'running: a worker began an attempt',
  WAITING: 'waiting: parked without a worker (sleep or wait for an event)',
  WAITING_APPROVAL: 'waiting for an approval',
  SKIPPED: 'skipped: its condition was false, or a step it depends on was skipped',
};

/** One chip per step of a run: its id and status, coloured by the status. */
export function StepChips({ steps }: { steps: readonly { stepId: string; status: string }[] }) {
  return (
    <Group gap={4} wrap="wrap" className="chips">
      {steps.map((s) => (
        <Badge
          key={s.stepId}
          className="chip"
          data-status={s.status}
          color={statusColour(s.status)}
          variant="light"
          tt="none"
          title={`${s.stepId}: ${STATUS_HINTS[s.status] ?? s.status.toLowerCase()}`}
        >
          {s.stepId} · {s.status}
        </Badge>
      ))}
    </Group>
  );
}
