import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { FIELD_PERMISSIONS } from '../abilities.ts';
import { builder, NODE_TYPES } from '../builder.ts';
import { inTenant } from '../context.ts';
import { tenantKey } from '../ids.ts';
import { PAGE } from '../keyset-page.ts';
import { loadTenantRows } from '../loaders.ts';
import { toRow } from '../rows.ts';
import { ExecutionRef, WorkspaceRef } from './refs.ts';

NODE_TYPES.add('WebhookEndpoint');

/** An outbound webhook: where a workspace's execution events are sent, signed. */
export interface WebhookEndpointRow {
  workspaceId: string;
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  createdAt: Date;
  /** Only right after creation: the secret is shown once. */
  secret?: string | null;
}

export interface WebhookDeliveryRow {
  workspaceId: string;
  id: string;
  executionId: string | null;
  eventSeq: number | null;
  eventType: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  nextAttemptAt: Date | null;
}

export const WEBHOOK_ENDPOINT_COLUMNS = 'workspace_id, id, url, event_types, enabled, created_at';
const DELIVERY_COLUMNS = `workspace_id, id, execution_id, event_seq, event_type, status, attempts, response_status,
  last_error, created_at, delivered_at, next_attempt_at`;

export const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: ['PENDING', 'DELIVERED', 'FAILED'] as const,
});

export const WebhookDeliveryRef = builder.objectRef<WebhookDeliveryRow>('WebhookDelivery').implement({
  description: 'One event sent (or being sent) to an endpoint: the `Weft-Delivery` id and its log.',
  fields: (t) => ({
    id: t.id({ description: 'The `Weft-Delivery` header of every attempt.', resolve: (d) => d.id }),
    eventType: t.exposeString('eventType'),
    eventSeq: t.int({ nullable: true, resolve: (d) => d.eventSeq }),
    execution: t.field({
      type: ExecutionRef,
      nullable: true,
      resolve: (d) => (d.executionId === null ? null : tenantKey(d.workspaceId, d.executionId)),
    }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (d) => d.status as 'PENDING' }),
    attempts: t.exposeInt('attempts'),
    responseStatus: t.int({ nullable: true, resolve: (d) => d.responseStatus }),
    lastError: t.string({ nullable: true, resolve: (d) => d.lastError }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.deliveredAt }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.nextAttemptAt }),
  }),
});

const WebhookDeliveryConnection = builder.connectionObject({
  type: WebhookDeliveryRef,
  name: 'WebhookDeliveryConnection',
});

export const WebhookEndpointRef = builder.loadableNode('WebhookEndpoint', {
  id: { resolve: (e: WebhookEndpointRow) => tenantKey(e.workspaceId, e.id) },
  load: (keys: string[], ctx) =>
    loadTenantRows<WebhookEndpointRow>(ctx, keys, {
      table: 'webhook_endpoints',
      columns: WEBHOOK_ENDPOINT_COLUMNS,
      permission: FIELD_PERMISSIONS.webhookEndpoints,
    }),
  fields: (t) => ({
    url: t.exposeString('url'),
    eventTypes: t.exposeStringList('eventTypes', {
      description: 'Event types sent here (exact, or a prefix such as `step.*`); empty means every event.',
    }),
    enabled: t.exposeBoolean('enabled'),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    secret: t.string({
      nullable: true,
      description: 'The signing secret: only in the payload of createWebhookEndpoint, never again.',
      resolve: (e) => e.secret ?? null,
    }),
    deliveries: t.connection(
      {
        type: WebhookDeliveryRef,
        description: 'Newest first.',
        resolve: (e, args, ctx) =>
          resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
            inTenant(ctx, e.workspaceId, async (client) => {
              const { rows } = await client.query(
                `SELECT ${DELIVERY_COLUMNS} FROM webhook_endpoint_deliveries WHERE endpoint_id = $1
                  ORDER BY created_at DESC, event_seq DESC NULLS LAST, id LIMIT $2 OFFSET $3`,
                [e.id, limit, offset],
              );
              return rows.map((r) => toRow<WebhookDeliveryRow>(r));
            }),
          ),
      },
      WebhookDeliveryConnection,
    ),
  }),
});

builder.objectFields(WorkspaceRef, (t) => ({
  webhookEndpoints: t.field({
    type: [WebhookEndpointRef],
    description: 'Outbound webhooks (admins only).',
    authScopes: (w, _args, ctx) =>
      ctx.viewer === null
        ? { authenticated: true }
        : {
            can: {
              workspaceId: w.id,
              action: FIELD_PERMISSIONS.webhookEndpoints[0],
              subject: FIELD_PERMISSIONS.webhookEndpoints[1],
            },
          },
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query(
          `SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id`,
        );
        return rows.map((r) => toRow<WebhookEndpointRow>(r));
      }),
  }),
}));
