import { Alert, Anchor, Badge, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { StatusChip } from '../components/status-chip.tsx';
import { paths } from '../paths.ts';
import { formatDuration } from './run-timeline.tsx';
import { STATUS_HINTS } from './step-failures.tsx';
import type { Attempt, RunApproval, StepRun } from './types.ts';

function Json({ label, value }: { label: string; value: unknown }) {
  if (value === null || value === undefined) return null;
  return (
    <div>
      <Text size="xs" fw={600}>
        {label}
      </Text>
      <Code block className="json">
        {JSON.stringify(value, null, 2)}
      </Code>
    </div>
  );
}

function AttemptCard({ attempt }: { attempt: Attempt }) {
  return (
    <section
      className="card attempt"
      aria-label={`Attempt ${attempt.attempt}${attempt.kind === 'compensate' ? ' (compensation)' : ''}`}
    >
      <Group gap="xs" wrap="wrap">
        <Title order={5}>
          {attempt.kind === 'compensate' ? 'Compensation' : 'Attempt'} {attempt.attempt}
        </Title>
        <StatusChip status={attempt.status} />
        {attempt.cacheHit && <Badge variant="outline">cache hit</Badge>}
      </Group>
      <Table className="facts" withRowBorders={false}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th>Tool</Table.Th>
            <Table.Td>{attempt.tool ?? '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Worker</Table.Th>
            <Table.Td className="wrap">{attempt.workerId ?? '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Started</Table.Th>
            <Table.Td>{new Date(attempt.startedAt).toLocaleString()}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Duration</Table.Th>
            <Table.Td>{formatDuration(attempt.durationMs)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {attempt.error !== null && (
        <Alert color="red" title="Error" className="attempt-error">
          {attempt.error}
        </Alert>
      )}
      <Json label="Input" value={attempt.input} />
      <Json label="Output" value={attempt.output} />
      <Text size="xs" fw={600}>
        Logs
      </Text>
      {attempt.logs.length === 0 ? (
        <Text size="xs" c="dimmed">
          Nothing logged.
        </Text>
      ) : (
        <pre className="logs" data-attempt={attempt.attempt}>
          {attempt.logs
            .map(
              (l) =>
                `${new Date(l.at).toLocaleTimeString()} ${l.level.toUpperCase()} ${l.message}${l.data === null ? '' : ` ${JSON.stringify(l.data)}`}`,
            )
            .join('\n')}
        </pre>
      )}
    </section>
  );
}

/** One step of the run: its status, its failure in plain view, and every attempt in full. */
export function StepPanel({
  slug,
  step,
  reason,
  attempts,
  approvals,
}: {
  slug: string;
  step: StepRun;
  /** Why the step waits or was skipped, when the run's events tell (step-reasons.ts). */
  reason: string | null;
  attempts: Attempt[];
  approvals: RunApproval[];
}) {
  return (
    <Stack gap="xs" className="step-panel" aria-label={`Step ${step.stepId}`}>
      <Group gap="xs">
        <Title order={4}>Step {step.stepId}</Title>
        <StatusChip status={step.status} />
        {step.cacheHit && <Badge variant="outline">cache hit</Badge>}
        {step.fellBack && (
          <Badge variant="outline" color="orange" className="fell-back">
            fell back
          </Badge>
        )}
      </Group>
      {STATUS_HINTS[step.status] !== undefined && (
        <Text size="xs" c="dimmed">
          {STATUS_HINTS[step.status]}
        </Text>
      )}
      {reason !== null && (
        <Alert color={step.status === 'WAITING' ? 'violet' : 'gray'} className="step-reason">
          {reason}
        </Alert>
      )}
      {step.fellBack && (
        <Text size="sm" className="fell-back-note">
          Its attempts failed; the output is its fallback's.
        </Text>
      )}
      {(step.error !== null || step.errorDetail != null) && (
        <Alert
          color="red"
          title={
            step.errorDetail == null
              ? 'Why it failed'
              : `Why it failed: ${step.errorDetail.code}${step.errorDetail.retriable ? ' (retriable)' : ''}`
          }
          className="step-error"
        >
          {step.errorDetail?.message ?? step.error}
        </Alert>
      )}
      {approvals.map((a) => (
        <Alert
          key={a.id}
          color={a.status === 'PENDING' ? 'yellow' : 'gray'}
          title={`Approval ${a.status.toLowerCase()}`}
        >
          {a.message ?? 'No message.'}{' '}
          <Text span size="xs" c="dimmed">
            (may decide: {a.approvers.length > 0 ? a.approvers.join(', ') : 'ADMIN, MEMBER'})
          </Text>
          {a.status === 'PENDING' && (
            <div>
              <Anchor component={Link} to={paths.approvals(slug)}>
                Approve or reject
              </Anchor>
            </div>
          )}
        </Alert>
      ))}
      {attempts.length === 0 && approvals.length > 0 ? null : attempts.length === 0 ? (
        <Text c="dimmed">No attempt yet.</Text>
      ) : (
        [...attempts].reverse().map((a) => <AttemptCard key={`${a.kind}-${a.attempt}`} attempt={a} />)
      )}
    </Stack>
  );
}
