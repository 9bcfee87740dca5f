import { useQuery } from '@apollo/client/react';
import { Table, Title, UnstyledButton } from '@mantine/core';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { PLAN_TOTALS } from '../graphql/operations.ts';
import { OutcomeCells, OutcomeHeads } from './outcome-cells.tsx';

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
                <OutcomeHeads />
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
                  <OutcomeCells row={p} />
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </section>
  );
}
