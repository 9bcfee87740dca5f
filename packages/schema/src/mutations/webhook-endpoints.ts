import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { sealStoredSecret } from '@weft/db';
import { createEgressPolicy, type EgressPolicy } from '@weft/plugin-host';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer } from '../context.ts';
import { notFound, type UserError, userError } from '../errors.ts';
import { encodeTenantId, parseId, parseTenantId } from '../ids.ts';
import { toRow } from '../rows.ts';
import { WEBHOOK_ENDPOINT_COLUMNS, WebhookEndpointRef, type WebhookEndpointRow } from '../types/webhook-endpoint.ts';

const MAX_URL_LENGTH = 2048;
const MAX_EVENT_TYPES = 50;
// An event type (`step.failed`), a prefix of them (`step.*`), or `*`.
const EVENT_TYPE_PATTERN = /^(\*|[a-z][a-z_]*(\.[a-z][a-z_]*)*(\.\*)?)$/;

interface EndpointShape {
  webhookEndpoint?: WebhookEndpointRow | null;
  userErrors: UserError[];
}
const WebhookEndpointPayload = builder.objectRef<EndpointShape>('WebhookEndpointPayload').implement({
  fields: (t) => ({
    webhookEndpoint: t.field({ type: WebhookEndpointRef, nullable: true, resolve: (p) => p.webhookEndpoint ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    url: t.string({ required: true, description: 'http(s) URL the events are POSTed to.' }),
    eventTypes: t.stringList({
      required: false,
      description: 'Event types to send (exact, or a prefix such as `step.*`); empty or absent: every event.',
    }),
  }),
});
const DeleteWebhookEndpointInput = builder.inputType('DeleteWebhookEndpointInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const PUBLIC_ONLY = createEgressPolicy();

/**
 * The input's problems, each with its field path; none means it may be stored. A URL whose host is
 * a literal address the egress policy refuses is refused here; a name is judged by what it resolves
 * to at each delivery (it may change), where a refusal is logged as "egress denied".
 */
export function checkEndpointInput(
  url: string,
  eventTypes: readonly string[],
  egress: EgressPolicy = PUBLIC_ONLY,
): UserError[] {
  const errors: UserError[] = [];
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (url.length > MAX_URL_LENGTH || parsed === null || !['http:', 'https:'].includes(parsed.protocol)) {
    errors.push(userError('INVALID_URL', ['url'], 'url must be an absolute http or https URL.'));
  } else if (parsed.username !== '' || parsed.password !== '') {
    errors.push(userError('INVALID_URL', ['url'], 'url must not carry credentials; deliveries are signed instead.'));
  } else {
    // WHATWG parsing has already turned numeric forms (2130706433, 0x7f.1) into dotted addresses.
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0 && !egress.decide(host, host).allowed) {
      errors.push(
        userError(
          'EGRESS_DENIED',
          ['url'],
          'url must point at a public address (or one the operator lists in EGRESS_ALLOW).',
        ),
      );
    }
  }
  if (eventTypes.length > MAX_EVENT_TYPES) {
    errors.push(userError('INVALID_INPUT', ['eventTypes'], `at most ${MAX_EVENT_TYPES} event types.`));
  }
  eventTypes.forEach((type, i) => {
    if (!EVENT_TYPE_PATTERN.test(type)) {
      errors.push(
        userError(
          'INVALID_EVENT_TYPE',
          ['eventTypes', String(i)],
          `"${type}" is not an event type such as "step.failed" or a prefix such as "step.*".`,
        ),
      );
    }
  });
  return errors;
}

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointPayload,
    description: "Sends the workspace's execution events, signed, to a URL; the secret is in this payload only.",
    authScopes: canIn(MUTATION_PERMISSIONS.createWebhookEndpoint, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<EndpointShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const eventTypes = [...new Set(input.eventTypes ?? [])];
      const problems = checkEndpointInput(input.url, eventTypes, ctx.options.egress);
      if (problems.length > 0) return { webhookEndpoint: null, userErrors: problems };
      return inTenant(ctx, workspaceId, async (client) => {
        const id = randomUUID();
        const secret = `whsec_${randomBytes(32).toString('base64url')}`;
        const sealed = sealStoredSecret(
          ctx.options.secretKey,
          { store: 'webhook_endpoints', workspaceId, key: id },
          secret,
        );
        const { rows } = await client.query(
          `INSERT INTO webhook_endpoints (workspace_id, id, url, event_types, secret_ciphertext, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${WEBHOOK_ENDPOINT_COLUMNS}`,
          [workspaceId, id, input.url, eventTypes, sealed, viewer.userId],
        );
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'webhook_endpoint.create',
          targetId: encodeTenantId('WebhookEndpoint', workspaceId, id),
          targetLabel: input.url,
          after: { url: input.url, eventTypes },
        });
        const row = rows[0];
        return { webhookEndpoint: row ? { ...toRow<WebhookEndpointRow>(row), secret } : null, userErrors: [] };
      });
    },
  }),
  deleteWebhookEndpoint: t.field({
    type: WebhookEndpointPayload,
    description: 'Stops sending events to an endpoint; its delivery log goes with it.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.deleteWebhookEndpoint,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'WebhookEndpoint').workspaceId,
    ),
    args: { input: t.arg({ type: DeleteWebhookEndpointInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<EndpointShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id } = parseTenantId(String(input.id), 'WebhookEndpoint');
      return inTenant(ctx, workspaceId, async (client) => {
        const { rows } = await client.query(
          `DELETE FROM webhook_endpoints WHERE id = $1 RETURNING ${WEBHOOK_ENDPOINT_COLUMNS}`,
          [id],
        );
        const row = rows[0];
        if (row === undefined) throw notFound();
        const endpoint = toRow<WebhookEndpointRow>(row);
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'webhook_endpoint.delete',
          targetId: encodeTenantId('WebhookEndpoint', workspaceId, id),
          targetLabel: endpoint.url,
          before: { url: endpoint.url, eventTypes: endpoint.eventTypes },
        });
        return { webhookEndpoint: endpoint, userErrors: [] };
      });
    },
  }),
}));
