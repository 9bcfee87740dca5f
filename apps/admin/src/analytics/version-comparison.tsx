import { useQuery } from '@apollo/client/react';
import { Alert, Group, Select, Table, Title } from '@mantine/core';
import { ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { COMPARE_VERSIONS } from '../graphql/operations.ts';
import { formatMs, formatRate } from './ranges.ts';
import { significanceInWords } from './significance.ts';

/**
 * An A/B comparison of two versions of a plan: each version's runs, success rate and latency since
 * the range began, and what the difference in success rate means, in words.
 */
export function VersionComparison(props: {
  planId: string;
  latest: number;
  a: number;
  b: number;
  since: string;
  onChange: (a: number, b: number) => void;
}) {
  const { data, loading, error } = useQuery(COMPARE_VERSIONS, {
    variables: { planId: props.planId, a: props.a, b: props.b, since: props.since },
    fetchPolicy: 'cache-and-network',
  });
  const versions = Array.from({ length: props.latest }, (_, i) => String(props.latest - i));
  const node = data?.node;
  const comparison = node && 'compareVersions' in node ? node.compareVersions : null;
  return (
    <section aria-label="Compare versions">
      <Title order={3} size="h4">
        Compare two versions
      </Title>
      <Group gap="xs" wrap="wrap" align="flex-end">
        <Select
          label="Version A"
          data={versions}
          value={String(props.a)}
          allowDeselect={false}
          onChange={(v) => v !== null && props.onChange(Number(v), props.b)}
          w={120}
        />
        <Select
          label="Version B"
          data={versions}
          value={String(props.b)}
          allowDeselect={false}
          onChange={(v) => v !== null && props.onChange(props.a, Number(v))}
          w={120}
        />
      </Group>
      {error ? (
        <ErrorNote error={error} />
      ) : loading && !data ? (
        <Loading what="the comparison" />
      ) : comparison === null ? (
        <Alert color="yellow" mt="xs">
          One of these versions does not exist.
        </Alert>
      ) : (
        <>
          <TableScroll label="Versions compared table" minWidth={560}>
            <Table aria-label="Versions compared">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Runs</Table.Th>
                  <Table.Th>Finished</Table.Th>
                  <Table.Th>Succeeded</Table.Th>
                  <Table.Th>Success rate</Table.Th>
                  <Table.Th>p50</Table.Th>
                  <Table.Th>p95</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(
                  [
                    ['A', comparison.a],
                    ['B', comparison.b],
                  ] as const
                ).map(([arm, r]) => (
                  <Table.Tr key={arm}>
                    <Table.Td>
                      {arm}: v{r.number}
                    </Table.Td>
                    <Table.Td>{r.runs}</Table.Td>
                    <Table.Td>{r.finished}</Table.Td>
                    <Table.Td>{r.succeeded}</Table.Td>
                    <Table.Td>{formatRate(r.successRate)}</Table.Td>
                    <Table.Td>{formatMs(r.p50Ms)}</Table.Td>
                    <Table.Td>{formatMs(r.p95Ms)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
          <Alert color={comparison.significant ? 'teal' : 'gray'} role="status" className="significance">
            {significanceInWords(comparison.a, comparison.b, comparison.zScore, comparison.significant)}
          </Alert>
        </>
      )}
    </section>
  );
}
