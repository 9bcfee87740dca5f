import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { FormSection } from '../components/form-section.tsx';
import { attempt, describeError } from '../errors.ts';
import { EVENTS, SEND_EVENT } from '../graphql/operations.ts';

/**
 * Events sent to the workspace (newest first: who sent them, what they started and resumed) and
 * its event triggers; members and admins may send one (its data as JSON).
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
        <table aria-label="Event triggers">
          <thead>
            <tr>
              <th>Event</th>
              <th>Match</th>
              <th>Starts</th>
            </tr>
          </thead>
          <tbody>
            {triggers.map((t) => (
              <tr key={t.id}>
                <td>{t.event}</td>
                <td>
                  <code>{t.match == null ? 'any' : JSON.stringify(t.match)}</code>
                </td>
                <td>{t.plan.name}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Recent events</h3>
      {events.length === 0 ? (
        <p>No events yet.</p>
      ) : (
        <table aria-label="Recent events">
          <thead>
            <tr>
              <th>Name</th>
              <th>Sent</th>
              <th>By</th>
              <th>Data</th>
              <th>Started</th>
              <th>Resumed</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>{e.name}</td>
                <td>{new Date(e.sentAt).toLocaleString()}</td>
                <td>{e.sentBy?.email ?? e.source.toLowerCase()}</td>
                <td>
                  <code>{JSON.stringify(e.data)?.slice(0, 120)}</code>
                </td>
                <td>{e.started.length}</td>
                <td>{e.resumed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
