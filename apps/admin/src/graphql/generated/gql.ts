/* eslint-disable */
import * as types from './graphql.ts';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment UserErrors on UserError {\n    code\n    field\n    message\n  }\n": typeof types.UserErrorsFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.LogInDocument,
    "\n  mutation LogOut {\n    logOut {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.LogOutDocument,
    "\n  query Viewer {\n    viewer {\n      id\n      email\n      name\n      memberships {\n        role\n        workspace {\n          id\n          slug\n          name\n        }\n      }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n    createWorkspace(input: $input) {\n      workspace {\n        id\n        slug\n        name\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.CreateWorkspaceDocument,
    "\n  query Workspace($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      slug\n      name\n      viewerRole\n      members(first: 100) {\n        edges {\n          node {\n            role\n            user {\n              id\n              email\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.WorkspaceDocument,
    "\n  query Plans($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      plans(first: 100) {\n        edges {\n          node {\n            id\n            name\n            latestVersion {\n              id\n              number\n              message\n              createdAt\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.PlansDocument,
    "\n  query PlanVersions($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        versions(first: 100) {\n          edges {\n            node {\n              id\n              number\n              parentNumber\n              message\n              createdAt\n              contentHash\n              createdBy {\n                email\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.PlanVersionsDocument,
    "\n  query Executions($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      executions(first: 50) {\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                name\n              }\n            }\n          }\n        }\n      }\n      approvals(status: PENDING, first: 50) {\n        edges {\n          node {\n            id\n            stepId\n            status\n            message\n            approvers\n            execution {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ExecutionsDocument,
    "\n  subscription WorkspaceExecutions($workspaceId: ID!) {\n    workspaceExecutions(workspaceId: $workspaceId) {\n      id\n      status\n    }\n  }\n": typeof types.WorkspaceExecutionsDocument,
    "\n  query AuditLog($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      auditLog(first: 100) {\n        edges {\n          node {\n            id\n            action\n            targetId\n            at\n            data\n            actor {\n              email\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  mutation AddMember($input: AddMemberInput!) {\n    payload: addMember(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.AddMemberDocument,
    "\n  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {\n    payload: changeMemberRole(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.ChangeMemberRoleDocument,
    "\n  mutation RemoveMember($input: RemoveMemberInput!) {\n    payload: removeMember(input: $input) {\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.RemoveMemberDocument,
    "\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        expiresAt\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.CreateApiTokenDocument,
    "\n  query ViewerTokens {\n    viewer {\n      id\n      tokens {\n        id\n        name\n        kind\n        createdAt\n        expiresAt\n        lastUsedAt\n        workspace {\n          id\n        }\n      }\n    }\n  }\n": typeof types.ViewerTokensDocument,
    "\n  mutation RevokeToken($input: RevokeTokenInput!) {\n    revokeToken(input: $input) {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.RevokeTokenDocument,
    "\n  fragment ExecutionControlFields on ExecutionPayload {\n    execution {\n      id\n      status\n    }\n    userErrors {\n      ...UserErrors\n    }\n  }\n": typeof types.ExecutionControlFieldsFragmentDoc,
    "\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.StartExecutionDocument,
    "\n  mutation PauseExecution($input: ExecutionIdInput!) {\n    payload: pauseExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.PauseExecutionDocument,
    "\n  mutation ResumeExecution($input: ExecutionIdInput!) {\n    payload: resumeExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.ResumeExecutionDocument,
    "\n  mutation CancelExecution($input: ExecutionIdInput!) {\n    payload: cancelExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.CancelExecutionDocument,
    "\n  mutation RetryExecution($input: ExecutionIdInput!) {\n    payload: retryExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.RetryExecutionDocument,
    "\n  mutation RollbackExecution($input: ExecutionIdInput!) {\n    payload: rollbackExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.RollbackExecutionDocument,
    "\n  mutation DecideApproval($input: DecideApprovalInput!) {\n    decideApproval(input: $input) {\n      approval {\n        id\n        status\n        comment\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.DecideApprovalDocument,
    "\n  query Runs(\n    $slug: String!\n    $first: Int!\n    $after: String\n    $status: ExecutionStatus\n    $planId: ID\n    $mode: ExecutionMode\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    workspace(slug: $slug) {\n      id\n      executions(\n        first: $first\n        after: $after\n        status: $status\n        planId: $planId\n        mode: $mode\n        createdAfter: $createdAfter\n        createdBefore: $createdBefore\n      ) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                id\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.RunsDocument,
    "\n  query Run($id: ID!) {\n    node(id: $id) {\n      id\n      ... on Execution {\n        status\n        mode\n        input\n        output\n        error\n        createdAt\n        startedAt\n        finishedAt\n        planVersion {\n          id\n          number\n          spec\n          plan {\n            id\n            name\n          }\n        }\n        steps {\n          stepId\n          status\n          attempts\n          cacheHit\n          error\n          startedAt\n          finishedAt\n        }\n        attempts {\n          stepId\n          attempt\n          kind\n          status\n          tool\n          input\n          output\n          error\n          workerId\n          cacheHit\n          startedAt\n          finishedAt\n          durationMs\n          logs {\n            line\n            level\n            message\n            data\n            at\n          }\n        }\n        events {\n          seq\n          type\n          stepId\n          at\n          data\n        }\n        approvals {\n          id\n          stepId\n          status\n          message\n          approvers\n        }\n      }\n    }\n  }\n": typeof types.RunDocument,
    "\n  subscription RunEvents($executionId: ID!, $afterSeq: Int) {\n    executionEvents(executionId: $executionId, afterSeq: $afterSeq) {\n      seq\n      type\n      stepId\n    }\n  }\n": typeof types.RunEventsDocument,
    "\n  mutation RerunExecution($input: RerunExecutionInput!) {\n    rerunExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": typeof types.RerunExecutionDocument,
    "\n  mutation CancelExecutions($input: ExecutionIdsInput!) {\n    cancelExecutions(input: $input) {\n      executions {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": typeof types.CancelExecutionsDocument,
    "\n  query PlanGraph($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        name\n        latestVersion {\n          id\n          number\n          spec\n        }\n      }\n    }\n  }\n": typeof types.PlanGraphDocument,
};
const documents: Documents = {
    "\n  fragment UserErrors on UserError {\n    code\n    field\n    message\n  }\n": types.UserErrorsFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.LogInDocument,
    "\n  mutation LogOut {\n    logOut {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.LogOutDocument,
    "\n  query Viewer {\n    viewer {\n      id\n      email\n      name\n      memberships {\n        role\n        workspace {\n          id\n          slug\n          name\n        }\n      }\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n    createWorkspace(input: $input) {\n      workspace {\n        id\n        slug\n        name\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.CreateWorkspaceDocument,
    "\n  query Workspace($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      slug\n      name\n      viewerRole\n      members(first: 100) {\n        edges {\n          node {\n            role\n            user {\n              id\n              email\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": types.WorkspaceDocument,
    "\n  query Plans($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      plans(first: 100) {\n        edges {\n          node {\n            id\n            name\n            latestVersion {\n              id\n              number\n              message\n              createdAt\n            }\n          }\n        }\n      }\n    }\n  }\n": types.PlansDocument,
    "\n  query PlanVersions($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        versions(first: 100) {\n          edges {\n            node {\n              id\n              number\n              parentNumber\n              message\n              createdAt\n              contentHash\n              createdBy {\n                email\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.PlanVersionsDocument,
    "\n  query Executions($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      executions(first: 50) {\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                name\n              }\n            }\n          }\n        }\n      }\n      approvals(status: PENDING, first: 50) {\n        edges {\n          node {\n            id\n            stepId\n            status\n            message\n            approvers\n            execution {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n": types.ExecutionsDocument,
    "\n  subscription WorkspaceExecutions($workspaceId: ID!) {\n    workspaceExecutions(workspaceId: $workspaceId) {\n      id\n      status\n    }\n  }\n": types.WorkspaceExecutionsDocument,
    "\n  query AuditLog($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      auditLog(first: 100) {\n        edges {\n          node {\n            id\n            action\n            targetId\n            at\n            data\n            actor {\n              email\n            }\n          }\n        }\n      }\n    }\n  }\n": types.AuditLogDocument,
    "\n  mutation AddMember($input: AddMemberInput!) {\n    payload: addMember(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.AddMemberDocument,
    "\n  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {\n    payload: changeMemberRole(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.ChangeMemberRoleDocument,
    "\n  mutation RemoveMember($input: RemoveMemberInput!) {\n    payload: removeMember(input: $input) {\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.RemoveMemberDocument,
    "\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        expiresAt\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.CreateApiTokenDocument,
    "\n  query ViewerTokens {\n    viewer {\n      id\n      tokens {\n        id\n        name\n        kind\n        createdAt\n        expiresAt\n        lastUsedAt\n        workspace {\n          id\n        }\n      }\n    }\n  }\n": types.ViewerTokensDocument,
    "\n  mutation RevokeToken($input: RevokeTokenInput!) {\n    revokeToken(input: $input) {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.RevokeTokenDocument,
    "\n  fragment ExecutionControlFields on ExecutionPayload {\n    execution {\n      id\n      status\n    }\n    userErrors {\n      ...UserErrors\n    }\n  }\n": types.ExecutionControlFieldsFragmentDoc,
    "\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.StartExecutionDocument,
    "\n  mutation PauseExecution($input: ExecutionIdInput!) {\n    payload: pauseExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.PauseExecutionDocument,
    "\n  mutation ResumeExecution($input: ExecutionIdInput!) {\n    payload: resumeExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.ResumeExecutionDocument,
    "\n  mutation CancelExecution($input: ExecutionIdInput!) {\n    payload: cancelExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.CancelExecutionDocument,
    "\n  mutation RetryExecution($input: ExecutionIdInput!) {\n    payload: retryExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.RetryExecutionDocument,
    "\n  mutation RollbackExecution($input: ExecutionIdInput!) {\n    payload: rollbackExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.RollbackExecutionDocument,
    "\n  mutation DecideApproval($input: DecideApprovalInput!) {\n    decideApproval(input: $input) {\n      approval {\n        id\n        status\n        comment\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.DecideApprovalDocument,
    "\n  query Runs(\n    $slug: String!\n    $first: Int!\n    $after: String\n    $status: ExecutionStatus\n    $planId: ID\n    $mode: ExecutionMode\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    workspace(slug: $slug) {\n      id\n      executions(\n        first: $first\n        after: $after\n        status: $status\n        planId: $planId\n        mode: $mode\n        createdAfter: $createdAfter\n        createdBefore: $createdBefore\n      ) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                id\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.RunsDocument,
    "\n  query Run($id: ID!) {\n    node(id: $id) {\n      id\n      ... on Execution {\n        status\n        mode\n        input\n        output\n        error\n        createdAt\n        startedAt\n        finishedAt\n        planVersion {\n          id\n          number\n          spec\n          plan {\n            id\n            name\n          }\n        }\n        steps {\n          stepId\n          status\n          attempts\n          cacheHit\n          error\n          startedAt\n          finishedAt\n        }\n        attempts {\n          stepId\n          attempt\n          kind\n          status\n          tool\n          input\n          output\n          error\n          workerId\n          cacheHit\n          startedAt\n          finishedAt\n          durationMs\n          logs {\n            line\n            level\n            message\n            data\n            at\n          }\n        }\n        events {\n          seq\n          type\n          stepId\n          at\n          data\n        }\n        approvals {\n          id\n          stepId\n          status\n          message\n          approvers\n        }\n      }\n    }\n  }\n": types.RunDocument,
    "\n  subscription RunEvents($executionId: ID!, $afterSeq: Int) {\n    executionEvents(executionId: $executionId, afterSeq: $afterSeq) {\n      seq\n      type\n      stepId\n    }\n  }\n": types.RunEventsDocument,
    "\n  mutation RerunExecution($input: RerunExecutionInput!) {\n    rerunExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n": types.RerunExecutionDocument,
    "\n  mutation CancelExecutions($input: ExecutionIdsInput!) {\n    cancelExecutions(input: $input) {\n      executions {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n": types.CancelExecutionsDocument,
    "\n  query PlanGraph($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        name\n        latestVersion {\n          id\n          number\n          spec\n        }\n      }\n    }\n  }\n": types.PlanGraphDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserErrors on UserError {\n    code\n    field\n    message\n  }\n"): (typeof documents)["\n  fragment UserErrors on UserError {\n    code\n    field\n    message\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        email\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut {\n    logOut {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation LogOut {\n    logOut {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      id\n      email\n      name\n      memberships {\n        role\n        workspace {\n          id\n          slug\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      id\n      email\n      name\n      memberships {\n        role\n        workspace {\n          id\n          slug\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n    createWorkspace(input: $input) {\n      workspace {\n        id\n        slug\n        name\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n    createWorkspace(input: $input) {\n      workspace {\n        id\n        slug\n        name\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Workspace($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      slug\n      name\n      viewerRole\n      members(first: 100) {\n        edges {\n          node {\n            role\n            user {\n              id\n              email\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Workspace($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      slug\n      name\n      viewerRole\n      members(first: 100) {\n        edges {\n          node {\n            role\n            user {\n              id\n              email\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Plans($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      plans(first: 100) {\n        edges {\n          node {\n            id\n            name\n            latestVersion {\n              id\n              number\n              message\n              createdAt\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Plans($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      plans(first: 100) {\n        edges {\n          node {\n            id\n            name\n            latestVersion {\n              id\n              number\n              message\n              createdAt\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlanVersions($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        versions(first: 100) {\n          edges {\n            node {\n              id\n              number\n              parentNumber\n              message\n              createdAt\n              contentHash\n              createdBy {\n                email\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query PlanVersions($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        versions(first: 100) {\n          edges {\n            node {\n              id\n              number\n              parentNumber\n              message\n              createdAt\n              contentHash\n              createdBy {\n                email\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Executions($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      executions(first: 50) {\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                name\n              }\n            }\n          }\n        }\n      }\n      approvals(status: PENDING, first: 50) {\n        edges {\n          node {\n            id\n            stepId\n            status\n            message\n            approvers\n            execution {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Executions($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      executions(first: 50) {\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                name\n              }\n            }\n          }\n        }\n      }\n      approvals(status: PENDING, first: 50) {\n        edges {\n          node {\n            id\n            stepId\n            status\n            message\n            approvers\n            execution {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WorkspaceExecutions($workspaceId: ID!) {\n    workspaceExecutions(workspaceId: $workspaceId) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  subscription WorkspaceExecutions($workspaceId: ID!) {\n    workspaceExecutions(workspaceId: $workspaceId) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      auditLog(first: 100) {\n        edges {\n          node {\n            id\n            action\n            targetId\n            at\n            data\n            actor {\n              email\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($slug: String!) {\n    workspace(slug: $slug) {\n      id\n      auditLog(first: 100) {\n        edges {\n          node {\n            id\n            action\n            targetId\n            at\n            data\n            actor {\n              email\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddMember($input: AddMemberInput!) {\n    payload: addMember(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AddMember($input: AddMemberInput!) {\n    payload: addMember(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {\n    payload: changeMemberRole(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {\n    payload: changeMemberRole(input: $input) {\n      membership {\n        role\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveMember($input: RemoveMemberInput!) {\n    payload: removeMember(input: $input) {\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveMember($input: RemoveMemberInput!) {\n    payload: removeMember(input: $input) {\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        expiresAt\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        expiresAt\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ViewerTokens {\n    viewer {\n      id\n      tokens {\n        id\n        name\n        kind\n        createdAt\n        expiresAt\n        lastUsedAt\n        workspace {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ViewerTokens {\n    viewer {\n      id\n      tokens {\n        id\n        name\n        kind\n        createdAt\n        expiresAt\n        lastUsedAt\n        workspace {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeToken($input: RevokeTokenInput!) {\n    revokeToken(input: $input) {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeToken($input: RevokeTokenInput!) {\n    revokeToken(input: $input) {\n      revoked\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ExecutionControlFields on ExecutionPayload {\n    execution {\n      id\n      status\n    }\n    userErrors {\n      ...UserErrors\n    }\n  }\n"): (typeof documents)["\n  fragment ExecutionControlFields on ExecutionPayload {\n    execution {\n      id\n      status\n    }\n    userErrors {\n      ...UserErrors\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseExecution($input: ExecutionIdInput!) {\n    payload: pauseExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation PauseExecution($input: ExecutionIdInput!) {\n    payload: pauseExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeExecution($input: ExecutionIdInput!) {\n    payload: resumeExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation ResumeExecution($input: ExecutionIdInput!) {\n    payload: resumeExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelExecution($input: ExecutionIdInput!) {\n    payload: cancelExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation CancelExecution($input: ExecutionIdInput!) {\n    payload: cancelExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RetryExecution($input: ExecutionIdInput!) {\n    payload: retryExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation RetryExecution($input: ExecutionIdInput!) {\n    payload: retryExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RollbackExecution($input: ExecutionIdInput!) {\n    payload: rollbackExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation RollbackExecution($input: ExecutionIdInput!) {\n    payload: rollbackExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DecideApproval($input: DecideApprovalInput!) {\n    decideApproval(input: $input) {\n      approval {\n        id\n        status\n        comment\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation DecideApproval($input: DecideApprovalInput!) {\n    decideApproval(input: $input) {\n      approval {\n        id\n        status\n        comment\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Runs(\n    $slug: String!\n    $first: Int!\n    $after: String\n    $status: ExecutionStatus\n    $planId: ID\n    $mode: ExecutionMode\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    workspace(slug: $slug) {\n      id\n      executions(\n        first: $first\n        after: $after\n        status: $status\n        planId: $planId\n        mode: $mode\n        createdAfter: $createdAfter\n        createdBefore: $createdBefore\n      ) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                id\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Runs(\n    $slug: String!\n    $first: Int!\n    $after: String\n    $status: ExecutionStatus\n    $planId: ID\n    $mode: ExecutionMode\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    workspace(slug: $slug) {\n      id\n      executions(\n        first: $first\n        after: $after\n        status: $status\n        planId: $planId\n        mode: $mode\n        createdAfter: $createdAfter\n        createdBefore: $createdBefore\n      ) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            status\n            mode\n            createdAt\n            finishedAt\n            error\n            planVersion {\n              number\n              plan {\n                id\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Run($id: ID!) {\n    node(id: $id) {\n      id\n      ... on Execution {\n        status\n        mode\n        input\n        output\n        error\n        createdAt\n        startedAt\n        finishedAt\n        planVersion {\n          id\n          number\n          spec\n          plan {\n            id\n            name\n          }\n        }\n        steps {\n          stepId\n          status\n          attempts\n          cacheHit\n          error\n          startedAt\n          finishedAt\n        }\n        attempts {\n          stepId\n          attempt\n          kind\n          status\n          tool\n          input\n          output\n          error\n          workerId\n          cacheHit\n          startedAt\n          finishedAt\n          durationMs\n          logs {\n            line\n            level\n            message\n            data\n            at\n          }\n        }\n        events {\n          seq\n          type\n          stepId\n          at\n          data\n        }\n        approvals {\n          id\n          stepId\n          status\n          message\n          approvers\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Run($id: ID!) {\n    node(id: $id) {\n      id\n      ... on Execution {\n        status\n        mode\n        input\n        output\n        error\n        createdAt\n        startedAt\n        finishedAt\n        planVersion {\n          id\n          number\n          spec\n          plan {\n            id\n            name\n          }\n        }\n        steps {\n          stepId\n          status\n          attempts\n          cacheHit\n          error\n          startedAt\n          finishedAt\n        }\n        attempts {\n          stepId\n          attempt\n          kind\n          status\n          tool\n          input\n          output\n          error\n          workerId\n          cacheHit\n          startedAt\n          finishedAt\n          durationMs\n          logs {\n            line\n            level\n            message\n            data\n            at\n          }\n        }\n        events {\n          seq\n          type\n          stepId\n          at\n          data\n        }\n        approvals {\n          id\n          stepId\n          status\n          message\n          approvers\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunEvents($executionId: ID!, $afterSeq: Int) {\n    executionEvents(executionId: $executionId, afterSeq: $afterSeq) {\n      seq\n      type\n      stepId\n    }\n  }\n"): (typeof documents)["\n  subscription RunEvents($executionId: ID!, $afterSeq: Int) {\n    executionEvents(executionId: $executionId, afterSeq: $afterSeq) {\n      seq\n      type\n      stepId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RerunExecution($input: RerunExecutionInput!) {\n    rerunExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"): (typeof documents)["\n  mutation RerunExecution($input: RerunExecutionInput!) {\n    rerunExecution(input: $input) {\n      ...ExecutionControlFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelExecutions($input: ExecutionIdsInput!) {\n    cancelExecutions(input: $input) {\n      executions {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CancelExecutions($input: ExecutionIdsInput!) {\n    cancelExecutions(input: $input) {\n      executions {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrors\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlanGraph($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        name\n        latestVersion {\n          id\n          number\n          spec\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query PlanGraph($planId: ID!) {\n    node(id: $planId) {\n      id\n      ... on Plan {\n        name\n        latestVersion {\n          id\n          number\n          spec\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;