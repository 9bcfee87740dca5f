import { Anchor, Code, Table } from '@mantine/core';
import { Link } from 'react-router';
import { TableScroll } from '../components/table-scroll.tsx';
import { paths } from '../paths.ts';
import type { PlanVersionRow } from './types.ts';

/** Every immutable version of a plan, newest first: who saved it, when, and why. */
export function VersionsTable(props: {
  slug: string;
  planId: string;
  name: string;
  versions: readonly PlanVersionRow[];
}) {
  const versions = [...props.versions].sort((a, b) => b.number - a.number);
  return (
    <TableScroll label={`Versions of ${props.name} table`} minWidth={560}>
      <Table aria-label={`Versions of ${props.name}`} className="versions-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>From</Table.Th>
            <Table.Th>Message</Table.Th>
            <Table.Th>By</Table.Th>
            <Table.Th>At</Table.Th>
            <Table.Th>Content hash</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.map((v) => (
            <Table.Tr key={v.id} data-version={v.number}>
              <Table.Td>
                <Anchor component={Link} to={paths.planVersion(props.slug, props.planId, v.number)}>
                  v{v.number}
                </Anchor>
              </Table.Td>
              <Table.Td>{v.parentNumber === null ? '' : `v${v.parentNumber}`}</Table.Td>
              <Table.Td>{v.message ?? '—'}</Table.Td>
              <Table.Td>{v.createdBy?.email ?? '—'}</Table.Td>
              <Table.Td>{new Date(v.createdAt).toLocaleString()}</Table.Td>
              <Table.Td>
                <Code>{v.contentHash.slice(0, 12)}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}
