import { withTenant } from '@weft/db';
import { builder } from '../builder.ts';
import { roleOf } from '../context.ts';
import type { WorkspaceRow } from '../rows.ts';
import { UserRef, WorkspaceRef } from './refs.ts';

builder.queryFields((t) => ({
  viewer: t.field({
    type: UserRef,
    nullable: true,
    description: 'The signed-in user, or null without a valid token.',
    resolve: (_root, _args, ctx) => ctx.viewer?.userId ?? null,
  }),
  workspace: t.field({
    type: WorkspaceRef,
    nullable: true,
    description: 'A workspace the viewer belongs to, by slug; null otherwise.',
    authScopes: { authenticated: true },
    args: { slug: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const viewer = ctx.viewer;
      if (viewer === null) return null;
      // Without a workspace in scope, RLS shows only workspaces the user is a member of.
      const row = await withTenant(ctx.options.pools.app, { userId: viewer.userId }, async (client) => {
        const { rows } = await client.query<WorkspaceRow>(
          'SELECT id, slug::text AS slug, name FROM workspaces WHERE slug = $1',
          [args.slug],
        );
        return rows[0] ?? null;
      });
      if (row === null || (await roleOf(ctx, row.id)) === null) return null;
      return row;
    },
  }),
}));
