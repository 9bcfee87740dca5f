import { Badge } from '@mantine/core';

/** Colours of the statuses we know; any other (a status added by a newer engine) is neutral grey. */
export const STATUS_COLOURS: Record<string, string> = {
  PENDING: 'gray',
  QUEUED: 'cyan',
  RUNNING: 'blue',
  WAITING: 'violet',
  WAITING_APPROVAL: 'yellow',
  PAUSED: 'orange',
  SUCCEEDED: 'green',
  FAILED: 'red',
  LOST: 'red',
  REJECTED: 'red',
  CANCELLED: 'dark',
  SKIPPED: 'gray',
  COMPENSATED: 'grape',
  ROLLING_BACK: 'grape',
  ROLLED_BACK: 'grape',
};

export function statusColour(status: string): string {
  return STATUS_COLOURS[status] ?? 'gray';
}

export function StatusChip({ status }: { status: string }) {
  return (
    <Badge color={statusColour(status)} variant="light" className="status" data-status={status}>
      {status}
    </Badge>
  );
}
