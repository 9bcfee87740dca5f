import { useQuery, useSubscription } from '@apollo/client/react';
import { describeError } from '../errors.ts';
import { EXECUTIONS, WORKSPACE_EXECUTIONS } from '../graphql/operations.ts';
import type { ExecutionsData } from './types.ts';

/**
 * Executions, refreshed live from the workspaceExecutions subscription, and pending approvals.
 * Read-only: the API has no execution-control or approval mutations yet.
 */
export function ExecutionsPanel(props: { slug: string; workspaceId: string }) {
  const { data, error, refetch } = useQuery<ExecutionsData>(EXECUTIONS, {
    variables: { slug: props.slug },
    fetchPolicy: 'cache-and-network',
  });
  useSubscription(WORKSPACE_EXECUTIONS, {
    variables: { workspaceId: props.workspaceId },
    onData: () => void refetch(),
  });
  if (error) return <p className="error">{describeError(error)}</p>;
  const approvals = data?.workspace?.approvals.edges ?? [];
  const executions = data?.workspace?.executions.edges ?? [];
  return (
    <section>
      {approvals.length > 0 && (
        <>
          <h3>Waiting for approval</h3>
          <ul>
            {approvals.map(({ node }) => (
              <li key={node.id}>
                step <code>{node.stepId}</code>: {node.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {executions.length === 0 ? (
        <p>No executions yet.</p>
      ) : (
        <table aria-label="Executions">
          <thead>
            <tr>
              <th>Created</th>
              <th>Plan</th>
              <th>Mode</th>
              <th>Status</th>
              <th>Finished</th>
            </tr>
          </thead>
          <tbody>
            {executions.map(({ node }) => (
              <tr key={node.id}>
                <td>{new Date(node.createdAt).toLocaleString()}</td>
                <td>
                  {node.planVersion.plan.name} v{node.planVersion.number}
                </td>
                <td>{node.mode}</td>
                <td title={node.error ?? undefined}>{node.status}</td>
                <td>{node.finishedAt === null ? '' : new Date(node.finishedAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
