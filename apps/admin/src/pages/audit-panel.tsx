import { useQuery } from '@apollo/client/react';
import { Button, Code, Collapse, Group, NativeSelect, Table, TextInput } from '@mantine/core';
import { useState } from 'react';

import { Pager, useCursorPages } from '../components/pager.tsx';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { useUrlFilters } from '../components/url-filters.ts';
import { AUDIT_EVENTS } from '../graphql/operations.ts';
import { auditSentence } from './audit-sentence.tsx';
import type { AuditNode } from './types.ts';

const PAGE = 25;

/** A `datetime-local` value (the browser's time zone) as an ISO instant, or null when empty. */
function isoOf(local: string | null): string | null {
  if (local === null || local === '') return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function AuditRow({ row, slug }: { row: AuditNode; slug: string }) {
  const [open, setOpen] = useState(false);
  return (
    <Table.Tr>
      <Table.Td>{new Date(row.at).toLocaleString()}</Table.Td>
      <Table.Td className="sentence">{auditSentence(row, slug)}</Table.Td>
      <Table.Td>
        <Button
          variant="subtle"
          size="compact-xs"
          aria-expanded={open}
          aria-label={`Details of ${row.action} at ${new Date(row.at).toLocaleString()}`}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? 'Hide' : 'Details'}
        </Button>
        <Collapse in={open}>
          <Code block className="details">
            {JSON.stringify({ action: row.action, target: row.targetType, data: row.data }, null, 2)}
          </Code>
        </Collapse>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * The workspace's audit log (admins only), newest first, one sentence a row with its details to
 * expand; filtered by actor, action and time (kept in the URL so a filtered view can be shared), paged.
 */
export function AuditPanel({ slug }: { slug: string }) {
  const pages = useCursorPages();
  const filters = useUrlFilters(pages.reset);
  const filter = filters.get;
  const setFilter = filters.set;
  const { data, loading, error } = useQuery(AUDIT_EVENTS, {
    variables: {
      slug,
      first: PAGE,
      after: pages.after,
      actorId: filter('actor'),
      action: filter('action'),
      since: isoOf(filter('since')),
      until: isoOf(filter('until')),
    },
    fetchPolicy: 'cache-and-network',
  });
  const log = data?.workspace?.auditLog;
  const actions = data?.workspace?.auditActions ?? [];
  // Everyone who acted, former members included, by email.
  const actors = [...(data?.workspace?.auditActors ?? [])].sort((a, b) => a.email.localeCompare(b.email));
  return (
    <section>
      <Group gap="sm" align="end" wrap="wrap" mb="sm" role="search" aria-label="Audit filters">
        <NativeSelect
          label="Who"
          value={filter('actor') ?? ''}
          onChange={(e) => setFilter('actor', e.currentTarget.value)}
          data={[{ value: '', label: 'anyone' }, ...actors.map((a) => ({ value: a.id, label: a.email }))]}
        />
        <NativeSelect
          label="Action"
          value={filter('action') ?? ''}
          onChange={(e) => setFilter('action', e.currentTarget.value)}
          data={[{ value: '', label: 'any action' }, ...actions.map((a) => ({ value: a, label: a }))]}
        />
        <TextInput
          label="From"
          type="datetime-local"
          value={filter('since') ?? ''}
          onChange={(e) => setFilter('since', e.currentTarget.value)}
        />
        <TextInput
          label="Until"
          type="datetime-local"
          value={filter('until') ?? ''}
          onChange={(e) => setFilter('until', e.currentTarget.value)}
        />
      </Group>
      {error ? (
        <ErrorNote error={error} />
      ) : loading && !data ? (
        <Loading what="the audit log" />
      ) : (log?.edges.length ?? 0) === 0 ? (
        <Empty>
          {filters.params.size > 0 ? 'Nothing in the audit log matches these filters.' : 'Nothing recorded yet.'}
        </Empty>
      ) : (
        <TableScroll label="Audit log table" minWidth={560}>
          <Table aria-label="Audit log" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What happened</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {log?.edges.map(({ node }) => (
                <AuditRow key={node.id} row={node} slug={slug} />
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <Pager pages={pages} pageInfo={log?.pageInfo} />
    </section>
  );
}
