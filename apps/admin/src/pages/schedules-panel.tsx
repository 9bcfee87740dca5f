import { useMutation, useQuery } from '@apollo/client/react';
import { Button, Code, Group, Table } from '@mantine/core';
import { useState } from 'react';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { FormSection } from '../components/form-section.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { attempt, describeError } from '../errors.ts';
import type { OverlapPolicy } from '../graphql/generated/graphql.ts';
import { CREATE_SCHEDULE, DELETE_SCHEDULE, SCHEDULES, UPDATE_SCHEDULE } from '../graphql/operations.ts';

const OVERLAPS: readonly OverlapPolicy[] = ['SKIP', 'BUFFER_ONE', 'ALLOW_ALL', 'CANCEL_OTHER'];
const when = (at: string | null | undefined) => (at == null ? '—' : new Date(at).toLocaleString());
// The browser's own zone is the likeliest one wanted; the API checks it against the IANA database.
const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/**
 * The workspace's schedules: when each runs next and last ran; members and admins create, pause,
 * resume and delete them; viewers see the same controls disabled, with why.
 */
export function SchedulesPanel({ slug, cannotEdit }: { slug: string; cannotEdit: string | null }) {
  const { data, loading, error, refetch } = useQuery(SCHEDULES, {
    variables: { slug },
    fetchPolicy: 'cache-and-network',
  });
  const [createSchedule, creating] = useMutation(CREATE_SCHEDULE);
  const [updateSchedule] = useMutation(UPDATE_SCHEDULE);
  const [deleteSchedule] = useMutation(DELETE_SCHEDULE);
  const [planId, setPlanId] = useState('');
  const [cron, setCron] = useState('0 9 * * 1');
  const [timezone, setTimezone] = useState(localZone);
  const [overlap, setOverlap] = useState<OverlapPolicy>('SKIP');
  const [problem, setProblem] = useState<string | null>(null);

  if (error) return <p className="error">{describeError(error)}</p>;
  if (loading && !data) return <p>Loading…</p>;
  const schedules = data?.workspace?.schedules ?? [];
  const plans = data?.workspace?.plans.edges.map((e) => e.node) ?? [];

  async function create() {
    const chosen = planId || plans[0]?.id;
    if (chosen === undefined) return;
    const { problem: message } = await attempt(
      () => createSchedule({ variables: { input: { planId: chosen, cron, timezone, overlap } } }),
      (result) => ({ userErrors: result.data?.createSchedule.userErrors }),
    );
    setProblem(message);
    if (message === null) await refetch();
  }

  async function setPaused(id: string, paused: boolean) {
    const { problem: message } = await attempt(
      () => updateSchedule({ variables: { input: { id, paused } } }),
      (result) => ({ userErrors: result.data?.updateSchedule.userErrors }),
    );
    setProblem(message);
    await refetch();
  }

  async function remove(id: string) {
    const { problem: message } = await attempt(
      () => deleteSchedule({ variables: { input: { id } } }),
      (result) => ({ userErrors: result.data?.deleteSchedule.userErrors }),
    );
    setProblem(message);
    await refetch();
  }

  return (
    <section>
      {plans.length > 0 && (
        <FormSection
          title="New schedule"
          submitLabel="Create schedule"
          onSubmit={create}
          disabledReason={cannotEdit}
          submitting={creating.loading}
        >
          <label>
            Plan{' '}
            <select value={planId || plans[0]?.id} onChange={(e) => setPlanId(e.target.value)}>
              {plans.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Cron (5 fields, or 6 with seconds first){' '}
            <input required value={cron} onChange={(e) => setCron(e.target.value)} />
          </label>
          <label>
            Time zone <input required value={timezone} onChange={(e) => setTimezone(e.target.value)} />
          </label>
          <label>
            While a run is still going{' '}
            <select value={overlap} onChange={(e) => setOverlap(e.target.value as OverlapPolicy)}>
              {OVERLAPS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        </FormSection>
      )}
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {schedules.length === 0 ? (
        <p>No schedules yet.</p>
      ) : (
        <TableScroll label="Schedules table" minWidth={640}>
          <Table aria-label="Schedules" bg="white">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Plan</Table.Th>
                <Table.Th>Cron</Table.Th>
                <Table.Th>Time zone</Table.Th>
                <Table.Th>Overlap</Table.Th>
                <Table.Th>Next run</Table.Th>
                <Table.Th>Last run</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {schedules.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>{s.plan.name}</Table.Td>
                  <Table.Td>
                    <Code>{s.cron}</Code>
                  </Table.Td>
                  <Table.Td>{s.timezone}</Table.Td>
                  <Table.Td>{s.overlap}</Table.Td>
                  <Table.Td>{s.paused ? 'paused' : when(s.nextRunAt)}</Table.Td>
                  <Table.Td>{when(s.lastRunAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="wrap">
                      <Button
                        size="xs"
                        variant="light"
                        disabled={cannotEdit !== null}
                        title={cannotEdit ?? undefined}
                        onClick={() => void setPaused(s.id, !s.paused)}
                      >
                        {s.paused ? 'Resume' : 'Pause'} {s.plan.name}
                      </Button>
                      <ConfirmButton
                        label={`Delete ${s.plan.name}`}
                        question={`Delete the schedule ${s.plan.name} (${s.cron})? Runs it started are kept.`}
                        confirmLabel="Yes, delete it"
                        color="red"
                        disabledReason={cannotEdit}
                        onConfirm={() => remove(s.id)}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </section>
  );
}
