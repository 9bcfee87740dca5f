import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { cannotRunReason } from '../components/role-hint.ts';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { attempt } from '../errors.ts';
import { DECIDE_APPROVAL, EXECUTIONS, WORKSPACE_EXECUTIONS } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import type { ApprovalNode, Role } from './types.ts';

function ApprovalItem(props: {
  slug: string;
  approval: ApprovalNode;
  viewerRole: Role;
  onDone: (problem: string | null) => void;
}) {
  const { approval } = props;
  const [decide, { loading }] = useMutation(DECIDE_APPROVAL);
  const [comment, setComment] = useState('');
  // An approval without `approvers` is open to admins and members; the API enforces it either way.
  const approvers: Role[] = approval.approvers.length > 0 ? approval.approvers : ['ADMIN', 'MEMBER'];
  const mayDecide = approvers.includes(props.viewerRole);
  async function send(approve: boolean) {
    const { problem } = await attempt(
      () =>
        decide({
          variables: {
            input: { approvalId: approval.id, approve, ...(comment.trim() === '' ? {} : { comment: comment.trim() }) },
          },
        }),
      (result) => ({ userErrors: result.data?.decideApproval.userErrors }),
    );
    props.onDone(problem);
  }
  return (
    <li>
      <Link to={paths.run(props.slug, approval.execution.id)}>run</Link>, step <code>{approval.stepId}</code>:{' '}
      {approval.message} <small>(may decide: {approvers.join(', ')})</small>
      {!mayDecide && <span className="hint"> Your role ({props.viewerRole}) may not decide this approval.</span>}
      <span className="actions">
        <input
          aria-label={`Comment on ${approval.stepId}`}
          placeholder="comment (optional)"
          disabled={!mayDecide}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
        <button type="button" disabled={loading || !mayDecide} onClick={() => void send(true)}>
          Approve
        </button>
        <button type="button" disabled={loading || !mayDecide} onClick={() => void send(false)}>
          Reject
        </button>
      </span>
    </li>
  );
}

/** Pending approvals of the workspace, refreshed live, each linked to its run. */
export function ApprovalsPage() {
  const { workspace } = useWorkspace();
  const { data, loading, error, refetch } = useQuery(EXECUTIONS, {
    variables: { slug: workspace.slug },
    fetchPolicy: 'cache-and-network',
  });
  useSubscription(WORKSPACE_EXECUTIONS, {
    variables: { workspaceId: workspace.id },
    onData: () => void refetch(),
  });
  const [problem, setProblem] = useState<string | null>(null);
  const done = (message: string | null) => {
    setProblem(message);
    void refetch();
  };
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="approvals" />;
  const approvals = data?.workspace?.approvals.edges ?? [];
  const cannot = cannotRunReason(workspace.viewerRole);
  return (
    <section>
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {cannot !== null && <p className="hint">{cannot}</p>}
      {approvals.length === 0 ? (
        <Empty>No approval is waiting.</Empty>
      ) : (
        <ul aria-label="Pending approvals">
          {approvals.map(({ node }) => (
            <ApprovalItem
              key={node.id}
              slug={workspace.slug}
              approval={node}
              viewerRole={workspace.viewerRole}
              onDone={done}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
