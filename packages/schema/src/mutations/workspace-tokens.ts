import { FIELD_PERMISSIONS, MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { listWorkspaceApiTokens, revokeWorkspaceApiToken } from '../auth/tokens.ts';
import { canIn } from '../authorize.ts';
import { builder } from '../builder.ts';
import { inTenant } from '../context.ts';
import { notFound } from '../errors.ts';
import { decodeGlobalId, encodeGlobalId, isUuid, parseId } from '../ids.ts';
import { ApiTokenRef } from '../types/api-token.ts';
import { WorkspaceRef } from '../types/refs.ts';
import { RevokePayload, requireSession } from './accounts.ts';

// A workspace's API tokens as its admins see them: every member's, with the owner, and revocable.
// Members see and revoke only their own (User.tokens, revokeToken).

const RevokeWorkspaceApiTokenInput = builder.inputType('RevokeWorkspaceApiTokenInput', {
  fields: (t) => ({ workspaceId: t.id({ required: true }), tokenId: t.id({ required: true }) }),
});

builder.objectFields(WorkspaceRef, (t) => ({
  apiTokens: t.field({
    type: [ApiTokenRef],
    description: "Every member's live API tokens for this workspace, newest first (admins only), never their secrets.",
    authScopes: (w, _args, ctx) =>
      ctx.viewer === null
        ? { authenticated: true }
        : {
            can: { workspaceId: w.id, action: FIELD_PERMISSIONS.apiTokens[0], subject: FIELD_PERMISSIONS.apiTokens[1] },
          },
    resolve: (w, _args, ctx) => inTenant(ctx, w.id, (client) => listWorkspaceApiTokens(client, w.id)),
  }),
}));

builder.mutationFields((t) => ({
  revokeWorkspaceApiToken: t.field({
    type: RevokePayload,
    description:
      "Revokes any member's API token for this workspace (admins only; takes a session). Audited as apiToken.revoke " +
      "with the token's name and owner.",
    args: { input: t.arg({ type: RevokeWorkspaceApiTokenInput, required: true }) },
    authScopes: canIn(MUTATION_PERMISSIONS.revokeWorkspaceApiToken, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireSession(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const decoded = decodeGlobalId(String(input.tokenId));
      if (decoded.typename !== 'ApiToken' || !isUuid(decoded.id)) throw notFound();
      return inTenant(ctx, workspaceId, async (client) => {
        const revoked = await revokeWorkspaceApiToken(client, workspaceId, decoded.id);
        if (revoked === null) throw notFound();
        const { rows } = await client.query<{ email: string }>('SELECT email::text AS email FROM users WHERE id = $1', [
          revoked.userId,
        ]);
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'apiToken.revoke',
          targetId: encodeGlobalId('ApiToken', revoked.id),
          targetLabel: revoked.name,
          after: { owner: encodeGlobalId('User', revoked.userId), ownerEmail: rows[0]?.email ?? null },
        });
        return { revoked: true, userErrors: [] };
      });
    },
  }),
}));
