import { deleteSecret, listSecrets, setSecret } from '@weft/plugin-host';
import { FIELD_PERMISSIONS, MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder } from '../builder.ts';
import { inTenant, requireViewer } from '../context.ts';
import { SchemaErrorCode, userError } from '../errors.ts';
import { parseId } from '../ids.ts';
import { SecretPayload, type SecretPayloadShape, SecretRef, SetSecretInput } from '../types/engine-payloads.ts';
import { WorkspaceRef } from '../types/refs.ts';

const DeleteSecretInput = builder.inputType('DeleteSecretInput', {
  fields: (t) => ({ workspaceId: t.id({ required: true }), name: t.string({ required: true }) }),
});

const workspaceOfInput = (args: { input: { workspaceId: string } }) => parseId(args.input.workspaceId, 'Workspace');

// Secret values go in and never come out: payloads carry the name and dates, audit rows the name.
builder.mutationFields((t) => ({
  setSecret: t.field({
    type: SecretPayload,
    description:
      'Creates or replaces a workspace secret (encrypted at rest). The value is never readable back; plugins granted `secrets:<NAME>` read it in the sandbox host.',
    authScopes: canIn(MUTATION_PERMISSIONS.setSecret, workspaceOfInput),
    args: { input: t.arg({ type: SetSecretInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<SecretPayloadShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      return inTenant(ctx, workspaceId, async (client) => {
        const existed = await client.query('SELECT 1 FROM secrets WHERE name = $1', [input.name]);
        const result = await setSecret(client, workspaceId, input.name, input.value, ctx.options.secretKey, {
          userId: viewer.userId,
          ...(input.allowedHosts === undefined ? {} : { allowedHosts: input.allowedHosts }),
        });
        if (result.secret === null || result.userErrors.length > 0) return { userErrors: result.userErrors };
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: (existed.rowCount ?? 0) > 0 ? 'secret.replace' : 'secret.create',
          targetId: null,
          targetLabel: result.secret.name,
          after: { name: result.secret.name, allowedHosts: result.secret.allowedHosts },
        });
        const { name, updatedAt, allowedHosts } = result.secret;
        return { secret: { name, updatedAt, allowedHosts }, userErrors: [] };
      });
    },
  }),
  deleteSecret: t.field({
    type: SecretPayload,
    description: 'Deletes a workspace secret; plugin calls needing it then fail clearly.',
    authScopes: canIn(MUTATION_PERMISSIONS.deleteSecret, workspaceOfInput),
    args: { input: t.arg({ type: DeleteSecretInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<SecretPayloadShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      return inTenant(ctx, workspaceId, async (client) => {
        const { rows } = await client.query<{ updated_at: Date }>('SELECT updated_at FROM secrets WHERE name = $1', [
          input.name,
        ]);
        const row = rows[0];
        if (row === undefined || !(await deleteSecret(client, workspaceId, input.name))) {
          return { userErrors: [userError(SchemaErrorCode.NOT_FOUND, ['name'], `no secret named "${input.name}"`)] };
        }
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'secret.delete',
          targetId: null,
          targetLabel: input.name,
          before: { name: input.name },
        });
        return { secret: { name: input.name, updatedAt: row.updated_at }, userErrors: [] };
      });
    },
  }),
}));

builder.objectFields(WorkspaceRef, (t) => ({
  secrets: t.field({
    type: [SecretRef],
    description: "The workspace's secrets: names and dates only (admins).",
    authScopes: (w, _args, ctx) =>
      ctx.viewer === null
        ? { authenticated: true }
        : { can: { workspaceId: w.id, action: FIELD_PERMISSIONS.secrets[0], subject: FIELD_PERMISSIONS.secrets[1] } },
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) =>
        (await listSecrets(client, w.id)).map((s) => ({
          name: s.name,
          updatedAt: s.updatedAt,
          allowedHosts: s.allowedHosts,
        })),
      ),
  }),
}));
