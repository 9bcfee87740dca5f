import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { DECIDE_APPROVAL, EXECUTION_CONTROLS, EXECUTIONS, WORKSPACE_EXECUTIONS } from '../graphql/operations.ts';

interface ExecutionsData {
  workspace: {
    executions: {
      edges: {
        node: {
          id: string;
          status: string;
          mode: string;
          createdAt: string;
          error: string | null;
          planVersion: { number: number };
        };
      }[];
    };
    approvals: { edges: { node: { id: string; stepId: string; message: string | null; execution: { id: string } } }[] };
  } | null;
}

const CONTROLS_BY_STATUS: Record<string, (keyof typeof EXECUTION_CONTROLS)[]> = {
  QUEUED: ['cancel'],
  RUNNING: ['pause', 'cancel'],
  WAITING_APPROVAL: ['cancel'],
  PAUSED: ['resume', 'cancel'],
  FAILED: ['retry', 'rollback'],
  SUCCEEDED: ['rollback'],
  CANCELLED: ['rollback'],
};

/** Executions with live status (workspaceExecutions subscription) and the pending approvals. */
export function ExecutionsPanel(props: { slug: string; workspaceId: string; canOperate: boolean }) {
  const { data, refetch } = useQuery<ExecutionsData>(EXECUTIONS, { variables: { slug: props.slug } });
  useSubscription(WORKSPACE_EXECUTIONS, {
    variables: { workspaceId: props.workspaceId },
    onData: () => void refetch(),
  });
  const [pause] = useMutation(EXECUTION_CONTROLS.pause);
  const [resume] = useMutation(EXECUTION_CONTROLS.resume);
  const [cancel] = useMutation(EXECUTION_CONTROLS.cancel);
  const [retry] = useMutation(EXECUTION_CONTROLS.retry);
  const [rollback] = useMutation(EXECUTION_CONTROLS.rollback);
  const [decide] = useMutation(DECIDE_APPROVAL);
  const controls = { pause, resume, cancel, retry, rollback };

  const approvals = data?.workspace?.approvals.edges ?? [];
  return (
    <section>
      {approvals.length > 0 && (
        <>
          <h3>Waiting for approval</h3>
          <ul>
            {approvals.map(({ node }) => (
              <li key={node.id}>
                {node.stepId}: {node.message}{' '}
                {props.canOperate && (
                  <>
                    <button
                      type="button"
                      onClick={() =>
                        decide({ variables: { input: { approvalId: node.id, approve: true } } }).then(() => refetch())
                      }
                    >
                      Approve
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        decide({ variables: { input: { approvalId: node.id, approve: false } } }).then(() => refetch())
                      }
                    >
                      Reject
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <table>
        <thead>
          <tr>
            <th>Started</th>
            <th>Version</th>
            <th>Mode</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.workspace?.executions.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{new Date(node.createdAt).toLocaleString()}</td>
              <td>v{node.planVersion.number}</td>
              <td>{node.mode}</td>
              <td title={node.error ?? undefined}>{node.status}</td>
              <td>
                {props.canOperate &&
                  (CONTROLS_BY_STATUS[node.status] ?? []).map((c) => (
                    <button
                      key={c}
                      type="button"
                      onClick={() => controls[c]({ variables: { input: { id: node.id } } }).then(() => refetch())}
                    >
                      {c}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
