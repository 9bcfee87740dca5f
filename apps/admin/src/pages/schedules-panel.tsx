import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { FormSection } from '../components/form-section.tsx';
import { attempt, describeError } from '../errors.ts';
import type { OverlapPolicy } from '../graphql/generated/graphql.ts';
import { CREATE_SCHEDULE, DELETE_SCHEDULE, SCHEDULES, UPDATE_SCHEDULE } from '../graphql/operations.ts';

const OVERLAPS: readonly OverlapPolicy[] = ['SKIP', 'BUFFER_ONE', 'ALLOW_ALL', 'CANCEL_OTHER'];
const when = (at: string | null | undefined) => (at == null ? '—' : new Date(at).toLocaleString());
// The browser's own zone is the likeliest one wanted; the API checks it against the IANA database.
const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/**
 * The workspace's schedules: when each runs next and last ran; members and admins create, pause,
 * resume and delete them; viewers see the same controls disabled, with why.
 */
export function SchedulesPanel({ slug, cannotEdit }: { slug: string; cannotEdit: string | null }) {
  const { data, loading, error, refetch } = useQuery(SCHEDULES, {
    variables: { slug },
    fetchPolicy: 'cache-and-network',
  });
  const [createSchedule, creating] = useMutation(CREATE_SCHEDULE);
  const [updateSchedule] = useMutation(UPDATE_SCHEDULE);
  const [deleteSchedule] = useMutation(DELETE_SCHEDULE);
  const [planId, setPlanId] = useState('');
  const [cron, setCron] = useState('0 9 * * 1');
  const [timezone, setTimezone] = useState(localZone);
  const [overlap, setOverlap] = useState<OverlapPolicy>('SKIP');
  const [problem, setProblem] = useState<string | null>(null);

  if (error) return <p className="error">{describeError(error)}</p>;
  if (loading && !data) return <p>Loading…</p>;
  const schedules = data?.workspace?.schedules ?? [];
  const plans = data?.workspace?.plans.edges.map((e) => e.node) ?? [];

  async function create() {
    const chosen = planId || plans[0]?.id;
    if (chosen === undefined) return;
    const { problem: message } = await attempt(
      () => createSchedule({ variables: { input: { planId: chosen, cron, timezone, overlap } } }),
      (result) => ({ userErrors: result.data?.createSchedule.userErrors }),
    );
    setProblem(message);
    if (message === null) await refetch();
  }

  async function setPaused(id: string, paused: boolean) {
    const { problem: message } = await attempt(
      () => updateSchedule({ variables: { input: { id, paused } } }),
      (result) => ({ userErrors: result.data?.updateSchedule.userErrors }),
    );
    setProblem(message);
    await refetch();
  }

  async function remove(id: string, label: string) {
    if (!window.confirm(`Delete the schedule ${label}? Runs it started are kept.`)) return;
    const { problem: message } = await attempt(
      () => deleteSchedule({ variables: { input: { id } } }),
      (result) => ({ userErrors: result.data?.deleteSchedule.userErrors }),
    );
    setProblem(message);
    await refetch();
  }

  return (
    <section>
      {plans.length > 0 && (
        <FormSection
          title="New schedule"
          submitLabel="Create schedule"
          onSubmit={create}
          disabledReason={cannotEdit}
          submitting={creating.loading}
        >
          <label>
            Plan{' '}
            <select value={planId || plans[0]?.id} onChange={(e) => setPlanId(e.target.value)}>
              {plans.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Cron (5 fields, or 6 with seconds first){' '}
            <input required value={cron} onChange={(e) => setCron(e.target.value)} />
          </label>
          <label>
            Time zone <input required value={timezone} onChange={(e) => setTimezone(e.target.value)} />
          </label>
          <label>
            While a run is still going{' '}
            <select value={overlap} onChange={(e) => setOverlap(e.target.value as OverlapPolicy)}>
              {OVERLAPS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        </FormSection>
      )}
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {schedules.length === 0 ? (
        <p>No schedules yet.</p>
      ) : (
        <table aria-label="Schedules">
          <thead>
            <tr>
              <th>Plan</th>
              <th>Cron</th>
              <th>Time zone</th>
              <th>Overlap</th>
              <th>Next run</th>
              <th>Last run</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((s) => (
              <tr key={s.id}>
                <td>{s.plan.name}</td>
                <td>
                  <code>{s.cron}</code>
                </td>
                <td>{s.timezone}</td>
                <td>{s.overlap}</td>
                <td>{s.paused ? 'paused' : when(s.nextRunAt)}</td>
                <td>{when(s.lastRunAt)}</td>
                <td>
                  <button
                    type="button"
                    disabled={cannotEdit !== null}
                    title={cannotEdit ?? undefined}
                    onClick={() => setPaused(s.id, !s.paused)}
                  >
                    {s.paused ? 'Resume' : 'Pause'} {s.plan.name}
                  </button>
                  <button
                    type="button"
                    disabled={cannotEdit !== null}
                    title={cannotEdit ?? undefined}
                    onClick={() => remove(s.id, `${s.plan.name} (${s.cron})`)}
                  >
                    Delete {s.plan.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
