import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './types/refs.ts';
import './types/execution.ts';
import './types/regression.ts';
import './types/tool.ts';
import './types/workspace.ts';
import './types/audit-event.ts';
import './types/api-token.ts';
import './types/invitations.ts';
import './types/plan.ts';
import './types/plan-stats.ts';
import './types/plugin.ts';
import './types/engine-payloads.ts';
import './types/webhook-endpoint.ts';
import './types/schedule.ts';
import './types/query.ts';
import './mutations/accounts.ts';
import './mutations/workspaces.ts';
import './mutations/workspace-tokens.ts';
import './mutations/plans.ts';
import './mutations/webhooks.ts';
import './mutations/marketplace.ts';
import './mutations/secrets.ts';
import './mutations/draft-plan.ts';
import './mutations/ab-test.ts';
import './mutations/executions.ts';
import './mutations/regression-tests.ts';
import './mutations/webhook-endpoints.ts';
import './mutations/schedules.ts';
import './mutations/events.ts';
import './subscriptions.ts';

let schema: GraphQLSchema | undefined;

/**
 * The product's GraphQL schema. It is the same for every deployment: what differs (pools, engine,
 * validator, feeds) travels in each request's context, built by `createContext(options, request)`.
 */
export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: true });
  return schema;
}
