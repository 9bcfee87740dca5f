// Names for the shapes the console's pages pass around, taken from the types generated from
// schema.graphql and graphql/operations.ts (codegen.ts), never declared by hand.
import type {
  ApprovalsInboxQuery,
  AuditEventsQuery,
  MembersQuery,
  MyTokensQuery,
  Role,
} from '../graphql/generated/graphql.ts';

export type { Role };
// The order the role pickers list them in (the schema's enum has the same members).
export const ROLES: readonly Role[] = ['ADMIN', 'MEMBER', 'VIEWER'];

export type Member = NonNullable<MembersQuery['workspace']>['members']['edges'][number]['node'];
export type ApprovalNode = NonNullable<ApprovalsInboxQuery['workspace']>['approvals']['edges'][number]['node'];
export type AuditNode = NonNullable<AuditEventsQuery['workspace']>['auditLog']['edges'][number]['node'];
export type TokenNode = NonNullable<MyTokensQuery['viewer']>['tokens'][number];
