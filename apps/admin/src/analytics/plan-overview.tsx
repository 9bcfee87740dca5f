import { useQuery } from '@apollo/client/react';
import { Table, Title, UnstyledButton } from '@mantine/core';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { PLAN_TOTALS } from '../graphql/operations.ts';
import { formatMs, formatRate } from './ranges.ts';

/** Every plan with runs in the range, most runs first; choosing one shows its charts. */
export function PlanOverview(props: {
  slug: string;
  since: string;
  until: string;
  selected: string | null;
  onSelect: (planId: string) => void;
}) {
  const { data, loading, error } = useQuery(PLAN_TOTALS, {
    variables: { slug: props.slug, since: props.since, until: props.until },
    fetchPolicy: 'cache-and-network',
  });
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="plans' runs" />;
  const plans = data?.workspace?.planStats ?? [];
  return (
    <section aria-label="Plans in this range">
      <Title order={3} size="h4">
        Plans
      </Title>
      {plans.length === 0 ? (
        <Empty>No runs in this range.</Empty>
      ) : (
        <TableScroll label="Plans by runs table" minWidth={560}>
          <Table aria-label="Plans by runs" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Plan</Table.Th>
                <Table.Th>Runs</Table.Th>
                <Table.Th>Succeeded</Table.Th>
                <Table.Th>Failed</Table.Th>
                <Table.Th>Success rate</Table.Th>
                <Table.Th>p50</Table.Th>
                <Table.Th>p95</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {plans.map((p) => (
                <Table.Tr key={p.plan.id} aria-selected={p.plan.id === props.selected}>
                  <Table.Td>
                    <UnstyledButton
                      className="link"
                      fz="sm"
                      fw={p.plan.id === props.selected ? 700 : undefined}
                      onClick={() => props.onSelect(p.plan.id)}
                    >
                      {p.plan.name}
                    </UnstyledButton>
                  </Table.Td>
                  <Table.Td>{p.runs}</Table.Td>
                  <Table.Td>{p.succeeded}</Table.Td>
                  <Table.Td>{p.failed}</Table.Td>
                  <Table.Td>{formatRate(p.successRate)}</Table.Td>
                  <Table.Td>{formatMs(p.p50Ms)}</Table.Td>
                  <Table.Td>{formatMs(p.p95Ms)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </section>
  );
}
