import { gql } from '@apollo/client';

// The operations the end-to-end tests send, written as a client app would write them.

export const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user { id email name }
      userErrors { code field message }
    }
  }
`;
export const LOG_IN = gql`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      token
      user { id email }
      userErrors { code field message }
    }
  }
`;
export const VIEWER = gql`
  query Viewer {
    viewer { id email name memberships { role workspace { id slug } } }
  }
`;
export const CREATE_WORKSPACE = gql`
  mutation CreateWorkspace($input: CreateWorkspaceInput!) {
    createWorkspace(input: $input) {
      workspace { id slug name viewerRole }
      userErrors { code field message }
    }
  }
`;
export const ADD_MEMBER = gql`
  mutation AddMember($input: AddMemberInput!) {
    addMember(input: $input) {
      membership { role user { id email } }
      userErrors { code field message }
    }
  }
`;
export const CHANGE_MEMBER_ROLE = gql`
  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {
    changeMemberRole(input: $input) {
      membership { role user { id } }
      userErrors { code field message }
    }
  }
`;
export const REMOVE_MEMBER = gql`
  mutation RemoveMember($input: RemoveMemberInput!) {
    removeMember(input: $input) {
      membership { role user { id } }
      userErrors { code field message }
    }
  }
`;
export const CREATE_PLAN = gql`
  mutation CreatePlan($input: CreatePlanInput!) {
    createPlan(input: $input) {
      plan { id name latestVersion { id number } }
      userErrors { code field message }
    }
  }
`;
export const UPDATE_PLAN = gql`
  mutation UpdatePlan($input: UpdatePlanInput!) {
    updatePlan(input: $input) {
      plan { id latestVersion { number } }
      version { id number parentNumber contentHash message createdBy { email } }
      userErrors { code field message }
    }
  }
`;
export const CREATE_API_TOKEN = gql`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      apiToken { id name expiresAt }
      userErrors { code field message }
    }
  }
`;

export const REVOKE_WORKSPACE_API_TOKEN = gql`
  mutation RevokeWorkspaceApiToken($input: RevokeWorkspaceApiTokenInput!) {
    revokeWorkspaceApiToken(input: $input) {
      revoked
      userErrors { code field message }
    }
  }
`;
export const CREATE_WEBHOOK = gql`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      webhook { id secret createdAt plan { id } }
      userErrors { code field message }
    }
  }
`;
export const DELETE_WEBHOOK = gql`
  mutation DeleteWebhook($input: DeleteWebhookInput!) {
    deleteWebhook(input: $input) {
      webhook { id }
      userErrors { code field message }
    }
  }
`;
export const LOG_OUT = gql`
  mutation LogOut {
    logOut { revoked userErrors { code } }
  }
`;
export const REVOKE_TOKEN = gql`
  mutation RevokeToken($input: RevokeTokenInput!) {
    revokeToken(input: $input) { revoked userErrors { code } }
  }
`;
export const NODE = gql`
  query Node($id: ID!) {
    node(id: $id) {
      id
      ... on Plan { name }
      ... on Workspace { slug }
      ... on Webhook { createdAt }
    }
  }
`;
export const AUDIT_LOG = gql`
  query AuditLog($slug: String!) {
    workspace(slug: $slug) {
      auditLog(first: 100) { edges { node { action targetId actor { email } data } } }
    }
  }
`;

export const VALID_SPEC = {
  name: 'greet',
  steps: [
    { id: 'hello', tool: 'core.echo', input: { text: 'hi' } },
    { id: 'wait', tool: 'core.sleep', input: { ms: 10 }, after: ['hello'] },
  ],
};

const EXECUTION_FIELDS = 'id status mode error planVersion { number } steps { stepId status attempts cacheHit }';

export const START_EXECUTION = gql`
  mutation StartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      execution { ${EXECUTION_FIELDS} }
      userErrors { code field message }
    }
  }
`;

export const START_REGRESSION_TEST = gql`
  mutation StartRegressionTest($input: StartRegressionTestInput!) {
    startRegressionTest(input: $input) {
      execution { ${EXECUTION_FIELDS} }
      userErrors { code field message }
    }
  }
`;
/** The execution controls share their input and payload; one document each, as a client writes them. */
function controlDocument(name: string) {
  return gql`
    mutation Control($input: ExecutionIdInput!) {
      ${name}(input: $input) {
        execution { ${EXECUTION_FIELDS} }
        userErrors { code field message }
      }
    }
  `;
}
export const PAUSE_EXECUTION = controlDocument('pauseExecution');
export const RESUME_EXECUTION = controlDocument('resumeExecution');
export const CANCEL_EXECUTION = controlDocument('cancelExecution');
export const RETRY_EXECUTION = controlDocument('retryExecution');
export const ROLLBACK_EXECUTION = controlDocument('rollbackExecution');
export const RERUN_EXECUTION = gql`
  mutation Rerun($input: RerunExecutionInput!) {
    rerunExecution(input: $input) {
      execution { ${EXECUTION_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const CANCEL_EXECUTIONS = gql`
  mutation CancelMany($input: ExecutionIdsInput!) {
    cancelExecutions(input: $input) {
      executions { ${EXECUTION_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const RETRY_EXECUTIONS = gql`
  mutation RetryMany($input: ExecutionIdsInput!) {
    retryExecutions(input: $input) {
      executions { ${EXECUTION_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const DECIDE_APPROVAL = gql`
  mutation DecideApproval($input: DecideApprovalInput!) {
    decideApproval(input: $input) {
      approval { id status comment decidedBy { email } execution { id status } }
      userErrors { code field message }
    }
  }
`;
export const EXECUTION = gql`
  query Execution($id: ID!) {
    node(id: $id) {
      id
      ... on Execution {
        status mode input output error traceId createdAt startedAt finishedAt
        plan { id }
        planVersion { number }
        steps { stepId status attempts output error cacheHit startedAt finishedAt }
        events { seq type stepId at data }
        approvals { id stepId status message approvers comment decidedBy { email } }
      }
    }
  }
`;

/** A plan that opens an approval gate (any member may decide: no `approvers`) before its one tool step. */
export const APPROVAL_SPEC = {
  name: 'gated',
  steps: [
    { id: 'ok', type: 'approval', message: 'Go on?' },
    { id: 'hello', tool: 'core.echo', input: { text: 'hi' }, after: ['ok'] },
  ],
};

export const CREATE_WEBHOOK_ENDPOINT = gql`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      webhookEndpoint { id url eventTypes enabled secret }
      userErrors { code field message }
    }
  }
`;

export const DELETE_WEBHOOK_ENDPOINT = gql`
  mutation DeleteWebhookEndpoint($input: DeleteWebhookEndpointInput!) {
    deleteWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code field message } }
  }
`;

export const WEBHOOK_ENDPOINTS = gql`
  query WebhookEndpoints($slug: String!) {
    workspace(slug: $slug) {
      webhookEndpoints {
        id url eventTypes secret
        deliveries(first: 100) {
          edges { node { id eventType eventSeq status attempts responseStatus lastError deliveredAt } }
        }
      }
    }
  }
`;

const SCHEDULE_FIELDS = 'id cron timezone input overlap paused nextRunAt lastRunAt plan { id }';
export const CREATE_SCHEDULE = gql`
  mutation CreateSchedule($input: CreateScheduleInput!) {
    createSchedule(input: $input) {
      schedule { ${SCHEDULE_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const UPDATE_SCHEDULE = gql`
  mutation UpdateSchedule($input: UpdateScheduleInput!) {
    updateSchedule(input: $input) {
      schedule { ${SCHEDULE_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const DELETE_SCHEDULE = gql`
  mutation DeleteSchedule($input: DeleteScheduleInput!) {
    deleteSchedule(input: $input) {
      schedule { id }
      userErrors { code field message }
    }
  }
`;
export const CREATE_EVENT_TRIGGER = gql`
  mutation CreateEventTrigger($input: CreateEventTriggerInput!) {
    createEventTrigger(input: $input) {
      eventTrigger { id event match createdAt plan { id } }
      userErrors { code field message }
    }
  }
`;
export const DELETE_EVENT_TRIGGER = gql`
  mutation DeleteEventTrigger($input: DeleteEventTriggerInput!) {
    deleteEventTrigger(input: $input) {
      eventTrigger { id }
      userErrors { code field message }
    }
  }
`;
export const SEND_EVENT = gql`
  mutation SendEvent($input: SendEventInput!) {
    sendEvent(input: $input) {
      resumed
      started { id trigger input status }
      userErrors { code field message }
    }
  }
`;
