import { useQuery, useSubscription } from '@apollo/client/react';
import { Alert, Anchor, Badge, Code, Grid, Group, Table, Tabs, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { cannotRunReason } from '../components/role-hint.ts';
import { ErrorNote, Loading } from '../components/states.tsx';
import { StatusChip } from '../components/status-chip.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { RUN, RUN_EVENTS } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { PlanGraph } from '../run/plan-graph.tsx';
import { RunControls } from '../run/run-controls.tsx';
import { RunFamily } from '../run/run-family.tsx';
import { RunTimeline } from '../run/run-timeline.tsx';
import { StepFailures } from '../run/step-failures.tsx';
import { StepPanel } from '../run/step-panel.tsx';
import { stepReason } from '../run/step-reasons.ts';
import type { RunNode } from '../run/types.ts';

/**
 * Refetches the run after each event of the `executionEvents` subscription, at most one fetch in
 * flight: a burst of events (a fan-out of steps) costs two fetches, not one per event.
 */
function useLiveRun(id: string, refetch: () => Promise<unknown>) {
  const busy = useRef(false);
  const again = useRef(false);
  const refresh = () => {
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    void refetch().finally(() => {
      busy.current = false;
      if (again.current) {
        again.current = false;
        refresh();
      }
    });
  };
  useSubscription(RUN_EVENTS, { variables: { executionId: id }, onData: refresh });
}

function Facts({ run, slug }: { run: RunNode; slug: string }) {
  const rows: [string, React.ReactNode][] = [
    [
      'Plan',
      <Anchor key="p" component={Link} to={paths.plan(slug, run.planVersion.plan.id)}>
        {run.planVersion.plan.name} v{run.planVersion.number}
      </Anchor>,
    ],
    ['Mode', run.mode],
    ['Started by', run.trigger.toLowerCase()],
    ['Priority', String(run.priority)],
    ['Created', new Date(run.createdAt).toLocaleString()],
    ['Finished', run.finishedAt === null ? '—' : new Date(run.finishedAt).toLocaleString()],
  ];
  return (
    <Table className="facts" withRowBorders={false}>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Th>{k}</Table.Th>
            <Table.Td>{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** One run: its graph coloured live, timeline, steps with every attempt and log, events, controls. */
export function RunPage() {
  const { workspace } = useWorkspace();
  const id = useParams().id ?? '';
  const [polling, setPolling] = useState(false);
  // While a step runs, its logs grow with no event to announce them: poll until nothing runs.
  const { data, loading, error, refetch } = useQuery(RUN, {
    variables: { id },
    fetchPolicy: 'cache-and-network',
    pollInterval: polling ? 2000 : 0,
  });
  useLiveRun(id, () => refetch());
  const [selected, setSelected] = useState<string | null>(null);
  // A link to another run (a child, its parent) keeps this page mounted: start its selection afresh.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `id` is the trigger, not a value read.
  useEffect(() => setSelected(null), [id]);
  const [problem, setProblem] = useState<string | null>(null);
  const node = data?.node;
  // `node` answers any Node type; only an Execution has steps.
  const run = node && 'steps' in node ? node : null;
  const anyRunning = run?.steps.some((s) => s.status === 'RUNNING') ?? false;
  useEffect(() => setPolling(anyRunning), [anyRunning]);
  const statuses = useMemo(() => Object.fromEntries((run?.steps ?? []).map((s) => [s.stepId, s.status])), [run]);
  // Open the failed step (else the first) so a failure's reason is in view without a click.
  useEffect(() => {
    if (selected !== null || run === null || run.steps.length === 0) return;
    setSelected((run.steps.find((s) => s.status === 'FAILED') ?? run.steps[0])?.stepId ?? null);
  }, [run, selected]);
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="the run" />;
  if (run === null) return <Alert color="yellow">No such run in this workspace.</Alert>;
  const step = run.steps.find((s) => s.stepId === selected);
  return (
    <section className="run-page">
      <Group gap="sm" wrap="wrap" mb="xs">
        <Anchor component={Link} to={paths.runs(workspace.slug)}>
          ← Runs
        </Anchor>
        <Title order={3}>
          Run of {run.planVersion.plan.name} v{run.planVersion.number}
        </Title>
        <span className="run-status">
          <StatusChip status={run.status} />
        </span>
        <Badge variant="outline" color="gray" className="run-trigger" tt="none">
          {run.trigger.toLowerCase()}
        </Badge>
      </Group>
      <RunFamily slug={workspace.slug} parent={run.parent ?? null} childRuns={run.children} />
      <Text size="xs" c="dimmed" className="wrap">
        id <Code>{run.id}</Code>
      </Text>
      {run.error !== null && (
        <Alert color="red" title="Why the run failed" className="run-error" my="xs">
          {run.error}
          <StepFailures steps={run.steps} />
        </Alert>
      )}
      {run.error === null && <StepFailures steps={run.steps} />}
      {problem !== null && (
        <Alert color="red" role="alert" my="xs" withCloseButton onClose={() => setProblem(null)}>
          {problem}
        </Alert>
      )}
      <RunControls
        slug={workspace.slug}
        executionId={run.id}
        status={run.status}
        input={run.input}
        stepIds={run.steps.map((s) => s.stepId)}
        disabledReason={cannotRunReason(workspace.viewerRole)}
        onDone={(message) => {
          setProblem(message);
          void refetch();
        }}
      />
      <Grid mt="sm">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <PlanGraph spec={run.planVersion.spec} statuses={statuses} selected={selected} onSelect={setSelected} />
          <Title order={4} mt="sm">
            Timeline
          </Title>
          <RunTimeline
            startedAt={run.startedAt ?? run.createdAt}
            finishedAt={run.finishedAt}
            steps={run.steps}
            attempts={run.attempts}
            onSelect={setSelected}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          {step === undefined ? (
            <Text c="dimmed">Select a step in the graph to see its attempts.</Text>
          ) : (
            <StepPanel
              slug={workspace.slug}
              step={step}
              reason={stepReason(run.events, step.stepId, step.status)}
              attempts={run.attempts.filter((a) => a.stepId === step.stepId)}
              approvals={run.approvals.filter((a) => a.stepId === step.stepId)}
            />
          )}
        </Grid.Col>
      </Grid>
      <Tabs defaultValue="events" mt="md">
        <Tabs.List>
          <Tabs.Tab value="events">Events ({run.events.length})</Tabs.Tab>
          <Tabs.Tab value="io">Input and output</Tabs.Tab>
          <Tabs.Tab value="details">Details</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="events">
          <TableScroll label="Events table" minWidth={360}>
            <Table aria-label="Events" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>At</Table.Th>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Step</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {run.events.map((e) => (
                  <Table.Tr key={e.seq}>
                    <Table.Td>{e.seq}</Table.Td>
                    <Table.Td>{new Date(e.at).toLocaleTimeString()}</Table.Td>
                    <Table.Td>{e.type}</Table.Td>
                    <Table.Td>{e.stepId ?? ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </Tabs.Panel>
        <Tabs.Panel value="io">
          <Text size="xs" fw={600}>
            Input
          </Text>
          <Code block className="json">
            {JSON.stringify(run.input, null, 2)}
          </Code>
          <Text size="xs" fw={600}>
            Output
          </Text>
          <Code block className="json">
            {JSON.stringify(run.output, null, 2)}
          </Code>
        </Tabs.Panel>
        <Tabs.Panel value="details">
          <Facts run={run} slug={workspace.slug} />
        </Tabs.Panel>
      </Tabs>
    </section>
  );
}
