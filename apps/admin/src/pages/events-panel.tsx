import { useMutation, useQuery } from '@apollo/client/react';
import { Table } from '@mantine/core';
import { useState } from 'react';
import { FormSection } from '../components/form-section.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { attempt, describeError } from '../errors.ts';
import { EVENTS, SEND_EVENT } from '../graphql/operations.ts';

/**
 * Events sent to the workspace (newest first: who sent them, what they started and resumed) and
 * its event triggers; members and admins may send one (its data as JSON), viewers see the form
 * disabled with why.
 */
export function EventsPanel(props: { slug: string; workspaceId: string; cannotSend: string | null }) {
  const { slug, workspaceId, cannotSend } = props;
  const { data, loading, error, refetch } = useQuery(EVENTS, {
    variables: { slug },
    fetchPolicy: 'cache-and-network',
  });
  const [sendEvent, sending] = useMutation(SEND_EVENT);
  const [name, setName] = useState('');
  const [json, setJson] = useState('{}');
  const [notice, setNotice] = useState<{ problem: boolean; text: string } | null>(null);

  if (error) return <p className="error">{describeError(error)}</p>;
  if (loading && !data) return <p>Loading…</p>;
  const events = data?.workspace?.events.edges.map((e) => e.node) ?? [];
  const triggers = data?.workspace?.eventTriggers ?? [];

  async function send() {
    let payload: unknown;
    try {
      payload = json.trim() === '' ? null : JSON.parse(json);
    } catch {
      setNotice({ problem: true, text: 'The data must be JSON.' });
      return;
    }
    const { problem, value } = await attempt(
      () => sendEvent({ variables: { input: { workspaceId, name, data: payload } } }),
      (result) => ({
        userErrors: result.data?.sendEvent.userErrors,
        value: result.data?.sendEvent,
      }),
    );
    setNotice(
      problem !== null
        ? { problem: true, text: problem }
        : {
            problem: false,
            text: `Sent ${name}: started ${value?.started.length ?? 0}, resumed ${value?.resumed ?? 0}.`,
          },
    );
    if (problem === null) await refetch();
  }

  return (
    <section>
      <FormSection
        title="Send an event"
        submitLabel="Send event"
        onSubmit={send}
        disabledReason={cannotSend}
        submitting={sending.loading}
      >
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} placeholder="order.paid" />
        </label>
        <label>
          Data (JSON) <textarea value={json} onChange={(e) => setJson(e.target.value)} rows={4} />
        </label>
      </FormSection>
      {notice !== null && (
        <p className={notice.problem ? 'error' : 'notice'} role={notice.problem ? 'alert' : 'status'}>
          {notice.text}
        </p>
      )}
      <h3>Triggers</h3>
      {triggers.length === 0 ? (
        <p>No event triggers. They are created through the API (createEventTrigger).</p>
      ) : (
        <TableScroll label="Event triggers table" minWidth={480}>
          <Table aria-label="Event triggers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Event</Table.Th>
                <Table.Th>Match</Table.Th>
                <Table.Th>Starts</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {triggers.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>{t.event}</Table.Td>
                  <Table.Td>
                    <code className="wrap">{t.match == null ? 'any' : JSON.stringify(t.match)}</code>
                  </Table.Td>
                  <Table.Td>{t.plan.name}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <h3>Recent events</h3>
      {events.length === 0 ? (
        <p>No events yet.</p>
      ) : (
        <TableScroll label="Recent events table" minWidth={640}>
          <Table aria-label="Recent events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Sent</Table.Th>
                <Table.Th>By</Table.Th>
                <Table.Th>Data</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Resumed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{e.name}</Table.Td>
                  <Table.Td>{new Date(e.sentAt).toLocaleString()}</Table.Td>
                  <Table.Td>{e.sentBy?.email ?? e.source.toLowerCase()}</Table.Td>
                  <Table.Td>
                    <code className="wrap">{JSON.stringify(e.data)?.slice(0, 120)}</code>
                  </Table.Td>
                  <Table.Td>{e.started.length}</Table.Td>
                  <Table.Td>{e.resumed}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </section>
  );
}
