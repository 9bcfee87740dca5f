import { gql } from '@apollo/client';

// Every operation the console sends lives here, so a test can validate them all against the
// committed schema.graphql.

export const USER_ERRORS = gql`
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
      plans(first: 100) {
        edges {
          node {
            id
            name
            latestVersion {
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
            execution {
              id
            }
          }
        }
      }
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

const EXECUTION_CONTROL_RESULT = `
  execution {
    id
    status
  }
  userErrors {
    ...UserErrors
  }
`;

export const EXECUTION_CONTROLS = {
  pause: gql`mutation PauseExecution($input: ExecutionIdInput!) { pauseExecution(input: $input) { ${EXECUTION_CONTROL_RESULT} } } ${USER_ERRORS}`,
  resume: gql`mutation ResumeExecution($input: ExecutionIdInput!) { resumeExecution(input: $input) { ${EXECUTION_CONTROL_RESULT} } } ${USER_ERRORS}`,
  cancel: gql`mutation CancelExecution($input: ExecutionIdInput!) { cancelExecution(input: $input) { ${EXECUTION_CONTROL_RESULT} } } ${USER_ERRORS}`,
  retry: gql`mutation RetryExecution($input: ExecutionIdInput!) { retryExecution(input: $input) { ${EXECUTION_CONTROL_RESULT} } } ${USER_ERRORS}`,
  rollback: gql`mutation RollbackExecution($input: ExecutionIdInput!) { rollbackExecution(input: $input) { ${EXECUTION_CONTROL_RESULT} } } ${USER_ERRORS}`,
} as const;

export const DECIDE_APPROVAL = gql`
  mutation DecideApproval($input: DecideApprovalInput!) {
    decideApproval(input: $input) {
      approval {
        id
        status
      }
      userErrors {
        ...UserErrors
      }
    }
  }
  ${USER_ERRORS}
`;

export const WORKSPACE_EXECUTIONS = gql`
  subscription WorkspaceExecutions($workspaceId: ID!) {
    workspaceExecutions(workspaceId: $workspaceId) {
      id
      status
    }
  }
`;
