import { AbilityBuilder, createMongoAbility, type MongoAbility } from '@casl/ability';
import type { Role } from '@weft/engine';

/**
 * The one place the roles' rules live. GraphQL scopes (fields, mutations, subscriptions), the
 * webhook route and the PostGraphile gate all ask `abilityFor(role)`; PostgreSQL RLS backs them.
 */
export const ROLES = ['ADMIN', 'MEMBER', 'VIEWER'] as const satisfies readonly Role[];

export type Action = 'read' | 'create' | 'update' | 'delete' | 'run' | 'decide' | 'manage';
export type Subject =
  | 'Workspace'
  | 'Member'
  | 'Plan'
  | 'Execution'
  | 'Approval'
  | 'AuditLog'
  | 'Webhook'
  | 'WebhookEndpoint'
  | 'Secret'
  | 'PluginInstallation'
  | 'Tool'
  | 'ApiToken'
  | 'AdminGraphql'
  | 'Schedule'
  | 'EventTrigger'
  | 'Event'
  | 'all';

export type AppAbility = MongoAbility<[Action, Subject]>;

export function abilityFor(role: Role): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  // Everyone in a workspace may look at its work and make a token for themselves.
  can('read', [
    'Workspace',
    'Member',
    'Plan',
    'Execution',
    'Approval',
    'Tool',
    'PluginInstallation',
    'Schedule',
    'EventTrigger',
    'Event',
  ]);
  can('create', 'ApiToken');
  if (role === 'MEMBER' || role === 'ADMIN') {
    can(['create', 'update'], 'Plan');
    can('run', 'Execution');
    can('decide', 'Approval');
    // Schedules and triggers start runs without anyone at the keyboard: whoever may run may set them.
    can(['create', 'update', 'delete'], ['Schedule', 'EventTrigger']);
    can('create', 'Event');
  }
  if (role === 'ADMIN') can('manage', 'all');
  return build();
}

/** What each workspace-scoped mutation needs; the role × mutation test matrix is generated from it. */
export const MUTATION_PERMISSIONS = {
  createApiToken: ['create', 'ApiToken'],
  revokeWorkspaceApiToken: ['delete', 'ApiToken'],
  addMember: ['create', 'Member'],
  changeMemberRole: ['update', 'Member'],
  removeMember: ['delete', 'Member'],
  createPlan: ['create', 'Plan'],
  updatePlan: ['update', 'Plan'],
  createWebhook: ['create', 'Webhook'],
  deleteWebhook: ['delete', 'Webhook'],
  createWebhookEndpoint: ['create', 'WebhookEndpoint'],
  deleteWebhookEndpoint: ['delete', 'WebhookEndpoint'],
  draftPlan: ['create', 'Plan'],
  startAbExecution: ['run', 'Execution'],
  installPlugin: ['create', 'PluginInstallation'],
  upgradePlugin: ['update', 'PluginInstallation'],
  uninstallPlugin: ['delete', 'PluginInstallation'],
  setSecret: ['create', 'Secret'],
  deleteSecret: ['delete', 'Secret'],
  startExecution: ['run', 'Execution'],
  startRegressionTest: ['run', 'Execution'],
  pauseExecution: ['run', 'Execution'],
  resumeExecution: ['run', 'Execution'],
  cancelExecution: ['run', 'Execution'],
  cancelExecutions: ['run', 'Execution'],
  retryExecution: ['run', 'Execution'],
  retryExecutions: ['run', 'Execution'],
  rollbackExecution: ['run', 'Execution'],
  rerunExecution: ['run', 'Execution'],
  decideApproval: ['decide', 'Approval'],
  createSchedule: ['create', 'Schedule'],
  updateSchedule: ['update', 'Schedule'],
  deleteSchedule: ['delete', 'Schedule'],
  createEventTrigger: ['create', 'EventTrigger'],
  deleteEventTrigger: ['delete', 'EventTrigger'],
  sendEvent: ['create', 'Event'],
} as const satisfies Record<string, readonly [Action, Subject]>;
export type WorkspaceMutation = keyof typeof MUTATION_PERMISSIONS;

/** Workspace fields only some roles may read. */
export const FIELD_PERMISSIONS = {
  auditLog: ['read', 'AuditLog'],
  apiTokens: ['read', 'ApiToken'],
  webhooks: ['read', 'Webhook'],
  secrets: ['read', 'Secret'],
  webhookEndpoints: ['read', 'WebhookEndpoint'],
} as const satisfies Record<string, readonly [Action, Subject]>;

/** Subscriptions follow the same rules as the reads they stream. */
export const SUBSCRIPTION_PERMISSIONS = {
  workspaceExecutions: ['read', 'Execution'],
  executionEvents: ['read', 'Execution'],
} as const satisfies Record<string, readonly [Action, Subject]>;

export function roleCan(role: Role, action: Action, subject: Subject): boolean {
  return abilityFor(role).can(action, subject);
}
