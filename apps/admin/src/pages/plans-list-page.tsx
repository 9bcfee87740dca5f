import { useMutation, useQuery } from '@apollo/client/react';
import { Anchor, Button, Group, Table, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { cannotEditPlansReason, cannotRunReason } from '../components/role-hint.ts';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { attempt } from '../errors.ts';
import { PLANS, START_EXECUTION } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';

/**
 * The workspace's plans: each opens its plan page; members and admins can start the latest
 * version from here (no input; the plan page has the input form) or create a plan.
 */
export function PlansListPage() {
  const { workspace } = useWorkspace();
  const slug = workspace.slug;
  const cannotRun = cannotRunReason(workspace.viewerRole);
  const cannotEdit = cannotEditPlansReason(workspace.viewerRole);
  const { data, loading, error } = useQuery(PLANS, { variables: { slug }, fetchPolicy: 'cache-and-network' });
  const [startExecution, starting] = useMutation(START_EXECUTION);
  const [notice, setNotice] = useState<{ problem: boolean; text: string; runId?: string } | null>(null);

  async function run(planId: string, name: string, mode: 'LIVE' | 'DRY_RUN') {
    const { problem, value } = await attempt(
      () => startExecution({ variables: { input: { planId, mode } } }),
      (result) => ({
        userErrors: result.data?.startExecution.userErrors,
        value: result.data?.startExecution.execution ?? undefined,
      }),
    );
    setNotice(
      problem !== null
        ? { problem: true, text: problem }
        : {
            problem: false,
            text: `Started ${mode === 'DRY_RUN' ? 'a dry run' : 'a run'} of ${name} (${value?.status}).`,
            ...(value === undefined ? {} : { runId: value.id }),
          },
    );
  }

  const plans = data?.workspace?.plans.edges ?? [];
  return (
    <section className="plans-list">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={3}>Plans</Title>
        {/* A link cannot be disabled (it still follows on Enter, and reads as enabled): a role that may
            not create plans gets a disabled button instead, with the reason written below. */}
        {cannotEdit === null ? (
          <Button component={Link} to={paths.newPlan(slug)} size="xs">
            New plan
          </Button>
        ) : (
          <Button size="xs" disabled title={cannotEdit}>
            New plan
          </Button>
        )}
      </Group>
      {cannotEdit !== null && <p className="hint">{cannotEdit}</p>}
      {notice !== null && (
        <p className={notice.problem ? 'error' : 'notice'} role={notice.problem ? 'alert' : 'status'}>
          {notice.text}
        </p>
      )}
      {notice?.runId !== undefined && (
        <Anchor component={Link} to={paths.run(slug, notice.runId)}>
          Open the run
        </Anchor>
      )}
      {cannotRun !== null && <p className="hint">{cannotRun}</p>}
      {error !== undefined && <ErrorNote error={error} />}
      {loading && !data && <Loading what="plans" />}
      {data !== undefined && plans.length === 0 && (
        <Empty>No plans yet. Describe one in words or write its JSON with “New plan”.</Empty>
      )}
      {plans.length > 0 && (
        <TableScroll label="Plans table" minWidth={560}>
          <Table aria-label="Plans">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Plan</Table.Th>
                <Table.Th>Latest version</Table.Th>
                <Table.Th>Message</Table.Th>
                <Table.Th>Saved</Table.Th>
                <Table.Th>Run</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {plans.map(({ node: plan }) => (
                <Table.Tr key={plan.id}>
                  <Table.Td>
                    <Anchor component={Link} to={paths.plan(slug, plan.id)}>
                      {plan.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>v{plan.latestVersion.number}</Table.Td>
                  <Table.Td>{plan.latestVersion.message}</Table.Td>
                  <Table.Td>{new Date(plan.latestVersion.createdAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button
                        size="compact-xs"
                        disabled={starting.loading || cannotRun !== null}
                        title={cannotRun ?? undefined}
                        aria-label={`Run ${plan.name}`}
                        onClick={() => void run(plan.id, plan.name, 'LIVE')}
                      >
                        Run
                      </Button>
                      <Button
                        size="compact-xs"
                        variant="light"
                        disabled={starting.loading || cannotRun !== null}
                        title={cannotRun ?? undefined}
                        aria-label={`Dry run ${plan.name}`}
                        onClick={() => void run(plan.id, plan.name, 'DRY_RUN')}
                      >
                        Dry run
                      </Button>
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
