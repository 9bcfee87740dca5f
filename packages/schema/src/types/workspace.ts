import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { FIELD_PERMISSIONS } from '../abilities.ts';
import { builder } from '../builder.ts';
import { inTenant, type SchemaContext } from '../context.ts';
import { parseTenantId } from '../ids.ts';
import { PAGE, readInTenant, resolveKeysetConnection } from '../keyset-page.ts';
import {
  type ApprovalRow,
  type AuditRow,
  COLUMNS,
  type ExecutionRow,
  type InstallationRow,
  type MembershipRow,
  type PlanRow,
  toRow,
  type WebhookRow,
  type WorkspaceRow,
} from '../rows.ts';
import { auditFilter } from './audit-event.ts';
import { ApprovalStatusEnum, ExecutionModeEnum, ExecutionStatusEnum, ExecutionTriggerEnum } from './execution.ts';
import {
  ApprovalRef,
  AuditEventRef,
  ExecutionRef,
  MembershipRef,
  PlanRef,
  PluginInstallationRef,
  UserRef,
  WebhookRef,
  WorkspaceRef,
} from './refs.ts';
import { ToolRef, toolsOf } from './tool.ts';

export const MembershipConnection = builder.connectionObject({ type: MembershipRef, name: 'MembershipConnection' });
export const PlanConnection = builder.connectionObject({ type: PlanRef, name: 'PlanConnection' });
export const ExecutionConnection = builder.connectionObject({ type: ExecutionRef, name: 'ExecutionConnection' });
export const ApprovalConnection = builder.connectionObject({ type: ApprovalRef, name: 'ApprovalConnection' });
export const AuditEventConnection = builder.connectionObject({ type: AuditEventRef, name: 'AuditEventConnection' });

/** A plan filter's id as a uuid of this workspace; another workspace's plan matches no row (never its runs). */
function planIdIn(workspaceId: string, globalId: string): string {
  const key = parseTenantId(globalId, 'Plan');
  return key.workspaceId === workspaceId ? key.id : '00000000-0000-0000-0000-000000000000';
}

const auditScopes = (w: WorkspaceRow, _args: unknown, ctx: SchemaContext) =>
  ctx.viewer === null
    ? { authenticated: true }
    : { can: { workspaceId: w.id, action: FIELD_PERMISSIONS.auditLog[0], subject: FIELD_PERMISSIONS.auditLog[1] } };

builder.objectFields(WorkspaceRef, (t) => ({
  members: t.connection(
    {
      type: MembershipRef,
      resolve: (w, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, w.id, async (client) => {
            const { rows } = await client.query(
              `SELECT workspace_id, user_id, role FROM memberships WHERE workspace_id = $1
                ORDER BY created_at, user_id LIMIT $2 OFFSET $3`,
              [w.id, limit, offset],
            );
            return rows.map((r) => toRow<MembershipRow>(r));
          }),
        ),
    },
    MembershipConnection,
  ),
  plans: t.connection(
    {
      type: PlanRef,
      resolve: (w, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, w.id, async (client) => {
            const { rows } = await client.query(
              `SELECT ${COLUMNS.plan} FROM plans ORDER BY created_at, id LIMIT $1 OFFSET $2`,
              [limit, offset],
            );
            return rows.map((r) => toRow<PlanRow>(r));
          }),
        ),
    },
    PlanConnection,
  ),
  executions: t.connection(
    {
      type: ExecutionRef,
      args: {
        status: t.arg({ type: ExecutionStatusEnum, required: false }),
        planId: t.arg.id({ required: false, description: "Only this plan's runs." }),
        mode: t.arg({ type: ExecutionModeEnum, required: false }),
        trigger: t.arg({ type: ExecutionTriggerEnum, required: false, description: 'Only runs started this way.' }),
        createdAfter: t.arg({ type: 'DateTime', required: false }),
        createdBefore: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: (w, args, ctx) => {
        // Another workspace's plan id matches nothing here, like an unknown one.
        const planId = args.planId === null || args.planId === undefined ? null : planIdIn(w.id, String(args.planId));
        // Each filter has its index ending in (created_at DESC, id): executions_status_created_idx,
        // _plan_created_idx, _trigger_created_idx, _dry_run_created_idx, else executions_created_idx.
        const filters: [string, unknown][] = [];
        if (args.status != null) filters.push(['status = ?', args.status]);
        if (planId !== null) filters.push(['plan_id = ?::uuid', planId]);
        if (args.mode != null) filters.push(['mode = ?', args.mode]);
        if (args.trigger != null) filters.push(['trigger = ?', args.trigger]);
        if (args.createdAfter != null) filters.push(['created_at >= ?::timestamptz', args.createdAfter]);
        if (args.createdBefore != null) filters.push(['created_at < ?::timestamptz', args.createdBefore]);
        return resolveKeysetConnection(
          args,
          {
            columns: COLUMNS.execution,
            from: 'executions',
            at: 'created_at',
            id: 'id',
            filters,
            toNode: (r) => toRow<ExecutionRow>(r),
          },
          readInTenant(ctx, w.id),
        );
      },
    },
    ExecutionConnection,
  ),
  approvals: t.connection(
    {
      type: ApprovalRef,
      description: 'Pending ones first, then newest first.',
      args: { status: t.arg({ type: ApprovalStatusEnum, required: false }) },
      resolve: (w, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, w.id, async (client) => {
            const { rows } = await client.query(
              `SELECT ${COLUMNS.approval} FROM approvals WHERE ($1::text IS NULL OR status = $1)
                ORDER BY status = 'PENDING' DESC, created_at DESC, id LIMIT $2 OFFSET $3`,
              [args.status ?? null, limit, offset],
            );
            return rows.map((r) => toRow<ApprovalRow>(r));
          }),
        ),
    },
    ApprovalConnection,
  ),
  auditLog: t.connection(
    {
      type: AuditEventRef,
      description: 'Who did what, newest first (admins only); filtered by actor, action and time when given.',
      args: {
        actorId: t.arg.id({ required: false, description: "Only this user's actions." }),
        action: t.arg.string({ required: false, description: 'Only this action, e.g. member.changeRole.' }),
        since: t.arg({ type: 'DateTime', required: false, description: 'At or after this time.' }),
        until: t.arg({ type: 'DateTime', required: false, description: 'Before this time.' }),
      },
      authScopes: auditScopes,
      resolve: (w, args, ctx) => {
        const filter = auditFilter(args);
        // Each filter has its index ending in (at DESC, id): audit_log_actor_at_id_idx,
        // audit_log_action_at_id_idx, else audit_log_at_id_idx (migration 29).
        const filters: [string, unknown][] = [];
        if (filter.actorId !== null) filters.push(['actor_id = ?::uuid', filter.actorId]);
        if (filter.action !== null) filters.push(['action = ?', filter.action]);
        if (filter.since !== null) filters.push(['at >= ?::timestamptz', filter.since]);
        if (filter.until !== null) filters.push(['at < ?::timestamptz', filter.until]);
        return resolveKeysetConnection(
          args,
          { columns: COLUMNS.audit, from: 'audit_log', at: 'at', id: 'id', filters, toNode: (r) => toRow<AuditRow>(r) },
          readInTenant(ctx, w.id),
        );
      },
    },
    AuditEventConnection,
  ),
  auditActors: t.field({
    type: [UserRef],
    description:
      'Everyone the audit log names as an actor (admins only), former members included: what its actorId filter can take.',
    authScopes: auditScopes,
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query<{ actor_id: string }>(
          'SELECT DISTINCT actor_id FROM audit_log WHERE actor_id IS NOT NULL LIMIT 500',
        );
        return rows.map((r) => r.actor_id);
      }),
  }),
  auditActions: t.stringList({
    description: 'The actions the audit log holds, by name (admins only): what its action filter can take.',
    authScopes: auditScopes,
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query<{ action: string }>(
          'SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 200',
        );
        return rows.map((r) => r.action);
      }),
  }),
  webhooks: t.field({
    type: [WebhookRef],
    authScopes: (w, _args, ctx) =>
      ctx.viewer === null
        ? { authenticated: true }
        : { can: { workspaceId: w.id, action: FIELD_PERMISSIONS.webhooks[0], subject: FIELD_PERMISSIONS.webhooks[1] } },
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query(`SELECT ${COLUMNS.webhook} FROM webhooks ORDER BY created_at, id`);
        return rows.map((r) => toRow<WebhookRow>(r));
      }),
  }),
  installedPlugins: t.field({
    type: [PluginInstallationRef],
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query(
          `SELECT ${COLUMNS.installation} FROM plugin_installations ORDER BY created_at, id`,
        );
        return rows.map((r) => toRow<InstallationRow>(r));
      }),
  }),
  tools: t.field({ type: [ToolRef], resolve: (w, _args, ctx) => toolsOf(ctx, w.id) }),
}));

builder.objectFields(UserRef, (t) => ({
  memberships: t.field({
    type: [MembershipRef],
    description: "The user's memberships; other users' are visible only to themselves.",
    resolve: async (u, _args, ctx) => {
      if (ctx.viewer?.userId !== u.id) return [];
      const boundTo = ctx.viewer.workspaceId;
      const { rows } = await inTenant(ctx, boundTo ?? '', (client) =>
        client.query(
          `SELECT workspace_id, user_id, role FROM memberships WHERE user_id = $1
            AND ($2::uuid IS NULL OR workspace_id = $2) ORDER BY created_at`,
          [u.id, boundTo],
        ),
      );
      return rows.map((r) => toRow<MembershipRow>(r));
    },
  }),
}));
