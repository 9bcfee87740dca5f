import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { FIELD_PERMISSIONS } from '../abilities.ts';
import { builder } from '../builder.ts';
import { inTenant } from '../context.ts';
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
} from '../rows.ts';
import { ApprovalStatusEnum, ExecutionStatusEnum } from './execution.ts';
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

export const PAGE = { defaultSize: 20, maxSize: 100 } as const;

export const MembershipConnection = builder.connectionObject({ type: MembershipRef, name: 'MembershipConnection' });
export const PlanConnection = builder.connectionObject({ type: PlanRef, name: 'PlanConnection' });
export const ExecutionConnection = builder.connectionObject({ type: ExecutionRef, name: 'ExecutionConnection' });
export const ApprovalConnection = builder.connectionObject({ type: ApprovalRef, name: 'ApprovalConnection' });
export const AuditEventConnection = builder.connectionObject({ type: AuditEventRef, name: 'AuditEventConnection' });

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
      args: { status: t.arg({ type: ExecutionStatusEnum, required: false }) },
      resolve: (w, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, w.id, async (client) => {
            // Two statements, not `($1 IS NULL OR status = $1)`: a prepared plan of that form can
            // use neither index (executions_status_created_idx, executions_created_idx) once generic.
            const { rows } =
              args.status == null
                ? await client.query(
                    `SELECT ${COLUMNS.execution} FROM executions ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`,
                    [limit, offset],
                  )
                : await client.query(
                    `SELECT ${COLUMNS.execution} FROM executions WHERE status = $1
                      ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
                    [args.status, limit, offset],
                  );
            return rows.map((r) => toRow<ExecutionRow>(r));
          }),
        ),
    },
    ExecutionConnection,
  ),
  approvals: t.connection(
    {
      type: ApprovalRef,
      args: { status: t.arg({ type: ApprovalStatusEnum, required: false }) },
      resolve: (w, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, w.id, async (client) => {
            const { rows } = await client.query(
              `SELECT ${COLUMNS.approval} FROM approvals WHERE ($1::text IS NULL OR status = $1)
                ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
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
      authScopes: (w, _args, ctx) =>
        ctx.viewer === null
          ? { authenticated: true }
          : {
              can: { workspaceId: w.id, action: FIELD_PERMISSIONS.auditLog[0], subject: FIELD_PERMISSIONS.auditLog[1] },
            },
      resolve: (w, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, w.id, async (client) => {
            const { rows } = await client.query(
              `SELECT ${COLUMNS.audit} FROM audit_log ORDER BY at DESC, id LIMIT $1 OFFSET $2`,
              [limit, offset],
            );
            return rows.map((r) => toRow<AuditRow>(r));
          }),
        ),
    },
    AuditEventConnection,
  ),
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
