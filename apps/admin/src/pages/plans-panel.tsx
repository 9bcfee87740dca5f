import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { describeError } from '../errors.ts';
import { PLAN_VERSIONS, PLANS } from '../graphql/operations.ts';
import type { PlansData, PlanVersionsData } from './types.ts';

/** Every immutable version of one plan, newest first. */
function VersionsTable({ planId, name }: { planId: string; name: string }) {
  const { data, error } = useQuery<PlanVersionsData>(PLAN_VERSIONS, {
    variables: { planId },
    fetchPolicy: 'cache-and-network',
  });
  if (error) return <p className="error">{describeError(error)}</p>;
  const versions = [...(data?.node?.versions?.edges ?? [])].sort((a, b) => b.node.number - a.node.number);
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

/** The workspace's plans; opening one lists its versions. */
export function PlansPanel({ slug }: { slug: string }) {
  const { data, loading, error } = useQuery<PlansData>(PLANS, {
    variables: { slug },
    fetchPolicy: 'cache-and-network',
  });
  const [open, setOpen] = useState<string | null>(null);
  if (error) return <p className="error">{describeError(error)}</p>;
  if (loading && !data) return <p>Loading…</p>;
  const plans = data?.workspace?.plans.edges ?? [];
  if (plans.length === 0) return <p>No plans yet. Plans are created through the API (createPlan).</p>;
  const opened = plans.find((p) => p.node.id === open)?.node;
  return (
    <section>
      <table aria-label="Plans">
        <thead>
          <tr>
            <th>Plan</th>
            <th>Latest version</th>
            <th>Message</th>
            <th>Saved</th>
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
            </tr>
          ))}
        </tbody>
      </table>
      {opened !== undefined && (
        <>
          <h3>Versions of {opened.name}</h3>
          <VersionsTable planId={opened.id} name={opened.name} />
        </>
      )}
    </section>
  );
}
