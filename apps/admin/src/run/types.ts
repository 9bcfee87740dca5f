import type { RunQuery } from '../graphql/generated/graphql.ts';

/** The run page's shapes, from the generated types of the RUN query (never by hand). */
export type RunNode = Extract<NonNullable<RunQuery['node']>, { __typename?: 'Execution' }>;
export type Attempt = RunNode['attempts'][number];
export type StepRun = RunNode['steps'][number];
export type RunEvent = RunNode['events'][number];
export type RunApproval = RunNode['approvals'][number];
