import { randomBytes, randomUUID } from 'node:crypto';
import { sealStoredSecret } from '@weft/db';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer } from '../context.ts';
import { notFound, type UserError } from '../errors.ts';
import { encodeTenantId, parseTenantId } from '../ids.ts';
import { COLUMNS, toRow, type WebhookRow } from '../rows.ts';
import { WebhookRef } from '../types/refs.ts';

interface WebhookShape {
  webhook?: WebhookRow | null;
  userErrors: UserError[];
}
const WebhookPayload = builder.objectRef<WebhookShape>('WebhookPayload').implement({
  fields: (t) => ({
    webhook: t.field({ type: WebhookRef, nullable: true, resolve: (p) => p.webhook ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({ planId: t.id({ required: true }) }),
});
const DeleteWebhookInput = builder.inputType('DeleteWebhookInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookPayload,
    description: 'Creates an inbound webhook for a plan; its secret is in this payload only.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.createWebhook,
      (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
    ),
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<WebhookShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id: planId } = parseTenantId(String(input.planId), 'Plan');
      return inTenant(ctx, workspaceId, async (client) => {
        const plan = await client.query('SELECT 1 FROM plans WHERE id = $1', [planId]);
        if (plan.rowCount === 0) throw notFound();
        const id = randomUUID();
        const secret = `whsec_${randomBytes(32).toString('base64url')}`;
        const sealed = sealStoredSecret(ctx.options.secretKey, { store: 'webhooks', workspaceId, key: id }, secret);
        const { rows } = await client.query(
          `INSERT INTO webhooks (workspace_id, id, plan_id, secret_ciphertext, created_by)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS.webhook}`,
          [workspaceId, id, planId, sealed, viewer.userId],
        );
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'webhook.create',
          targetId: encodeTenantId('Webhook', workspaceId, id),
          after: { plan: encodeTenantId('Plan', workspaceId, planId) },
        });
        const row = rows[0];
        return { webhook: row ? { ...toRow<WebhookRow>(row), secret } : null, userErrors: [] };
      });
    },
  }),
  deleteWebhook: t.field({
    type: WebhookPayload,
    authScopes: canIn(
      MUTATION_PERMISSIONS.deleteWebhook,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'Webhook').workspaceId,
    ),
    args: { input: t.arg({ type: DeleteWebhookInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<WebhookShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id } = parseTenantId(String(input.id), 'Webhook');
      return inTenant(ctx, workspaceId, async (client) => {
        const { rows } = await client.query(`DELETE FROM webhooks WHERE id = $1 RETURNING ${COLUMNS.webhook}`, [id]);
        const row = rows[0];
        if (row === undefined) throw notFound();
        const webhook = toRow<WebhookRow>(row);
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'webhook.delete',
          targetId: encodeTenantId('Webhook', workspaceId, id),
          before: { plan: encodeTenantId('Plan', workspaceId, webhook.planId) },
        });
        return { webhook, userErrors: [] };
      });
    },
  }),
}));
