import type { PlanPageQuery, WorkspaceToolsQuery } from '../graphql/generated/graphql.ts';

/** The plans pages' shapes, from the generated types of their queries (never by hand). */
export type PlanNode = Extract<NonNullable<PlanPageQuery['node']>, { __typename?: 'Plan' }>;
export type PlanVersionRow = PlanNode['versions']['edges'][number]['node'];
export type WorkspaceTool = NonNullable<WorkspaceToolsQuery['workspace']>['tools'][number];
