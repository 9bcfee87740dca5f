import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import { inTenant, type SchemaContext } from '../context.ts';
import { SchemaErrorCode } from '../errors.ts';
import { decodeGlobalId, isUuid, parseId, parseTenantKey, tenantKey } from '../ids.ts';
import type { AuditRow } from '../rows.ts';
import { AuditEventRef, ExecutionRef, UserRef } from './refs.ts';

// What an audit row needs to read as a sentence: what kind of thing its target is, its name as it
// was, the user or run it points at, and whether it is still there.

/** Tenant rows an audit target may be, by type, with the table that holds them. */
const TARGET_TABLES: Record<string, string> = {
  Execution: 'executions',
  Plan: 'plans',
  Approval: 'approvals',
  Webhook: 'webhooks',
  WebhookEndpoint: 'webhook_endpoints',
  Schedule: 'schedules',
  EventTrigger: 'event_triggers',
};

interface Target {
  typename: string;
  /** The row's own id (a uuid); null when the stored id could not be read. */
  id: string | null;
}

function targetOf(a: AuditRow): Target | null {
  if (a.targetId === null) return null;
  try {
    const decoded = decodeGlobalId(a.targetId);
    if (decoded.typename in TARGET_TABLES) {
      const key = parseTenantKey(decoded.id);
      return { typename: decoded.typename, id: key.workspaceId === a.workspaceId ? key.id : null };
    }
    return { typename: decoded.typename, id: isUuid(decoded.id) ? decoded.id : null };
  } catch {
    return null;
  }
}

/** Whether the target still exists in the row's workspace (a user: is still a member); null: cannot tell. */
async function targetExists(ctx: SchemaContext, a: AuditRow, target: Target): Promise<boolean | null> {
  if (target.id === null) return null;
  const table = TARGET_TABLES[target.typename];
  const sql =
    table !== undefined
      ? `SELECT 1 FROM ${table} WHERE id = $1`
      : target.typename === 'User'
        ? 'SELECT 1 FROM memberships WHERE user_id = $1'
        : target.typename === 'ApiToken'
          ? `SELECT 1 FROM auth_tokens WHERE id = $1 AND workspace_id = weft_current_workspace() AND revoked_at IS NULL
              AND (expires_at IS NULL OR expires_at > now())`
          : target.typename === 'Workspace'
            ? 'SELECT 1 FROM workspaces WHERE id = $1'
            : null;
  if (sql === null) return null;
  const { rowCount } = await inTenant(ctx, a.workspaceId, (client) => client.query(sql, [target.id]));
  return (rowCount ?? 0) > 0;
}

/** The run an audit row is about: its target, or the run of the approval it decided; null when gone. */
async function executionOf(ctx: SchemaContext, a: AuditRow): Promise<string | null> {
  const target = targetOf(a);
  if (target?.id == null || (target.typename !== 'Execution' && target.typename !== 'Approval')) return null;
  const sql =
    target.typename === 'Execution'
      ? 'SELECT id FROM executions WHERE id = $1'
      : 'SELECT execution_id AS id FROM approvals WHERE id = $1';
  const { rows } = await inTenant(ctx, a.workspaceId, (client) => client.query<{ id: string }>(sql, [target.id]));
  const id = rows[0]?.id;
  return id === undefined ? null : tenantKey(a.workspaceId, id);
}

builder.objectFields(AuditEventRef, (t) => ({
  targetType: t.string({
    nullable: true,
    description: 'The type of the target (User, Execution, Plan, ApiToken…); null when the row has none.',
    resolve: (a) => targetOf(a)?.typename ?? null,
  }),
  targetLabel: t.string({
    nullable: true,
    description:
      "The target's name when the row was written (a member's email, a plan's or token's name, a step's id); " +
      'null on rows written before it was kept.',
    resolve: (a) => a.targetLabel,
  }),
  targetUser: t.field({
    type: UserRef,
    nullable: true,
    description: 'The user the row is about (member changes).',
    resolve: (a) => {
      const target = targetOf(a);
      return target?.typename === 'User' ? target.id : null;
    },
  }),
  targetExecution: t.field({
    type: ExecutionRef,
    nullable: true,
    description:
      'The run the row is about (run controls; for approval.decide, the run of the approval); null when gone.',
    resolve: (a, _args, ctx) => executionOf(ctx, a),
  }),
  targetGone: t.boolean({
    nullable: true,
    description:
      'True when the target no longer exists in this workspace (a user: is no longer a member; a token: revoked or ' +
      'expired); null when the row has no target or its kind is not tracked.',
    resolve: async (a, _args, ctx) => {
      const target = targetOf(a);
      if (target === null) return null;
      const exists = await targetExists(ctx, a, target);
      return exists === null ? null : !exists;
    },
  }),
}));

/** The audit log's filters, checked before any query: an unbounded or inverted one is INVALID_INPUT. */
export interface AuditFilter {
  actorId: string | null;
  action: string | null;
  since: Date | null;
  until: Date | null;
}

const ACTION = /^[A-Za-z_]+(\.[A-Za-z_]+)*$/;

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: SchemaErrorCode.INVALID_INPUT } });
}

export function auditFilter(args: {
  actorId?: string | number | null;
  action?: string | null;
  since?: Date | null;
  until?: Date | null;
}): AuditFilter {
  const action = args.action ?? null;
  if (action !== null && (action.length > 100 || !ACTION.test(action))) {
    throw invalid('action is a dotted name such as member.add (at most 100 characters).');
  }
  const since = args.since ?? null;
  const until = args.until ?? null;
  if (since !== null && until !== null && since.getTime() > until.getTime()) {
    throw invalid('since must not be after until.');
  }
  // A malformed actor id is NOT_FOUND like any other id argument.
  const actorId = args.actorId == null ? null : parseId(String(args.actorId), 'User');
  return { actorId, action, since, until };
}
