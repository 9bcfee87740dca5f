import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { attempt, describeError } from '../errors.ts';
import { PLAN_GRAPH, PLAN_VERSIONS, PLANS, START_EXECUTION } from '../graphql/operations.ts';
import { paths } from '../paths.ts';
import { PlanGraph } from '../run/plan-graph.tsx';

/** Every immutable version of one plan, newest first. */
function VersionsTable({ planId, name }: { planId: string; name: string }) {
  const { data, error } = useQuery(PLAN_VERSIONS, {
    variables: { planId },
    fetchPolicy: 'cache-and-network',
  });
  if (error) return <p className="error">{describeError(error)}</p>;
  // `node` answers any Node type; only a Plan has versions.
  const node = data?.node;
  const edges = node && 'versions' in node ? node.versions.edges : [];
  const versions = [...edges].sort((a, b) => b.node.number - a.node.number);
  return (
    <table aria-label={`Versions of ${name}`}>
      <thead>
        <tr>
          <th>Version</th>
          <th>From</th>
          <th>Message</th>
          <th>By</th>
          <th>At</th>
          <th>Content hash</th>
        </tr>
      </thead>
      <tbody>
        {versions.map(({ node: v }) => (
          <tr key={v.id}>
            <td>v{v.number}</td>
            <td>{v.parentNumber === null ? '' : `v${v.parentNumber}`}</td>
            <td>{v.message}</td>
            <td>{v.createdBy?.email}</td>
            <td>{new Date(v.createdAt).toLocaleString()}</td>
            <td>
              <code>{v.contentHash.slice(0, 12)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The latest version's steps as the same graph the run page draws. */
function LatestGraph({ planId }: { planId: string }) {
  const { data, error } = useQuery(PLAN_GRAPH, { variables: { planId } });
  if (error) return <p className="error">{describeError(error)}</p>;
  const node = data?.node;
  const latest = node && 'latestVersion' in node ? node.latestVersion : null;
  if (latest === null) return null;
  return <PlanGraph spec={latest.spec} statuses={null} selected={null} onSelect={() => undefined} />;
}

/** The workspace's plans; opening one lists its versions. Members and admins can run the latest version. */
export function PlansPanel({ slug, cannotRun }: { slug: string; cannotRun: string | null }) {
  const canRun = cannotRun === null;
  const navigate = useNavigate();
  const open = useParams().id ?? null;
  const setOpen = (id: string | null) => navigate(id === null ? paths.plans(slug) : paths.plan(slug, id));
  const { data, loading, error } = useQuery(PLANS, {
    variables: { slug },
    fetchPolicy: 'cache-and-network',
  });
  const [startExecution, starting] = useMutation(START_EXECUTION);
  const [notice, setNotice] = useState<{ problem: boolean; text: string; runId?: string } | null>(null);

  async function run(planId: string, name: string, mode: 'LIVE' | 'DRY_RUN') {
    const { problem, value } = await attempt(
      () => startExecution({ variables: { input: { planId, mode } } }),
      (result) => ({
        userErrors: result.data?.startExecution.userErrors,
        value: result.data?.startExecution.execution ?? undefined,
      }),
    );
    setNotice(
      problem !== null
        ? { problem: true, text: problem }
        : {
            problem: false,
            text: `Started ${mode === 'DRY_RUN' ? 'a dry run' : 'a run'} of ${name} (${value?.status}).`,
            ...(value === undefined ? {} : { runId: value.id }),
          },
    );
  }

  if (error) return <p className="error">{describeError(error)}</p>;
  if (loading && !data) return <p>Loading…</p>;
  const plans = data?.workspace?.plans.edges ?? [];
  if (plans.length === 0) return <p>No plans yet. Plans are created through the API (createPlan).</p>;
  const opened = plans.find((p) => p.node.id === open)?.node;
  return (
    <section>
      {notice !== null && (
        <p className={notice.problem ? 'error' : 'notice'} role={notice.problem ? 'alert' : 'status'}>
          {notice.text}
        </p>
      )}
      {notice?.runId !== undefined && <Link to={paths.run(slug, notice.runId)}>Open the run</Link>}
      {!canRun && <p className="hint">{cannotRun}</p>}
      <table aria-label="Plans">
        <thead>
          <tr>
            <th>Plan</th>
            <th>Latest version</th>
            <th>Message</th>
            <th>Saved</th>
            <th>Run</th>
          </tr>
        </thead>
        <tbody>
          {plans.map(({ node: plan }) => (
            <tr key={plan.id}>
              <td>
                <button type="button" className="link" onClick={() => setOpen(open === plan.id ? null : plan.id)}>
                  {plan.name}
                </button>
              </td>
              <td>v{plan.latestVersion.number}</td>
              <td>{plan.latestVersion.message}</td>
              <td>{new Date(plan.latestVersion.createdAt).toLocaleString()}</td>
              {
                <td>
                  <button
                    type="button"
                    disabled={starting.loading || !canRun}
                    title={cannotRun ?? undefined}
                    aria-label={`Run ${plan.name}`}
                    onClick={() => void run(plan.id, plan.name, 'LIVE')}
                  >
                    Run
                  </button>
                  <button
                    type="button"
                    disabled={starting.loading || !canRun}
                    title={cannotRun ?? undefined}
                    aria-label={`Dry run ${plan.name}`}
                    onClick={() => void run(plan.id, plan.name, 'DRY_RUN')}
                  >
                    Dry run
                  </button>
                </td>
              }
            </tr>
          ))}
        </tbody>
      </table>
      {opened !== undefined && (
        <>
          <p>
            <Link to={paths.analytics(slug, opened.id)}>Analytics of {opened.name}</Link>: runs, success rate and
            duration over time, and its versions compared.
          </p>
          <h3>Steps of {opened.name} (latest version)</h3>
          <LatestGraph planId={opened.id} />
          <h3>Versions of {opened.name}</h3>
          <VersionsTable planId={opened.id} name={opened.name} />
        </>
      )}
    </section>
  );
}
