import { graphql } from './generated/index.ts';

// Every operation the console sends lives here, and every export is one document, so
// operations.test.ts can validate them all against the committed schema.graphql. `graphql()` is
// generated (codegen.ts): it answers each document typed with its result and variables, and
// includes the fragments a document spreads, found by name.

// Fragments are declared for codegen, which adds each to the documents that spread it by name.
graphql(`
  fragment UserErrors on UserError {
    code
    field
    message
  }
`);

export const SIGN_UP = graphql(`
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
`);

export const LOG_IN = graphql(`
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
`);

export const LOG_OUT = graphql(`
  mutation LogOut {
    logOut {
      revoked
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const VIEWER = graphql(`
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
`);

export const CREATE_WORKSPACE = graphql(`
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
`);

export const WORKSPACE = graphql(`
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
`);

// Versions are fetched for one plan at a time: a page of plans times a page of versions each
// would exceed the API's query-cost limit.
export const PLANS = graphql(`
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
`);

export const PLAN_VERSIONS = graphql(`
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
`);

export const WORKSPACE_EXECUTIONS = graphql(`
  subscription WorkspaceExecutions($workspaceId: ID!) {
    workspaceExecutions(workspaceId: $workspaceId) {
      id
      status
    }
  }
`);

export const ADD_MEMBER = graphql(`
  mutation AddMember($input: AddMemberInput!) {
    payload: addMember(input: $input) {
      membership {
        role
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const CHANGE_MEMBER_ROLE = graphql(`
  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {
    payload: changeMemberRole(input: $input) {
      membership {
        role
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const REMOVE_MEMBER = graphql(`
  mutation RemoveMember($input: RemoveMemberInput!) {
    payload: removeMember(input: $input) {
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const CREATE_API_TOKEN = graphql(`
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
`);

export const REVOKE_TOKEN = graphql(`
  mutation RevokeToken($input: RevokeTokenInput!) {
    revokeToken(input: $input) {
      revoked
      userErrors {
        ...UserErrors
      }
    }
  }
`);

// Execution controls (and member changes below) alias their root field as `payload`: their
// results then share one generated type, so the console handles them with one code path.
graphql(`
  fragment ExecutionControlFields on ExecutionPayload {
    execution {
      id
      status
    }
    userErrors {
      ...UserErrors
    }
  }
`);

export const START_EXECUTION = graphql(`
  mutation StartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const PAUSE_EXECUTION = graphql(`
  mutation PauseExecution($input: ExecutionIdInput!) {
    payload: pauseExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const RESUME_EXECUTION = graphql(`
  mutation ResumeExecution($input: ExecutionIdInput!) {
    payload: resumeExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const CANCEL_EXECUTION = graphql(`
  mutation CancelExecution($input: ExecutionIdInput!) {
    payload: cancelExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const RETRY_EXECUTION = graphql(`
  mutation RetryExecution($input: ExecutionIdInput!) {
    payload: retryExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const ROLLBACK_EXECUTION = graphql(`
  mutation RollbackExecution($input: ExecutionIdInput!) {
    payload: rollbackExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const DECIDE_APPROVAL = graphql(`
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
`);

export const RUNS = graphql(`
  query Runs(
    $slug: String!
    $first: Int!
    $after: String
    $status: ExecutionStatus
    $planId: ID
    $mode: ExecutionMode
    $trigger: ExecutionTrigger
    $createdAfter: DateTime
    $createdBefore: DateTime
  ) {
    workspace(slug: $slug) {
      id
      executions(
        first: $first
        after: $after
        status: $status
        planId: $planId
        mode: $mode
        trigger: $trigger
        createdAfter: $createdAfter
        createdBefore: $createdBefore
      ) {
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            status
            mode
            createdAt
            finishedAt
            error
            trigger
            planVersion {
              number
              plan {
                id
                name
              }
            }
            steps {
              stepId
              status
              errorDetail {
                code
                message
              }
            }
            parent {
              id
            }
            children {
              id
            }
          }
        }
      }
    }
  }
`);

export const RUN = graphql(`
  query Run($id: ID!) {
    node(id: $id) {
      id
      ... on Execution {
        status
        mode
        input
        output
        error
        createdAt
        startedAt
        finishedAt
        trigger
        priority
        planVersion {
          id
          number
          spec
          plan {
            id
            name
          }
        }
        parent {
          id
          status
          planVersion {
            number
            plan {
              name
            }
          }
        }
        children {
          id
          status
          planVersion {
            number
            plan {
              name
            }
          }
        }
        steps {
          stepId
          status
          attempts
          cacheHit
          fellBack
          error
          errorDetail {
            code
            message
            retriable
          }
          startedAt
          finishedAt
        }
        attempts {
          stepId
          attempt
          kind
          status
          tool
          input
          output
          error
          workerId
          cacheHit
          startedAt
          finishedAt
          durationMs
          logs {
            line
            level
            message
            data
            at
          }
        }
        events {
          seq
          type
          stepId
          at
          data
        }
        approvals {
          id
          stepId
          status
          message
          approvers
        }
      }
    }
  }
`);

export const RUN_EVENTS = graphql(`
  subscription RunEvents($executionId: ID!, $afterSeq: Int) {
    executionEvents(executionId: $executionId, afterSeq: $afterSeq) {
      seq
      type
      stepId
    }
  }
`);

export const RERUN_EXECUTION = graphql(`
  mutation RerunExecution($input: RerunExecutionInput!) {
    rerunExecution(input: $input) {
      ...ExecutionControlFields
    }
  }
`);

export const CANCEL_EXECUTIONS = graphql(`
  mutation CancelExecutions($input: ExecutionIdsInput!) {
    cancelExecutions(input: $input) {
      executions {
        id
        status
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const PLAN_GRAPH = graphql(`
  query PlanGraph($planId: ID!) {
    node(id: $planId) {
      id
      ... on Plan {
        name
        latestVersion {
          id
          number
          spec
        }
      }
    }
  }
`);

export const SCHEDULES = graphql(`
  query Schedules($slug: String!) {
    workspace(slug: $slug) {
      id
      schedules {
        id
        cron
        timezone
        overlap
        paused
        nextRunAt
        lastRunAt
        plan {
          id
          name
        }
      }
      plans(first: 100) {
        edges {
          node {
            id
            name
          }
        }
      }
    }
  }
`);

export const CREATE_SCHEDULE = graphql(`
  mutation CreateSchedule($input: CreateScheduleInput!) {
    createSchedule(input: $input) {
      schedule {
        id
        nextRunAt
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);

export const UPDATE_SCHEDULE = graphql(`
  mutation UpdateSchedule($input: UpdateScheduleInput!) {
    updateSchedule(input: $input) {
      schedule {
        id
        paused
        nextRunAt
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);

export const DELETE_SCHEDULE = graphql(`
  mutation DeleteSchedule($input: DeleteScheduleInput!) {
    deleteSchedule(input: $input) {
      schedule {
        id
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);

export const EVENTS = graphql(`
  query Events($slug: String!) {
    workspace(slug: $slug) {
      id
      events(first: 50) {
        edges {
          node {
            id
            name
            data
            source
            sentAt
            resumed
            sentBy {
              id
              email
            }
            started {
              id
              status
            }
          }
        }
      }
      eventTriggers {
        id
        event
        match
        plan {
          id
          name
        }
      }
    }
  }
`);

export const SEND_EVENT = graphql(`
  mutation SendEvent($input: SendEventInput!) {
    sendEvent(input: $input) {
      resumed
      started {
        id
        status
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);

// Analytics and runs list

export const PLAN_STATS = graphql(`
  query PlanStats($planId: ID!, $since: DateTime!, $until: DateTime, $bucket: StatsBucket!) {
    node(id: $planId) {
      id
      ... on Plan {
        name
        latestVersion {
          id
          number
        }
        stats(since: $since, until: $until, bucket: $bucket) {
          start
          runs
          finished
          succeeded
          failed
          successRate
          p50Ms
          p95Ms
        }
      }
    }
  }
`);

export const PLAN_TOTALS = graphql(`
  query PlanTotals($slug: String!, $since: DateTime!, $until: DateTime) {
    workspace(slug: $slug) {
      id
      planStats(since: $since, until: $until) {
        plan {
          id
          name
        }
        runs
        succeeded
        failed
        successRate
        p50Ms
        p95Ms
      }
    }
  }
`);

export const COMPARE_VERSIONS = graphql(`
  query CompareVersions($planId: ID!, $a: Int!, $b: Int!, $since: DateTime) {
    node(id: $planId) {
      id
      ... on Plan {
        compareVersions(a: $a, b: $b, since: $since) {
          a {
            ...VersionResultsFields
          }
          b {
            ...VersionResultsFields
          }
          zScore
          significant
        }
      }
    }
  }
  fragment VersionResultsFields on VersionResults {
    number
    runs
    finished
    succeeded
    failed
    successRate
    p50Ms
    p95Ms
  }
`);

export const TOOL_STATS = graphql(`
  query ToolStats($slug: String!) {
    workspace(slug: $slug) {
      id
      tools {
        name
        stats {
          calls
          failures
          retries
          p50Ms
          p95Ms
        }
      }
    }
  }
`);

export const RETRY_EXECUTIONS = graphql(`
  mutation RetryExecutions($input: ExecutionIdsInput!) {
    retryExecutions(input: $input) {
      executions {
        id
        status
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

// Marketplace, tools and secrets

export const MARKETPLACE = graphql(`
  query Marketplace($slug: String!, $search: String) {
    marketplace(search: $search, first: 50) {
      edges {
        node {
          id
          name
          publisher
          description
          versions {
            id
            version
          }
        }
      }
    }
    workspace(slug: $slug) {
      id
      installedPlugins {
        id
        pluginVersion {
          id
          version
          plugin {
            id
          }
        }
      }
    }
  }
`);

// The API finds plugins by search only: the plugin page searches its name and keeps the exact match.
export const PLUGIN_PAGE = graphql(`
  query PluginPage($slug: String!, $name: String!) {
    marketplace(search: $name, first: 20) {
      edges {
        node {
          id
          name
          publisher
          description
          versions {
            id
            version
            integrity
            capabilities
            optionalCapabilities
            tools {
              name
              description
              inputSchema
              outputSchema
            }
          }
        }
      }
    }
    workspace(slug: $slug) {
      id
      installedPlugins {
        id
        enabled
        grantedCapabilities
        pluginVersion {
          id
          version
          plugin {
            id
          }
        }
      }
    }
  }
`);

export const INSTALL_PLUGIN = graphql(`
  mutation InstallPlugin($input: InstallPluginInput!) {
    installPlugin(input: $input) {
      installation {
        id
        grantedCapabilities
        pluginVersion {
          id
          version
        }
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const UPGRADE_PLUGIN = graphql(`
  mutation UpgradePlugin($input: UpgradePluginInput!) {
    upgradePlugin(input: $input) {
      installation {
        id
        grantedCapabilities
        pluginVersion {
          id
          version
        }
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const UNINSTALL_PLUGIN = graphql(`
  mutation UninstallPlugin($input: UninstallPluginInput!) {
    uninstallPlugin(input: $input) {
      installation {
        id
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const WORKSPACE_TOOLS = graphql(`
  query WorkspaceTools($slug: String!) {
    workspace(slug: $slug) {
      id
      tools {
        name
        description
        inputSchema
        outputSchema
        plugin {
          id
          version
          plugin {
            id
            name
          }
        }
        stats {
          calls
          failures
          p50Ms
          p95Ms
        }
      }
    }
  }
`);

export const SECRETS = graphql(`
  query Secrets($slug: String!) {
    workspace(slug: $slug) {
      id
      secrets {
        name
        updatedAt
        allowedHosts
      }
    }
  }
`);

export const SET_SECRET = graphql(`
  mutation SetSecret($input: SetSecretInput!) {
    setSecret(input: $input) {
      secret {
        name
        updatedAt
        allowedHosts
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

export const DELETE_SECRET = graphql(`
  mutation DeleteSecret($input: DeleteSecretInput!) {
    deleteSecret(input: $input) {
      secret {
        name
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

// Plans pages

graphql(`
  fragment PlanVersionFields on PlanVersion {
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
`);

export const PLAN_PAGE = graphql(`
  query PlanPage($planId: ID!) {
    node(id: $planId) {
      id
      ... on Plan {
        name
        latestVersion {
          ...PlanVersionFields
          spec
        }
        versions(first: 100) {
          edges {
            node {
              ...PlanVersionFields
            }
          }
        }
      }
    }
  }
`);

export const PLAN_VERSION = graphql(`
  query PlanVersion($planId: ID!, $number: Int!) {
    node(id: $planId) {
      id
      ... on Plan {
        name
        latestVersion {
          id
          number
        }
        version(number: $number) {
          ...PlanVersionFields
          spec
        }
      }
    }
  }
`);

// `to.diff(against: from)` lists what changed from `from` to `to`.
export const PLAN_VERSION_DIFF = graphql(`
  query PlanVersionDiff($planId: ID!, $from: Int!, $to: Int!) {
    node(id: $planId) {
      id
      ... on Plan {
        from: version(number: $from) {
          id
          number
          spec
        }
        to: version(number: $to) {
          id
          number
          spec
          diff(against: $from) {
            added
            removed
            changed
          }
        }
      }
    }
  }
`);

graphql(`
  fragment PlanPayloadFields on PlanPayload {
    plan {
      id
      name
    }
    version {
      id
      number
    }
    userErrors {
      ...UserErrors
    }
  }
`);

export const CREATE_PLAN = graphql(`
  mutation CreatePlan($input: CreatePlanInput!) {
    payload: createPlan(input: $input) {
      ...PlanPayloadFields
    }
  }
`);

export const UPDATE_PLAN = graphql(`
  mutation UpdatePlan($input: UpdatePlanInput!) {
    payload: updatePlan(input: $input) {
      ...PlanPayloadFields
    }
  }
`);

export const DRAFT_PLAN = graphql(`
  mutation DraftPlan($input: DraftPlanInput!) {
    draftPlan(input: $input) {
      spec
      explanation
      planner
      schedule {
        cron
        description
        timezone
        nextRuns
      }
      userErrors {
        ...UserErrors
      }
    }
  }
`);

// Approvals, audit, tokens, members

export const APPROVALS_INBOX = graphql(`
  query ApprovalsInbox($slug: String!) {
    workspace(slug: $slug) {
      id
      approvals(first: 50) {
        edges {
          node {
            id
            stepId
            status
            message
            stepInput
            approvers
            comment
            createdAt
            decidedAt
            decidedBy {
              email
              name
            }
            execution {
              id
              mode
              status
              createdAt
              startedBy {
                email
                name
              }
              plan {
                name
              }
              planVersion {
                number
              }
            }
          }
        }
      }
    }
  }
`);

export const AUDIT_EVENTS = graphql(`
  query AuditEvents(
    $slug: String!
    $first: Int!
    $after: String
    $actorId: ID
    $action: String
    $since: DateTime
    $until: DateTime
  ) {
    workspace(slug: $slug) {
      id
      auditActions
      auditActors {
        id
        email
      }
      auditLog(first: $first, after: $after, actorId: $actorId, action: $action, since: $since, until: $until) {
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            action
            at
            data
            targetId
            targetType
            targetLabel
            targetGone
            actor {
              id
              email
              name
            }
            targetUser {
              email
              name
            }
            targetExecution {
              id
              mode
              plan {
                name
              }
            }
          }
        }
      }
    }
  }
`);

export const MEMBERS = graphql(`
  query Members($slug: String!) {
    workspace(slug: $slug) {
      id
      members(first: 100) {
        edges {
          node {
            role
            invited
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
`);

export const MY_TOKENS = graphql(`
  query MyTokens {
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
          name
        }
      }
    }
  }
`);

export const WORKSPACE_API_TOKENS = graphql(`
  query WorkspaceApiTokens($slug: String!) {
    workspace(slug: $slug) {
      id
      apiTokens {
        id
        name
        createdAt
        expiresAt
        lastUsedAt
        owner {
          id
          email
          name
        }
      }
    }
  }
`);

export const REVOKE_WORKSPACE_API_TOKEN = graphql(`
  mutation RevokeWorkspaceApiToken($input: RevokeWorkspaceApiTokenInput!) {
    revokeWorkspaceApiToken(input: $input) {
      revoked
      userErrors {
        ...UserErrors
      }
    }
  }
`);
