import { useQuery } from '@apollo/client/react';
import { describeError } from '../errors.ts';
import { AUDIT_LOG } from '../graphql/operations.ts';

/** The workspace's audit log, newest first as the API returns it (admins only). */
export function AuditPanel({ slug }: { slug: string }) {
  const { data, error } = useQuery(AUDIT_LOG, { variables: { slug }, fetchPolicy: 'network-only' });
  if (error) return <p className="error">{describeError(error)}</p>;
  return (
    <table aria-label="Audit log">
      <thead>
        <tr>
          <th>When</th>
          <th>Who</th>
          <th>Action</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {data?.workspace?.auditLog.edges.map(({ node }) => (
          <tr key={node.id}>
            <td>{new Date(node.at).toLocaleString()}</td>
            <td>{node.actor?.email ?? 'system'}</td>
            <td>{node.action}</td>
            <td>
              <code>{node.data === null || node.data === undefined ? '' : JSON.stringify(node.data)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
