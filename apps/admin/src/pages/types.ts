// Names for the shapes the console's pages pass around, taken from the types generated from
// schema.graphql and graphql/operations.ts (codegen.ts), never declared by hand.
import type { ExecutionsQuery, Role, WorkspaceQuery } from '../graphql/generated/graphql.ts';

export type { Role };
// The order the role pickers list them in (the schema's enum has the same members).
export const ROLES: readonly Role[] = ['ADMIN', 'MEMBER', 'VIEWER'];

export type Member = NonNullable<WorkspaceQuery['workspace']>['members']['edges'][number]['node'];
export type ApprovalNode = NonNullable<ExecutionsQuery['workspace']>['approvals']['edges'][number]['node'];
