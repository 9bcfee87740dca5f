import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { Alert, Button, Checkbox, Group, Select, type SelectProps, Table, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';
import { cannotRunReason } from '../components/role-hint.ts';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { StatusChip } from '../components/status-chip.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { useUrlFilters } from '../components/url-filters.ts';
import type { ExecutionMode, ExecutionStatus, ExecutionTrigger } from '../graphql/generated/graphql.ts';
import { CANCEL_EXECUTIONS, PLANS, RETRY_EXECUTIONS, RUNS, WORKSPACE_EXECUTIONS } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { RunFamily } from '../run/run-family.tsx';
import { StepChips, StepFailures } from '../run/step-failures.tsx';

const PAGE = 25;
/** Statuses a run can still be cancelled in (the engine refuses the others). */
const CANCELLABLE = new Set(['QUEUED', 'RUNNING', 'WAITING_APPROVAL', 'PAUSED']);
/** What started a run, as `executions(trigger:)` filters it. */
const TRIGGERS: ExecutionTrigger[] = ['MANUAL', 'SCHEDULE', 'WEBHOOK', 'EVENT', 'PARENT'];
const STATUSES: ExecutionStatus[] = [
  'QUEUED',
  'RUNNING',
  'WAITING_APPROVAL',
  'PAUSED',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'ROLLING_BACK',
  'ROLLED_BACK',
];

/** Runs a bulk action applies to: still going (cancel) or FAILED (retry). */
function selectable(status: ExecutionStatus): boolean {
  return CANCELLABLE.has(status) || status === 'FAILED';
}

/** What a bulk control answers (cancelExecutions and retryExecutions alike). */
interface BulkPayload {
  executions: readonly { id: string }[];
  userErrors: readonly { message: string }[];
}

/** A `datetime-local` value (the browser's time zone) as an ISO instant, or null when empty. */
function isoOf(local: string | null): string | null {
  if (local === null || local === '') return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The workspace's runs, newest first, filtered by status, plan, mode, trigger and time (kept in the
 * URL so a filtered list can be shared and survives a reload), paged, refreshed live; a row opens
 * its run. Selected runs can be cancelled (those still going) or retried (the FAILED ones) at once.
 */
export function RunsPage() {
  const { workspace } = useWorkspace();
  const navigate = useNavigate();
  const pages = useCursorPages();
  const [find, setFind] = useState('');
  const [findError, setFindError] = useState<string | null>(null);
  const filters = useUrlFilters(pages.reset);
  const filter = filters.get;
  const setFilter = filters.set;
  const after = pages.after;
  const { data, loading, error, refetch } = useQuery(RUNS, {
    variables: {
      slug: workspace.slug,
      first: PAGE,
      after,
      status: filter('status') as ExecutionStatus | null,
      planId: filter('plan'),
      mode: filter('mode') as ExecutionMode | null,
      trigger: filter('trigger') as ExecutionTrigger | null,
      createdAfter: isoOf(filter('from')),
      createdBefore: isoOf(filter('to')),
    },
    fetchPolicy: 'cache-and-network',
  });
  const plans = useQuery(PLANS, { variables: { slug: workspace.slug } });
  // Each selected run with its status when selected: the buttons act on the runs each applies to.
  const [selected, setSelected] = useState<Map<string, ExecutionStatus>>(new Map());
  const [bulkNote, setBulkNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [cancelRuns, cancelling] = useMutation(CANCEL_EXECUTIONS);
  const [retryRuns, retrying] = useMutation(RETRY_EXECUTIONS);
  const cannot = cannotRunReason(workspace.viewerRole);
  const toggle = (id: string, status: ExecutionStatus) =>
    setSelected((now) => {
      const next = new Map(now);
      if (next.has(id)) next.delete(id);
      else next.set(id, status);
      return next;
    });
  const cancellable = [...selected].filter(([, status]) => CANCELLABLE.has(status)).map(([id]) => id);
  const retryable = [...selected].filter(([, status]) => status === 'FAILED').map(([id]) => id);
  async function bulk(verb: 'Cancelled' | 'Retried', run: () => Promise<BulkPayload | undefined>) {
    try {
      const payload = await run();
      const done = payload?.executions.length ?? 0;
      const problems = (payload?.userErrors ?? []).map((e) => e.message);
      setBulkNote({
        ok: problems.length === 0,
        text: [`${verb} ${done} run${done === 1 ? '' : 's'}.`, ...problems].join(' '),
      });
      setSelected(new Map());
    } catch (error) {
      setBulkNote({ ok: false, text: error instanceof Error ? error.message : String(error) });
    }
    void refetch();
  }
  const cancelSelected = () =>
    bulk(
      'Cancelled',
      async () => (await cancelRuns({ variables: { input: { ids: cancellable } } })).data?.cancelExecutions,
    );
  const retrySelected = () =>
    bulk('Retried', async () => (await retryRuns({ variables: { input: { ids: retryable } } })).data?.retryExecutions);
  useSubscription(WORKSPACE_EXECUTIONS, {
    variables: { workspaceId: workspace.id },
    onData: () => void refetch(),
  });

  function open(event: FormEvent) {
    event.preventDefault();
    const id = find.trim();
    // Run ids are global ids: base64 of "Execution:…". Anything else cannot be a run.
    let decoded = '';
    try {
      decoded = atob(id);
    } catch {
      decoded = '';
    }
    if (!decoded.startsWith('Execution:')) {
      setFindError('Not a run id (copy it from a run page).');
      return;
    }
    setFindError(null);
    navigate(paths.run(workspace.slug, id));
  }

  const connection = data?.workspace?.executions;
  const runs = connection?.edges ?? [];
  const planOptions = (plans.data?.workspace?.plans.edges ?? []).map((e) => ({ value: e.node.id, label: e.node.name }));
  return (
    <section>
      <form onSubmit={open} className="find">
        <Group align="flex-end" gap="xs" wrap="wrap">
          <TextInput
            label="Find a run by id"
            value={find}
            onChange={(e) => setFind(e.currentTarget.value)}
            error={findError}
          />
          <Button type="submit" variant="light">
            Open
          </Button>
        </Group>
      </form>
      <Group gap="xs" wrap="wrap" mt="xs" aria-label="Filters" role="group">
        <FilterSelect
          label="Status"
          data={STATUSES}
          value={filter('status')}
          onChange={(v) => setFilter('status', v)}
        />
        <FilterSelect
          label="Plan"
          data={planOptions}
          searchable
          value={filter('plan')}
          onChange={(v) => setFilter('plan', v)}
        />
        <FilterSelect
          label="Mode"
          data={['LIVE', 'DRY_RUN']}
          value={filter('mode')}
          onChange={(v) => setFilter('mode', v)}
        />
        <FilterSelect
          label="Trigger"
          data={TRIGGERS}
          value={filter('trigger')}
          onChange={(v) => setFilter('trigger', v)}
        />
        <TextInput
          label="Created from"
          type="datetime-local"
          value={filter('from') ?? ''}
          onChange={(e) => setFilter('from', e.currentTarget.value)}
        />
        <TextInput
          label="Created before"
          type="datetime-local"
          value={filter('to') ?? ''}
          onChange={(e) => setFilter('to', e.currentTarget.value)}
        />
      </Group>
      <Group gap="xs" mt="sm" wrap="wrap">
        <ConfirmButton
          label={`Cancel selected (${cancellable.length})`}
          question={`Cancel ${cancellable.length} run${cancellable.length === 1 ? '' : 's'}? Steps not started never start; running ones are aborted.`}
          color="red"
          loading={cancelling.loading}
          disabledReason={
            cannot ?? (cancellable.length === 0 ? 'Select runs that are still going to cancel them.' : null)
          }
          onConfirm={cancelSelected}
        />
        <ConfirmButton
          label={`Retry selected (${retryable.length})`}
          question={`Retry ${retryable.length} failed run${retryable.length === 1 ? '' : 's'}? Only their failed steps run again; what succeeded is kept.`}
          color="blue"
          loading={retrying.loading}
          disabledReason={cannot ?? (retryable.length === 0 ? 'Select failed runs to retry them.' : null)}
          onConfirm={retrySelected}
        />
        {cannot !== null && (
          <Text size="sm" c="dimmed" className="hint">
            {cannot}
          </Text>
        )}
      </Group>
      {bulkNote !== null && (
        <Alert
          color={bulkNote.ok ? 'green' : 'yellow'}
          role="status"
          mt="xs"
          withCloseButton
          onClose={() => setBulkNote(null)}
        >
          {bulkNote.text}
        </Alert>
      )}
      {error ? (
        <ErrorNote error={error} />
      ) : loading && !data ? (
        <Loading what="runs" />
      ) : runs.length === 0 ? (
        <Empty>{filters.params.size > 0 ? 'No run matches these filters.' : 'No runs yet.'}</Empty>
      ) : (
        <TableScroll label="Runs table" minWidth={720}>
          <Table aria-label="Runs" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>
                  <span className="visually-hidden">Select</span>
                </Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Plan</Table.Th>
                <Table.Th>Mode</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Steps</Table.Th>
                <Table.Th>Finished</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.map(({ node }) => (
                <Table.Tr
                  key={node.id}
                  className="clickable"
                  tabIndex={0}
                  onClick={() => navigate(paths.run(workspace.slug, node.id))}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') navigate(paths.run(workspace.slug, node.id));
                  }}
                >
                  {/* The checkbox selects; the rest of the row opens the run. */}
                  <Table.Td onClick={(e) => e.stopPropagation()}>
                    <Checkbox
                      aria-label={`Select the run of ${node.planVersion.plan.name} created ${new Date(node.createdAt).toLocaleString()}`}
                      checked={selected.has(node.id)}
                      disabled={cannot !== null || !selectable(node.status)}
                      onChange={() => toggle(node.id, node.status)}
                    />
                  </Table.Td>
                  <Table.Td>{new Date(node.createdAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    {node.planVersion.plan.name} v{node.planVersion.number}
                    {node.trigger !== 'MANUAL' && (
                      <Text size="xs" c="dimmed" className="trigger">
                        by {node.trigger.toLowerCase()}
                      </Text>
                    )}
                    <RunFamily slug={workspace.slug} parent={node.parent ?? null} childRuns={node.children} limit={3} />
                  </Table.Td>
                  <Table.Td>{node.mode}</Table.Td>
                  <Table.Td>
                    <StatusChip status={node.status} />
                    {node.error !== null && <div className="row-error">{node.error}</div>}
                    <StepFailures steps={node.steps} />
                  </Table.Td>
                  <Table.Td>
                    <StepChips steps={node.steps} />
                  </Table.Td>
                  <Table.Td>{node.finishedAt === null ? '' : new Date(node.finishedAt).toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <Pager pages={pages} pageInfo={connection?.pageInfo} />
    </section>
  );
}

/** One of the list's filters: "any" when cleared. */
function FilterSelect(props: {
  label: string;
  data: SelectProps['data'];
  searchable?: boolean;
  value: string | null;
  onChange: (value: string | null) => void;
}) {
  return <Select placeholder="any" clearable {...props} />;
}
