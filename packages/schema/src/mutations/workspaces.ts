import { randomUUID } from 'node:crypto';
import type { Role } from '@weft/engine';
import type pg from 'pg';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { EMAIL_PATTERN } from '../auth/email.ts';
import { revokeWorkspaceTokens } from '../auth/tokens.ts';
import { canIn } from '../authorize.ts';
import { builder, RoleEnum, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer, type SchemaContext } from '../context.ts';
import { forbidden, notFound, SchemaErrorCode, type UserError, userError } from '../errors.ts';
import { encodeGlobalId, parseId } from '../ids.ts';
import type { MembershipRow, WorkspaceRow } from '../rows.ts';
import { MembershipRef, WorkspaceRef } from '../types/refs.ts';

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

interface WorkspaceShape {
  workspace?: WorkspaceRow | null;
  userErrors: UserError[];
}
const WorkspacePayload = builder.objectRef<WorkspaceShape>('WorkspacePayload').implement({
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, nullable: true, resolve: (p) => p.workspace ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

interface MembershipShape {
  membership?: MembershipRow | null;
  userErrors: UserError[];
}
const MembershipPayload = builder.objectRef<MembershipShape>('MembershipPayload').implement({
  fields: (t) => ({
    membership: t.field({ type: MembershipRef, nullable: true, resolve: (p) => p.membership ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const CreateWorkspaceInput = builder.inputType('CreateWorkspaceInput', {
  fields: (t) => ({ slug: t.string({ required: true }), name: t.string({ required: true }) }),
});
const AddMemberInput = builder.inputType('AddMemberInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    email: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});
const ChangeMemberRoleInput = builder.inputType('ChangeMemberRoleInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    userId: t.id({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});
const RemoveMemberInput = builder.inputType('RemoveMemberInput', {
  fields: (t) => ({ workspaceId: t.id({ required: true }), userId: t.id({ required: true }) }),
});

const inWorkspace = (args: { input: { workspaceId: string } }) => parseId(args.input.workspaceId, 'Workspace');

/** The membership to change, locked with every admin row so two demotions cannot race past the last admin. */
async function lockMembership(client: pg.PoolClient, workspaceId: string, userId: string) {
  const { rows } = await client.query<{ user_id: string; role: Role }>(
    `SELECT user_id, role FROM memberships WHERE workspace_id = $1 AND (user_id = $2 OR role = 'ADMIN')
      ORDER BY user_id FOR UPDATE`,
    [workspaceId, userId],
  );
  const target = rows.find((r) => r.user_id === userId);
  if (target === undefined) throw notFound();
  const admins = rows.filter((r) => r.role === 'ADMIN').length;
  return { role: target.role, isLastAdmin: target.role === 'ADMIN' && admins === 1 };
}

/** The member's email, kept in the audit row so the log names them after they leave. */
async function emailOf(client: pg.PoolClient, userId: string): Promise<string | null> {
  const { rows } = await client.query<{ email: string }>('SELECT email::text AS email FROM users WHERE id = $1', [
    userId,
  ]);
  return rows[0]?.email ?? null;
}

const LAST_ADMIN = userError(
  'LAST_ADMIN',
  ['userId'],
  'A workspace keeps at least one admin: make another member admin first.',
);

interface LockedMember {
  workspaceId: string;
  userId: string;
  role: Role;
  isLastAdmin: boolean;
}

/**
 * Changes an existing membership: locks it (lockMembership), lets `change` refuse or apply, then
 * audits before/after and forgets the cached role so the next check in this request reads it anew.
 * `change` answers the membership's role to return and the audit's `after` (none: removed).
 */
async function changeMembership(
  ctx: SchemaContext,
  input: { workspaceId: string | number; userId: string | number },
  action: 'member.changeRole' | 'member.remove',
  change: (client: pg.PoolClient, member: LockedMember) => Promise<UserError | { role: Role; after?: { role: Role } }>,
): Promise<MembershipShape> {
  const viewer = requireViewer(ctx);
  const workspaceId = parseId(String(input.workspaceId), 'Workspace');
  const userId = parseId(String(input.userId), 'User');
  return inTenant(ctx, workspaceId, async (client) => {
    const current = await lockMembership(client, workspaceId, userId);
    const changed = await change(client, { workspaceId, userId, ...current });
    if ('code' in changed) return { userErrors: [changed] };
    await writeAudit(client, {
      workspaceId,
      actorId: viewer.userId,
      action,
      targetId: encodeGlobalId('User', userId),
      targetLabel: await emailOf(client, userId),
      before: { role: current.role },
      after: changed.after,
    });
    ctx.roles.delete(workspaceId);
    return { membership: { workspaceId, userId, role: changed.role }, userErrors: [] };
  });
}

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    type: WorkspacePayload,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<WorkspaceShape> => {
      const viewer = requireViewer(ctx);
      // An API token acts in its one workspace; making new ones takes a signed-in session.
      if (viewer.kind === 'api') throw forbidden();
      const slug = input.slug.trim();
      const name = input.name.trim();
      const errors: UserError[] = [];
      if (!SLUG.test(slug)) {
        errors.push(
          userError(
            'INVALID_INPUT',
            ['slug'],
            'Use 2-63 lowercase letters, digits and "-", starting with a letter or digit.',
          ),
        );
      }
      if (name.length < 1 || name.length > 200)
        errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['name'], 'Name the workspace (1 to 200 characters).'));
      if (errors.length > 0) return { userErrors: errors };
      const id = randomUUID();
      try {
        return await inTenant(ctx, id, async (client) => {
          const { rows } = await client.query<WorkspaceRow>(
            'INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3) RETURNING id, slug::text AS slug, name',
            [id, slug, name],
          );
          await client.query("INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, 'ADMIN')", [
            id,
            viewer.userId,
          ]);
          await writeAudit(client, {
            workspaceId: id,
            actorId: viewer.userId,
            action: 'workspace.create',
            targetId: encodeGlobalId('Workspace', id),
            after: { slug, name },
          });
          ctx.roles.set(id, Promise.resolve('ADMIN'));
          return { workspace: rows[0] ?? null, userErrors: [] };
        });
      } catch (error) {
        // Other workspaces are invisible under RLS, so a taken slug shows up as the unique violation.
        if ((error as { code?: string }).code === '23505') {
          return { userErrors: [userError(SchemaErrorCode.TAKEN, ['slug'], `The slug "${slug}" is taken.`)] };
        }
        throw error;
      }
    },
  }),
  addMember: t.field({
    type: MembershipPayload,
    authScopes: canIn(MUTATION_PERMISSIONS.addMember, inWorkspace),
    args: { input: t.arg({ type: AddMemberInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<MembershipShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      return inTenant(ctx, workspaceId, async (client) => {
        const email = input.email.trim();
        if (!EMAIL_PATTERN.test(email)) {
          return { userErrors: [userError(SchemaErrorCode.INVALID_INPUT, ['email'], 'Enter a valid email address.')] };
        }
        // Known or not, the address becomes a member: one without an account yet gets an invited,
        // password-less account that signing up with this email completes. So the answer is the same
        // either way and says nothing about who has an account.
        const { rows: users } = await client.query<{ id: string }>('SELECT weft_auth.invite_user($1) AS id', [email]);
        const user = users[0];
        if (user === undefined) throw new Error('invite_user returned nothing');
        const { rows } = await client.query<{ workspace_id: string; user_id: string; role: Role }>(
          `INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (workspace_id, user_id) DO NOTHING RETURNING workspace_id, user_id, role`,
          [workspaceId, user.id, input.role],
        );
        const row = rows[0];
        if (row === undefined)
          return { userErrors: [userError(SchemaErrorCode.TAKEN, ['email'], 'This user is a member already.')] };
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'member.add',
          targetId: encodeGlobalId('User', user.id),
          targetLabel: email,
          after: { role: input.role },
        });
        return { membership: { workspaceId, userId: user.id, role: row.role }, userErrors: [] };
      });
    },
  }),
  changeMemberRole: t.field({
    type: MembershipPayload,
    authScopes: canIn(MUTATION_PERMISSIONS.changeMemberRole, inWorkspace),
    args: { input: t.arg({ type: ChangeMemberRoleInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      changeMembership(ctx, input, 'member.changeRole', async (client, member) => {
        if (member.isLastAdmin && input.role !== 'ADMIN') return LAST_ADMIN;
        await client.query('UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2', [
          member.workspaceId,
          member.userId,
          input.role,
        ]);
        return { role: input.role, after: { role: input.role } };
      }),
  }),
  removeMember: t.field({
    type: MembershipPayload,
    authScopes: canIn(MUTATION_PERMISSIONS.removeMember, inWorkspace),
    args: { input: t.arg({ type: RemoveMemberInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      changeMembership(ctx, input, 'member.remove', async (client, member) => {
        if (member.isLastAdmin) return LAST_ADMIN;
        await client.query('DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2', [
          member.workspaceId,
          member.userId,
        ]);
        // The removed user's API tokens for this workspace stop working with the membership.
        await revokeWorkspaceTokens(client, member.userId, member.workspaceId);
        return { role: member.role };
      }),
  }),
}));
