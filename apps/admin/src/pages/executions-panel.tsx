import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useState } from 'react';
import { attempt, describeError } from '../errors.ts';
import {
  CANCEL_EXECUTION,
  DECIDE_APPROVAL,
  EXECUTIONS,
  PAUSE_EXECUTION,
  RESUME_EXECUTION,
  RETRY_EXECUTION,
  ROLLBACK_EXECUTION,
  WORKSPACE_EXECUTIONS,
} from '../graphql/operations.ts';
import type { ApprovalNode, ExecutionStep, Role } from './types.ts';

interface Control {
  label: string;
  // Every control's document answers the same shape (its field aliased `payload`, operations.ts).
  document: typeof PAUSE_EXECUTION;
}

const PAUSE: Control = { label: 'Pause', document: PAUSE_EXECUTION };
const RESUME: Control = { label: 'Resume', document: RESUME_EXECUTION };
const CANCEL: Control = { label: 'Cancel', document: CANCEL_EXECUTION };
const RETRY: Control = { label: 'Retry', document: RETRY_EXECUTION };
const ROLLBACK: Control = { label: 'Roll back', document: ROLLBACK_EXECUTION };

/** The controls the engine accepts in each status (anything else would come back INVALID_STATE). */
const CONTROLS_BY_STATUS: Record<string, Control[]> = {
  QUEUED: [PAUSE, CANCEL],
  RUNNING: [PAUSE, CANCEL],
  WAITING_APPROVAL: [PAUSE, CANCEL],
  PAUSED: [RESUME, CANCEL],
  FAILED: [RETRY, ROLLBACK],
  CANCELLED: [ROLLBACK],
  SUCCEEDED: [ROLLBACK],
};

/** Says what a step's status means where it is easy to mistake (QUEUED is not yet RUNNING). */
const STATUS_HINTS: Record<string, string> = {
  QUEUED: 'queued: no worker has begun it yet',
  RUNNING: 'running: a worker began an attempt',
  WAITING: 'waiting: parked without a worker (sleep or wait for an event)',
  WAITING_APPROVAL: 'waiting for an approval',
};

function StepChips(props: { steps: readonly ExecutionStep[] }) {
  return (
    <span className="chips">
      {props.steps.map((s) => (
        <span
          key={s.stepId}
          className={`chip status-${s.status.toLowerCase()}`}
          title={`${s.stepId}: ${STATUS_HINTS[s.status] ?? s.status.toLowerCase()}`}
        >
          {s.stepId} · {s.status}
        </span>
      ))}
    </span>
  );
}

function ControlButton(props: { control: Control; executionId: string; onDone: (problem: string | null) => void }) {
  const [run, { loading }] = useMutation(props.control.document);
  async function click() {
    const { problem } = await attempt(
      () => run({ variables: { input: { id: props.executionId } } }),
      (result) => ({ userErrors: result.data?.payload.userErrors }),
    );
    props.onDone(problem);
  }
  return (
    <button type="button" disabled={loading} onClick={() => void click()}>
      {props.control.label}
    </button>
  );
}

function ApprovalItem(props: { approval: ApprovalNode; viewerRole: Role; onDone: (problem: string | null) => void }) {
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
      step <code>{approval.stepId}</code>: {approval.message} <small>(may decide: {approvers.join(', ')})</small>
      {mayDecide && (
        <span className="actions">
          <input
            aria-label={`Comment on ${approval.stepId}`}
            placeholder="comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <button type="button" disabled={loading} onClick={() => void send(true)}>
            Approve
          </button>
          <button type="button" disabled={loading} onClick={() => void send(false)}>
            Reject
          </button>
        </span>
      )}
    </li>
  );
}

/** Links between a sub-plan's run and the run that started it (rows carry `run-<id>` anchors). */
function RunFamily(props: { parent: { id: string } | null; childIds: string[] }) {
  if (props.parent === null && props.childIds.length === 0) return null;
  return (
    <small className="run-family">
      {props.parent !== null && (
        <>
          {' '}
          · started by <a href={`#run-${props.parent.id}`}>its parent run</a>
        </>
      )}
      {props.childIds.length > 0 && (
        <>
          {' '}
          · {props.childIds.length} child run{props.childIds.length === 1 ? '' : 's'} (first:{' '}
          <a href={`#run-${props.childIds[0]}`}>open</a>)
        </>
      )}
    </small>
  );
}

/** The failed steps of a run, each with its error's code and message. */
function StepFailures(props: {
  steps: ReadonlyArray<{ stepId: string; status: string; errorDetail: { code: string; message: string } | null }>;
}) {
  const failed = props.steps.filter((s) => s.status === 'FAILED' && s.errorDetail !== null);
  if (failed.length === 0) return null;
  return (
    <ul className="step-errors" aria-label="Step errors">
      {failed.map((s) => (
        <li key={s.stepId}>
          <code>{s.stepId}</code> <strong>{s.errorDetail?.code}</strong>: {s.errorDetail?.message}
        </li>
      ))}
    </ul>
  );
}

/**
 * Executions, refreshed live from the workspaceExecutions subscription, with the controls each
 * status allows, and pending approvals to approve or reject. Viewers see them read-only.
 */
export function ExecutionsPanel(props: { slug: string; workspaceId: string; viewerRole: Role }) {
  const { data, error, refetch } = useQuery(EXECUTIONS, {
    variables: { slug: props.slug },
    fetchPolicy: 'cache-and-network',
  });
  useSubscription(WORKSPACE_EXECUTIONS, {
    variables: { workspaceId: props.workspaceId },
    onData: () => void refetch(),
  });
  const [problem, setProblem] = useState<string | null>(null);
  const canRun = props.viewerRole !== 'VIEWER';
  const done = (message: string | null) => {
    setProblem(message);
    void refetch();
  };
  if (error) return <p className="error">{describeError(error)}</p>;
  const approvals = data?.workspace?.approvals.edges ?? [];
  const executions = data?.workspace?.executions.edges ?? [];
  return (
    <section>
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {approvals.length > 0 && (
        <>
          <h3>Waiting for approval</h3>
          <ul aria-label="Pending approvals">
            {approvals.map(({ node }) =>
              canRun ? (
                <ApprovalItem key={node.id} approval={node} viewerRole={props.viewerRole} onDone={done} />
              ) : (
                <li key={node.id}>
                  step <code>{node.stepId}</code>: {node.message}
                </li>
              ),
            )}
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
              <th>Steps</th>
              <th>Finished</th>
              {canRun && <th>Controls</th>}
            </tr>
          </thead>
          <tbody>
            {executions.map(({ node }) => (
              <tr key={node.id} id={`run-${node.id}`}>
                <td>{new Date(node.createdAt).toLocaleString()}</td>
                <td>
                  {node.planVersion.plan.name} v{node.planVersion.number}
                  <RunFamily parent={node.parent} childIds={node.children.map((c) => c.id)} />
                </td>
                <td>{node.mode}</td>
                <td title={node.error ?? undefined}>
                  {node.status}
                  <StepFailures steps={node.steps} />
                </td>
                <td>
                  <StepChips steps={node.steps} />
                </td>
                <td>{node.finishedAt === null ? '' : new Date(node.finishedAt).toLocaleString()}</td>
                {canRun && (
                  <td>
                    {(CONTROLS_BY_STATUS[node.status] ?? []).map((c) => (
                      <ControlButton key={c.label} control={c} executionId={node.id} onDone={done} />
                    ))}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
