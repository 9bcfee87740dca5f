import { builder } from '../builder.ts';
import { inTenant, type SchemaContext } from '../context.ts';
import { MembershipRef } from './refs.ts';

// Members invited by an address that has no account yet: addMember made them a password-less user,
// and signUp with that address completes the account (weft_auth.create_user), keeping the membership.

/** One lookup per workspace per request, however many memberships a page lists. */
const invitedByRequest = new WeakMap<SchemaContext, Map<string, Promise<Set<string>>>>();

function invitedIn(ctx: SchemaContext, workspaceId: string): Promise<Set<string>> {
  let byWorkspace = invitedByRequest.get(ctx);
  if (byWorkspace === undefined) {
    byWorkspace = new Map();
    invitedByRequest.set(ctx, byWorkspace);
  }
  let invited = byWorkspace.get(workspaceId);
  if (invited === undefined) {
    invited = inTenant(ctx, workspaceId, async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT weft_auth.invited_members($1) AS id', [workspaceId]);
      return new Set(rows.map((r) => r.id));
    });
    byWorkspace.set(workspaceId, invited);
  }
  return invited;
}

builder.objectFields(MembershipRef, (t) => ({
  invited: t.boolean({
    description:
      'Invited by email and not signed up yet: the membership waits for signUp with that address, which keeps it.',
    resolve: async (m, _args, ctx) => (await invitedIn(ctx, m.workspaceId)).has(m.userId),
  }),
}));
