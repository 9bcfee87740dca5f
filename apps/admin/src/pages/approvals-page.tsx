import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { Alert, Anchor, Badge, Button, Card, Code, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { attempt } from '../errors.ts';
import { APPROVALS_INBOX, DECIDE_APPROVAL, WORKSPACE_EXECUTIONS } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import type { ApprovalNode, Role } from './types.ts';

/** Why the viewer's role may not decide this gate, or null when it may (the engine checks the same). */
function cannotDecide(approval: ApprovalNode, role: Role): string | null {
  // A gate without `approvers` is open to admins and members.
  const approvers: Role[] = approval.approvers.length > 0 ? approval.approvers : ['ADMIN', 'MEMBER'];
  return approvers.includes(role) ? null : `Only ${approvers.join(' or ')} may decide this gate; your role is ${role}.`;
}

const who = (user: { email: string; name: string | null } | null) =>
  user === null ? 'a schedule, webhook or event' : (user.name ?? user.email);

function ApprovalCard(props: {
  slug: string;
  approval: ApprovalNode;
  viewerRole: Role;
  onDone: (problem: string | null) => void;
}) {
  const { approval } = props;
  const run = approval.execution;
  const [decide, { loading }] = useMutation(DECIDE_APPROVAL);
  const [comment, setComment] = useState('');
  const reason = cannotDecide(approval, props.viewerRole);
  const pending = approval.status === 'PENDING';
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
  const dryRun = run.mode === 'DRY_RUN';
  return (
    <Card component="li" withBorder className="approval" data-mode={run.mode} data-status={approval.status}>
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Group gap="xs">
          <Text fw={600}>
            {run.plan.name} v{run.planVersion.number} · step “{approval.stepId}”
          </Text>
          <Badge color={dryRun ? 'grape' : 'blue'} variant="filled" className="mode">
            {dryRun ? 'dry run' : 'live'}
          </Badge>
          <Badge color={pending ? 'yellow' : approval.status === 'APPROVED' ? 'green' : 'red'} variant="light">
            {approval.status.toLowerCase()}
          </Badge>
        </Group>
        <Anchor component={Link} to={paths.run(props.slug, run.id)} className="run-link">
          Open the {dryRun ? 'dry run' : 'run'}
        </Anchor>
      </Group>
      <Text size="sm" c="dimmed" className="started-by">
        Run started by {who(run.startedBy)} on {new Date(run.createdAt).toLocaleString()}; waiting since{' '}
        {new Date(approval.createdAt).toLocaleString()}
      </Text>
      {approval.message !== null && (
        <Text mt="xs" className="message">
          {approval.message}
        </Text>
      )}
      {approval.stepInput !== null && approval.stepInput !== undefined && (
        <Code block mt="xs" className="step-input">
          {JSON.stringify(approval.stepInput, null, 2)}
        </Code>
      )}
      {pending ? (
        <Stack gap="xs" mt="sm">
          <Textarea
            aria-label={`Comment on ${approval.stepId}`}
            placeholder="comment (optional)"
            autosize
            minRows={1}
            maxLength={2000}
            disabled={reason !== null}
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
          />
          <Group gap="xs">
            <Button
              size="xs"
              color="green"
              disabled={reason !== null}
              loading={loading}
              onClick={() => void send(true)}
            >
              Approve
            </Button>
            <Button
              size="xs"
              color="red"
              variant="light"
              disabled={reason !== null || loading}
              onClick={() => void send(false)}
            >
              Reject
            </Button>
            {reason !== null && (
              <Text size="sm" c="dimmed" className="hint">
                {reason}
              </Text>
            )}
          </Group>
        </Stack>
      ) : (
        <Text size="sm" mt="xs" className="decision">
          {approval.status === 'EXPIRED'
            ? 'Expired without a decision.'
            : `${approval.status === 'APPROVED' ? 'Approved' : 'Rejected'} by ${who(approval.decidedBy)}${
                approval.comment === null ? '' : `: “${approval.comment}”`
              }`}
        </Text>
      )}
    </Card>
  );
}

/**
 * The workspace's approval gates, pending first, each with its run (live or dry run, plan and
 * version, who started it), the gate's message and input; refreshed live.
 */
export function ApprovalsPage() {
  const { workspace } = useWorkspace();
  const { data, loading, error, refetch } = useQuery(APPROVALS_INBOX, {
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
  const approvals = (data?.workspace?.approvals.edges ?? []).map((e) => e.node);
  const pending = approvals.filter((a) => a.status === 'PENDING');
  const decided = approvals.filter((a) => a.status !== 'PENDING');
  const card = (a: ApprovalNode) => (
    <ApprovalCard key={a.id} slug={workspace.slug} approval={a} viewerRole={workspace.viewerRole} onDone={done} />
  );
  return (
    <section>
      {problem !== null && (
        <Alert color="red" role="alert" mb="sm" className="error">
          {problem}
        </Alert>
      )}
      {pending.length === 0 ? (
        <Empty>No approval is waiting.</Empty>
      ) : (
        <Stack component="ul" aria-label="Pending approvals" gap="sm" className="plain-list">
          {pending.map(card)}
        </Stack>
      )}
      {decided.length > 0 && (
        <>
          <Title order={3} mt="lg" mb="xs">
            Decided
          </Title>
          <Stack component="ul" aria-label="Decided approvals" gap="sm" className="plain-list">
            {decided.map(card)}
          </Stack>
        </>
      )}
    </section>
  );
}
