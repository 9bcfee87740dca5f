import { withTenant } from '@weft/db';
import type { Role } from '@weft/engine';
import { builder, NODE_TYPES, RoleEnum } from '../builder.ts';
import { roleOf } from '../context.ts';
import { notFound, unauthenticated } from '../errors.ts';
import { isUuid, tenantKey } from '../ids.ts';
import { loadTenantRows } from '../loaders.ts';
import {
  type ApprovalRow,
  type AuditRow,
  COLUMNS,
  type ExecutionRow,
  type InstallationRow,
  type MembershipRow,
  type PlanRow,
  type PlanVersionRow,
  type PluginRow,
  type PluginVersionRow,
  toRow,
  type UserRow,
  type WebhookRow,
  type WorkspaceRow,
} from '../rows.ts';

for (const name of [
  'User',
  'Workspace',
  'Plan',
  'PlanVersion',
  'Execution',
  'Approval',
  'Webhook',
  'AuditEvent',
  'Plugin',
  'PluginVersion',
  'PluginInstallation',
]) {
  NODE_TYPES.add(name);
}

function tenantId<T extends { workspaceId: string; id: string }>() {
  return { resolve: (row: T) => tenantKey(row.workspaceId, row.id) };
}

export const UserRef = builder.loadableNode('User', {
  id: { resolve: (u: UserRow) => u.id },
  load: async (ids: string[], ctx) => {
    if (ctx.viewer === null) return ids.map(() => unauthenticated());
    const valid = ids.filter(isUuid);
    const { rows } = await ctx.options.pools.app.query<UserRow>(
      'SELECT id, email::text AS email, name FROM users WHERE id = ANY($1::uuid[])',
      [valid],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? notFound());
  },
  fields: (t) => ({
    email: t.exposeString('email'),
    name: t.exposeString('name', { nullable: true }),
  }),
});

export const WorkspaceRef = builder.loadableNode('Workspace', {
  id: { resolve: (w: WorkspaceRow) => w.id },
  load: async (ids: string[], ctx) =>
    Promise.all(
      ids.map(async (id) => {
        if (ctx.viewer === null) return unauthenticated();
        if (!isUuid(id) || (await roleOf(ctx, id)) === null) return notFound();
        return withTenant(ctx.options.pools.app, { workspaceId: id, userId: ctx.viewer.userId }, async (client) => {
          const { rows } = await client.query<WorkspaceRow>(
            'SELECT id, slug::text AS slug, name FROM workspaces WHERE id = $1',
            [id],
          );
          return rows[0] ?? notFound();
        });
      }),
    ),
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    viewerRole: t.field({
      type: RoleEnum,
      resolve: async (w, _args, ctx): Promise<Role> => {
        const role = await roleOf(ctx, w.id);
        if (role === null) throw notFound();
        return role;
      },
    }),
  }),
});

export const MembershipRef = builder.objectRef<MembershipRow>('Membership').implement({
  fields: (t) => ({
    role: t.field({ type: RoleEnum, resolve: (m) => m.role }),
    user: t.field({ type: UserRef, resolve: (m) => m.userId }),
    workspace: t.field({ type: WorkspaceRef, resolve: (m) => m.workspaceId }),
  }),
});

export const PlanRef = builder.loadableNode('Plan', {
  id: tenantId<PlanRow>(),
  load: (keys: string[], ctx) => loadTenantRows<PlanRow>(ctx, keys, { table: 'plans', columns: COLUMNS.plan }),
  fields: (t) => ({
    name: t.exposeString('name'),
    workspace: t.field({ type: WorkspaceRef, resolve: (p) => p.workspaceId }),
  }),
});

export const PlanVersionRef = builder.loadableNode('PlanVersion', {
  id: tenantId<PlanVersionRow>(),
  load: (keys: string[], ctx) =>
    loadTenantRows<PlanVersionRow>(ctx, keys, { table: 'plan_versions', columns: COLUMNS.planVersion }),
  fields: (t) => ({
    number: t.exposeInt('number'),
    parentNumber: t.exposeInt('parentNumber', { nullable: true }),
    spec: t.field({ type: 'JSON', resolve: (v) => v.spec }),
    contentHash: t.exposeString('contentHash'),
    message: t.exposeString('message', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.createdAt }),
    createdBy: t.field({ type: UserRef, nullable: true, resolve: (v) => v.createdBy }),
    plan: t.field({ type: PlanRef, resolve: (v) => tenantKey(v.workspaceId, v.planId) }),
  }),
});

export const ExecutionRef = builder.loadableNode('Execution', {
  id: tenantId<ExecutionRow>(),
  load: (keys: string[], ctx) =>
    loadTenantRows<ExecutionRow>(ctx, keys, { table: 'executions', columns: COLUMNS.execution }),
});

export const ApprovalRef = builder.loadableNode('Approval', {
  id: tenantId<ApprovalRow>(),
  load: (keys: string[], ctx) =>
    loadTenantRows<ApprovalRow>(ctx, keys, { table: 'approvals', columns: COLUMNS.approval }),
});

export const WebhookRef = builder.loadableNode('Webhook', {
  id: tenantId<WebhookRow>(),
  load: (keys: string[], ctx) =>
    loadTenantRows<WebhookRow>(ctx, keys, {
      table: 'webhooks',
      columns: COLUMNS.webhook,
      permission: ['read', 'Webhook'],
    }),
  fields: (t) => ({
    plan: t.field({ type: PlanRef, resolve: (w) => tenantKey(w.workspaceId, w.planId) }),
    secret: t.string({
      nullable: true,
      description: 'The signing secret: only in the payload of createWebhook, never again.',
      resolve: (w) => w.secret ?? null,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (w) => w.createdAt }),
  }),
});

export const AuditEventRef = builder.loadableNode('AuditEvent', {
  id: tenantId<AuditRow>(),
  load: (keys: string[], ctx) =>
    loadTenantRows<AuditRow>(ctx, keys, {
      table: 'audit_log',
      columns: COLUMNS.audit,
      permission: ['read', 'AuditLog'],
    }),
  fields: (t) => ({
    actor: t.field({ type: UserRef, nullable: true, resolve: (a) => a.actorId }),
    action: t.exposeString('action'),
    targetId: t.id({ nullable: true, resolve: (a) => a.targetId }),
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
    data: t.field({ type: 'JSON', nullable: true, resolve: (a) => ({ before: a.before, after: a.after }) }),
  }),
});

async function loadGlobal<T extends { id: string }>(
  ctx: {
    options: {
      pools: { app: { query: (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }> } };
    };
  },
  ids: string[],
  sql: string,
): Promise<(T | Error)[]> {
  const { rows } = await ctx.options.pools.app.query(sql, [ids.filter(isUuid)]);
  const byId = new Map(rows.map((r) => toRow<T>(r)).map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? notFound());
}

export const PluginRef = builder.loadableNode('Plugin', {
  id: { resolve: (p: PluginRow) => p.id },
  load: (ids: string[], ctx) =>
    loadGlobal<PluginRow>(ctx, ids, 'SELECT id, name, publisher, description FROM plugins WHERE id = ANY($1::uuid[])'),
  fields: (t) => ({
    name: t.exposeString('name'),
    publisher: t.exposeString('publisher'),
    description: t.exposeString('description', { nullable: true }),
  }),
});

export const PluginVersionRef = builder.loadableNode('PluginVersion', {
  id: { resolve: (p: PluginVersionRow) => p.id },
  load: (ids: string[], ctx) =>
    loadGlobal<PluginVersionRow>(
      ctx,
      ids,
      `SELECT ${COLUMNS.pluginVersion} FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id
        WHERE v.id = ANY($1::uuid[])`,
    ),
  fields: (t) => ({
    plugin: t.field({ type: PluginRef, resolve: (v) => v.pluginId }),
    version: t.exposeString('version'),
    capabilities: t.exposeStringList('capabilities', { description: 'Capabilities an installation must grant.' }),
    optionalCapabilities: t.exposeStringList('optionalCapabilities', {
      description: 'Capabilities an installation may withhold (calls needing them then fail clearly).',
    }),
    integrity: t.exposeString('integrity'),
  }),
});

export const PluginInstallationRef = builder.loadableNode('PluginInstallation', {
  id: tenantId<InstallationRow>(),
  load: (keys: string[], ctx) =>
    loadTenantRows<InstallationRow>(ctx, keys, { table: 'plugin_installations', columns: COLUMNS.installation }),
  fields: (t) => ({
    pluginVersion: t.field({ type: PluginVersionRef, resolve: (i) => i.pluginVersionId }),
    grantedCapabilities: t.exposeStringList('grantedCapabilities'),
    enabled: t.exposeBoolean('enabled'),
  }),
});
