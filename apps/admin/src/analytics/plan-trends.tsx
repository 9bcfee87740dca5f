import { useQuery } from '@apollo/client/react';
import { BarChart, LineChart } from '@mantine/charts';
import { SimpleGrid, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import type { StatsBucket } from '../graphql/generated/graphql.ts';
import { PLAN_STATS } from '../graphql/operations.ts';
import { OutcomeCells, OutcomeHeads } from './outcome-cells.tsx';
import { bucketLabel, formatMs } from './ranges.ts';

/** A chart with a caption; the numbers behind every chart are also in the table below them. */
function Chart({ title, children }: { title: string; children: ReactNode }) {
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>
        <Text size="sm" fw={600}>
          {title}
        </Text>
      </figcaption>
      {children}
    </figure>
  );
}

/**
 * One plan's runs over a window: how many (by outcome), how often they succeed and how long they
 * take (p50/p95), per hour or day, as charts and as a table of the buckets that had runs.
 */
export function PlanTrends(props: { planId: string; since: string; until: string; bucket: StatsBucket }) {
  const { data, loading, error } = useQuery(PLAN_STATS, {
    variables: { planId: props.planId, since: props.since, until: props.until, bucket: props.bucket },
    fetchPolicy: 'cache-and-network',
  });
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="plan statistics" />;
  const node = data?.node;
  const plan = node && 'stats' in node ? node : null;
  if (plan === null) return <Empty>This plan no longer exists.</Empty>;
  const buckets = plan.stats.map((b) => ({
    ...b,
    label: bucketLabel(b.start, props.bucket),
    other: b.runs - b.succeeded - b.failed,
    rate: b.successRate === null ? null : Math.round(b.successRate * 1000) / 10,
  }));
  const withRuns = buckets.filter((b) => b.runs > 0);
  const total = withRuns.reduce((n, b) => n + b.runs, 0);
  return (
    <section aria-label={`Runs of ${plan.name}`}>
      <Title order={3} size="h4">
        {plan.name}: {total} run{total === 1 ? '' : 's'}
      </Title>
      {total === 0 ? (
        <Empty>No runs of this plan in this range.</Empty>
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, md: 3 }} spacing="md" mt="xs">
            <Chart title="Runs">
              <BarChart
                h={200}
                data={buckets}
                dataKey="label"
                type="stacked"
                withLegend
                series={[
                  { name: 'succeeded', label: 'Succeeded', color: 'teal.6' },
                  { name: 'failed', label: 'Failed', color: 'red.6' },
                  { name: 'other', label: 'Running or cancelled', color: 'gray.5' },
                ]}
              />
            </Chart>
            <Chart title="Success rate">
              <LineChart
                h={200}
                data={buckets}
                dataKey="label"
                unit="%"
                connectNulls
                yAxisProps={{ domain: [0, 100] }}
                series={[{ name: 'rate', label: 'Success rate', color: 'teal.6' }]}
              />
            </Chart>
            <Chart title="Duration (start to finish)">
              <LineChart
                h={200}
                data={buckets}
                dataKey="label"
                connectNulls
                withLegend
                valueFormatter={(ms) => formatMs(ms)}
                series={[
                  { name: 'p50Ms', label: 'p50', color: 'blue.6' },
                  { name: 'p95Ms', label: 'p95', color: 'orange.6' },
                ]}
              />
            </Chart>
          </SimpleGrid>
          <TableScroll
            label={`Runs of ${plan.name} by ${props.bucket === 'HOUR' ? 'hour' : 'day'} table`}
            minWidth={560}
          >
            <Table aria-label={`Runs of ${plan.name} by ${props.bucket === 'HOUR' ? 'hour' : 'day'}`}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{props.bucket === 'HOUR' ? 'Hour (UTC)' : 'Day (UTC)'}</Table.Th>
                  <OutcomeHeads />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {withRuns.map((b) => (
                  <Table.Tr key={b.start}>
                    <Table.Td>{b.label}</Table.Td>
                    <OutcomeCells row={b} />
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </>
      )}
    </section>
  );
}
