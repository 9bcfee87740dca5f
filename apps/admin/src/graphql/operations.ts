import { gql } from '@apollo/client';

// Every operation the console sends lives here, and every export is one document, so
// operations.test.ts can validate them all against the committed schema.graphql.

const USER_ERRORS = gql`
  fragment UserErrors on UserError {
    code
    field
    message
  }
`;

export const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        email
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const LOG_IN = gql`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      token
      user {
        id
        email
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const LOG_OUT = gql`
  mutation LogOut {
    logOut {
      revoked
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const VIEWER = gql`
  query Viewer {
    viewer {
      id
      email
      name
      memberships {
        role
        workspace {
          id
          slug
          name
        }
      }
    }
  }
`;

export const CREATE_WORKSPACE = gql`
  mutation CreateWorkspace($input: CreateWorkspaceInput!) {
    createWorkspace(input: $input) {
      workspace {
        id
        slug
        name
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const WORKSPACE = gql`
  query Workspace($slug: String!) {
    workspace(slug: $slug) {
      id
      slug
      name
      viewerRole
      members(first: 100) {
        edges {
          node {
            role
            user {
              id
              email
              name
            }
          }
        }
      }
    }
  }
`;

// Versions are fetched for one plan at a time: a page of plans times a page of versions each
// would exceed the API's query-cost limit.
export const PLANS = gql`
  query Plans($slug: String!) {
    workspace(slug: $slug) {
      id
      plans(first: 100) {
        edges {
          node {
            id
            name
            latestVersion {
              id
              number
              message
              createdAt
            }
          }
        }
      }
    }
  }
`;

export const PLAN_VERSIONS = gql`
  query PlanVersions($planId: ID!) {
    node(id: $planId) {
      id
      ... on Plan {
        versions(first: 100) {
          edges {
            node {
              id
              number
              parentNumber
              message
              createdAt
              contentHash
              createdBy {
                email
              }
            }
          }
        }
      }
    }
  }
`;

export const EXECUTIONS = gql`
  query Executions($slug: String!) {
    workspace(slug: $slug) {
      id
      executions(first: 50) {
        edges {
          node {
            id
            status
            mode
            createdAt
            finishedAt
            error
            planVersion {
              number
              plan {
                name
              }
            }
          }
        }
      }
      approvals(status: PENDING, first: 50) {
        edges {
          node {
            id
            stepId
            status
            message
            approvers
            execution {
              id
            }
          }
        }
      }
    }
  }
`;

export const WORKSPACE_EXECUTIONS = gql`
  subscription WorkspaceExecutions($workspaceId: ID!) {
    workspaceExecutions(workspaceId: $workspaceId) {
      id
      status
    }
  }
`;

export const AUDIT_LOG = gql`
  query AuditLog($slug: String!) {
    workspace(slug: $slug) {
      id
      auditLog(first: 100) {
        edges {
          node {
            id
            action
            targetId
            at
            data
            actor {
              email
            }
          }
        }
      }
    }
  }
`;

export const ADD_MEMBER = gql`
  mutation AddMember($input: AddMemberInput!) {
    addMember(input: $input) {
      membership {
        role
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const CHANGE_MEMBER_ROLE = gql`
  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {
    changeMemberRole(input: $input) {
      membership {
        role
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const REMOVE_MEMBER = gql`
  mutation RemoveMember($input: RemoveMemberInput!) {
    removeMember(input: $input) {
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const CREATE_API_TOKEN = gql`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      apiToken {
        id
        name
        expiresAt
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const VIEWER_TOKENS = gql`
  query ViewerTokens {
    viewer {
      id
      tokens {
        id
        name
        kind
        createdAt
        expiresAt
        lastUsedAt
        workspace {
          id
        }
      }
    }
  }
`;

export const REVOKE_TOKEN = gql`
  mutation RevokeToken($input: RevokeTokenInput!) {
    revokeToken(input: $input) {
      revoked
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

const EXECUTION_CONTROL_FIELDS = gql`
  fragment ExecutionControlFields on ExecutionPayload {
    execution {
      id
      status
    }
    userErrors {
      ...UserErrors
    }
  }
  ${USER_ERRORS}
`;

export const START_EXECUTION = gql`
  mutation StartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
  ${EXECUTION_CONTROL_FIELDS}
`;

export const PAUSE_EXECUTION = gql`
  mutation PauseExecution($input: ExecutionIdInput!) {
    pauseExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
  ${EXECUTION_CONTROL_FIELDS}
`;

export const RESUME_EXECUTION = gql`
  mutation ResumeExecution($input: ExecutionIdInput!) {
    resumeExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
  ${EXECUTION_CONTROL_FIELDS}
`;

export const CANCEL_EXECUTION = gql`
  mutation CancelExecution($input: ExecutionIdInput!) {
    cancelExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
  ${EXECUTION_CONTROL_FIELDS}
`;

export const RETRY_EXECUTION = gql`
  mutation RetryExecution($input: ExecutionIdInput!) {
    retryExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
  ${EXECUTION_CONTROL_FIELDS}
`;

export const ROLLBACK_EXECUTION = gql`
  mutation RollbackExecution($input: ExecutionIdInput!) {
    rollbackExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
  ${EXECUTION_CONTROL_FIELDS}
`;

export const DECIDE_APPROVAL = gql`
  mutation DecideApproval($input: DecideApprovalInput!) {
    decideApproval(input: $input) {
      approval {
        id
        status
        comment
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;
