import { useQuery } from '@apollo/client/react';
import { BarChart } from '@mantine/charts';
import { Table, Text, Title } from '@mantine/core';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { TOOL_STATS } from '../graphql/operations.ts';
import { formatMs, formatRate } from './ranges.ts';

/**
 * The workspace's tools by their record: calls, failures and latency, as the engine counts them
 * (`Tool.stats`: finished attempts, cache hits and compensations left out). Tools never called are
 * only counted, not listed.
 */
export function ToolTable({ slug }: { slug: string }) {
  const { data, loading, error } = useQuery(TOOL_STATS, { variables: { slug }, fetchPolicy: 'cache-and-network' });
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="tool statistics" />;
  const tools = data?.workspace?.tools ?? [];
  const called = tools
    .flatMap((t) => (t.stats !== null && t.stats.calls > 0 ? [{ name: t.name, ...t.stats }] : []))
    .sort((x, y) => y.calls - x.calls || x.name.localeCompare(y.name));
  const idle = tools.length - called.length;
  return (
    <section aria-label="Tools">
      <Title order={3} size="h4">
        Tools
      </Title>
      {called.length === 0 ? (
        <Empty>No tool has been called in this workspace yet.</Empty>
      ) : (
        <>
          <figure className="chart" aria-label="Calls and failures by tool">
            <BarChart
              h={Math.max(160, called.length * 48)}
              data={called.map((t) => ({ name: t.name, succeeded: t.calls - t.failures, failed: t.failures }))}
              dataKey="name"
              orientation="vertical"
              type="stacked"
              withLegend
              yAxisProps={{ width: 110, interval: 0 }}
              series={[
                { name: 'succeeded', label: 'Succeeded', color: 'teal.6' },
                { name: 'failed', label: 'Failed', color: 'red.6' },
              ]}
            />
          </figure>
          <TableScroll label="Tool statistics table" minWidth={560}>
            <Table aria-label="Tool statistics">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Tool</Table.Th>
                  <Table.Th>Calls</Table.Th>
                  <Table.Th>Failures</Table.Th>
                  <Table.Th>Failure rate</Table.Th>
                  <Table.Th>p50</Table.Th>
                  <Table.Th>p95</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {called.map((t) => (
                  <Table.Tr key={t.name}>
                    <Table.Td>{t.name}</Table.Td>
                    <Table.Td>{t.calls}</Table.Td>
                    <Table.Td>{t.failures}</Table.Td>
                    <Table.Td>{formatRate(t.failures / t.calls)}</Table.Td>
                    <Table.Td>{formatMs(t.p50Ms)}</Table.Td>
                    <Table.Td>{formatMs(t.p95Ms)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </>
      )}
      {idle > 0 && (
        <Text size="sm" c="dimmed">
          {idle} other tool{idle === 1 ? ' has' : 's have'} no calls yet.
        </Text>
      )}
    </section>
  );
}
