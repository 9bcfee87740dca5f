/**
 * The `weft.webhook_delivery` job: one attempt of one outbound delivery. The database queues it
 * (migration 6's trigger on `execution_events`); this sends the event, signed like inbound
 * webhooks, and logs the attempt. A failed attempt schedules the next job itself with exponential
 * backoff, so the schedule is ours (and in the log as `next_attempt_at`), not graphile-worker's.
 */
import { openStoredSecret, type Pools, withTenant } from '@weft/db';
import { describeEgressFailure, type EgressPolicy, egressFetch } from '@weft/plugin-host';
import { encodeGlobalId, encodeTenantId } from '@weft/schema';
import type { Logger } from 'pino';
import type { RuntimeMetrics } from '../ops-metrics.ts';
import { signWebhook } from '../webhook-route.ts';

export const WEBHOOK_DELIVERY_TASK = 'weft.webhook_delivery';

export interface DeliveryOptions {
  pools: Pick<Pools, 'app'>;
  secretKey: string;
  /** Where endpoints may be: checked on the resolved address of each attempt (EGRESS_ALLOW). */
  egress: EgressPolicy;
  logger: Logger;
  metrics?: RuntimeMetrics;
  /** Attempts before a delivery is FAILED. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time (capped at an hour). */
  retryBaseMs: number;
  /** How long one request may take. */
  timeoutMs: number;
}

interface Claimed {
  id: string;
  url: string;
  secret_ciphertext: Buffer;
  endpoint_id: string;
  execution_id: string | null;
  event_seq: number | null;
  event_type: string;
  payload: { seq?: number; type?: string; stepId?: string | null; at?: string; data?: unknown };
  attempts: number;
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Delay before attempt `next` (2, 3, …): base × 2^(next − 2), capped at an hour. */
export function deliveryRetryDelay(retryBaseMs: number, next: number): number {
  return Math.min(retryBaseMs * 2 ** Math.max(0, next - 2), 3_600_000);
}

/** The JSON body receivers get: the event, with the ids the GraphQL API uses. */
export function deliveryBody(workspaceId: string, delivery: Claimed): string {
  return JSON.stringify({
    deliveryId: delivery.id,
    type: delivery.event_type,
    workspaceId: encodeGlobalId('Workspace', workspaceId),
    executionId:
      delivery.execution_id === null ? null : encodeTenantId('Execution', workspaceId, delivery.execution_id),
    seq: delivery.event_seq,
    stepId: delivery.payload.stepId ?? null,
    at: delivery.payload.at ?? null,
    data: delivery.payload.data ?? null,
  });
}

async function send(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: Pick<DeliveryOptions, 'egress' | 'timeoutMs'>,
): Promise<Outcome & { detail?: string }> {
  try {
    // egressFetch follows no redirects: one is an answer, and the signed body is never re-sent elsewhere.
    const res = await egressFetch(
      url,
      { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) },
      options.egress,
    );
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (error) {
    // The tenant sees a coarse reason only (addresses, ports and socket errors would map the
    // network behind us); the operator's log keeps the full error.
    return {
      ok: false,
      status: null,
      error: describeEgressFailure(error),
      detail:
        error instanceof Error
          ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`
          : String(error),
    };
  }
}

export function createDeliveryTask(options: DeliveryOptions): (payload: unknown) => Promise<void> {
  const { pools, logger } = options;
  return async (payload: unknown) => {
    const job = payload as { w: string; d: string };
    // Claim: count the attempt before sending, so a crash mid-request still counts it.
    const claimed = await withTenant(pools.app, { workspaceId: job.w }, async (client) => {
      const { rows } = await client.query<Claimed & { status: string }>(
        `SELECT d.id, d.status, d.attempts, d.execution_id, d.event_seq, d.event_type, d.payload, d.endpoint_id,
                e.url, e.secret_ciphertext
           FROM webhook_endpoint_deliveries d
           JOIN webhook_endpoints e ON e.workspace_id = d.workspace_id AND e.id = d.endpoint_id
          WHERE d.id = $1 FOR UPDATE OF d SKIP LOCKED`,
        [job.d],
      );
      const row = rows[0];
      if (row === undefined || row.status !== 'PENDING') return null;
      await client.query(
        `UPDATE webhook_endpoint_deliveries SET attempts = attempts + 1, next_attempt_at = NULL, updated_at = now()
          WHERE id = $1`,
        [job.d],
      );
      const ref = { store: 'webhook_endpoints', workspaceId: job.w, key: row.endpoint_id } as const;
      const secret = await openStoredSecret(client, options.secretKey, ref, row.secret_ciphertext);
      return { ...row, attempts: row.attempts + 1, secret };
    });
    if (claimed === null) return;

    const body = deliveryBody(job.w, claimed);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const secret = claimed.secret;
    const outcome = await send(
      claimed.url,
      {
        'content-type': 'application/json',
        'user-agent': 'Weft-Webhooks/1',
        'weft-timestamp': timestamp,
        'weft-signature': signWebhook(secret, timestamp, body),
        'weft-delivery': claimed.id,
        'weft-event': claimed.event_type,
      },
      body,
      options,
    );

    const final = outcome.ok || claimed.attempts >= options.maxAttempts;
    const status = outcome.ok ? 'DELIVERED' : final ? 'FAILED' : 'PENDING';
    const retryAt = final ? null : new Date(Date.now() + deliveryRetryDelay(options.retryBaseMs, claimed.attempts + 1));
    await withTenant(pools.app, { workspaceId: job.w }, async (client) => {
      await client.query(
        `UPDATE webhook_endpoint_deliveries
            SET status = $2, response_status = $3, last_error = $4, next_attempt_at = $5, updated_at = now(),
                delivered_at = CASE WHEN $2 = 'DELIVERED' THEN now() ELSE delivered_at END
          WHERE id = $1`,
        [claimed.id, status, outcome.status, outcome.ok ? null : outcome.error.slice(0, 1000), retryAt],
      );
      if (retryAt !== null) {
        await client.query('SELECT weft_enqueue($1, $2::json, $3)', [
          WEBHOOK_DELIVERY_TASK,
          JSON.stringify(job),
          retryAt,
        ]);
      }
    });
    options.metrics?.webhookDeliveries.inc({ outcome: outcome.ok ? 'delivered' : final ? 'failed' : 'retrying' });
    const fields = { deliveryId: claimed.id, endpointId: claimed.endpoint_id, attempt: claimed.attempts, status };
    if (outcome.ok) logger.debug({ ...fields, responseStatus: outcome.status }, 'webhook delivered');
    else {
      const detail = 'detail' in outcome ? outcome.detail : undefined;
      logger.warn(
        { ...fields, responseStatus: outcome.status, error: outcome.error, detail },
        'webhook delivery failed',
      );
    }
  };
}
