import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { openStoredSecret, withTenant } from '@weft/db';
import { type Actor, executionInputSizeIssues, type Role, type TenantClient, traceParentOf } from '@weft/engine';
import {
  EVENT_NAME_PATTERN,
  type EventEngine,
  encodeTenantId,
  parseTenantId,
  roleCan,
  sendWorkspaceEvent,
  writeAudit,
} from '@weft/schema';
import type pg from 'pg';

/** A signed delivery older or newer than this is refused (replay window). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How long an accepted signature is remembered past its timestamp: the tolerance, plus a margin for
 * clocks of API processes and the database that disagree a little.
 */
const SEEN_SIGNATURE_SECONDS = WEBHOOK_TOLERANCE_SECONDS + 60;

/** Thrown inside the delivery's transaction to roll it back: this signed request was accepted before. */
class ReplayRefused extends Error {}

/** Starts an execution of a plan version for an inbound webhook (the engine's `startExecution`). */
export type StartWebhookExecution = (
  client: TenantClient,
  workspaceId: string,
  input: { planVersionId: string; input: unknown; actor: Actor; traceParent?: string | null },
) => Promise<{ executionId: string }>;

export interface WebhookRouteOptions {
  pool: pg.Pool;
  secretKey: string;
  startExecution: StartWebhookExecution;
  /** Records and delivers events for `?event=NAME` deliveries (the engine). */
  events: EventEngine;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, as senders compute it. */
export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Records that this signed request was accepted, in the delivery's transaction, or throws
 * ReplayRefused when it was before (the whole transaction, a new delivery row included, rolls
 * back). The same request sent twice at once: the second INSERT waits on the first's key and
 * conflicts once it commits. Expired rows of the webhook go on the way.
 */
async function rememberSignature(
  client: pg.PoolClient,
  seen: { workspaceId: string; webhookId: string; timestamp: string; signature: string },
): Promise<void> {
  await client.query('DELETE FROM webhook_signatures_seen WHERE webhook_id = $1 AND expires_at < now()', [
    seen.webhookId,
  ]);
  const { rowCount } = await client.query(
    `INSERT INTO webhook_signatures_seen (workspace_id, webhook_id, signed_at, signature, expires_at)
     VALUES ($1, $2, $3, $4, to_timestamp($3::bigint + $5::int))
     ON CONFLICT DO NOTHING`,
    [seen.workspaceId, seen.webhookId, seen.timestamp, seen.signature, SEEN_SIGNATURE_SECONDS],
  );
  if (rowCount === 0) throw new ReplayRefused();
}

/** `POST /hooks/:id` (docs/contract.md "Webhooks"). */
export function createWebhookRoute(options: WebhookRouteOptions) {
  const tracer = trace.getTracer('weft-api');
  // One span per delivery: a run it starts is a child of it (one trace from the request to the steps),
  // passed explicitly as the process may keep no async context.
  return (req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> =>
    tracer.startActiveSpan('webhook POST /hooks/:id', { kind: SpanKind.SERVER }, async (span) => {
      try {
        await handleWebhook(req, res, rawId, traceParentOf(span));
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });

  async function handleWebhook(
    req: IncomingMessage,
    res: ServerResponse,
    rawId: string,
    traceParent: string | null,
  ): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, { error: 'Use POST.' });
    const eventName = new URL(req.url ?? '/', 'http://hooks.invalid').searchParams.get('event');
    if (eventName !== null && !EVENT_NAME_PATTERN.test(eventName)) {
      return send(res, 400, { error: 'event must be 1-200 letters, digits or "_.:/-".' });
    }
    let key: { workspaceId: string; id: string };
    try {
      key = parseTenantId(decodeURIComponent(rawId), 'Webhook');
    } catch {
      return send(res, 404, { error: 'No such webhook.' });
    }
    const body = await readBody(req);
    if (body === null) return send(res, 413, { error: `The body is larger than ${MAX_BODY_BYTES} bytes.` });
    const timestamp = header(req, 'weft-timestamp');
    const signature = header(req, 'weft-signature');
    if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
      return send(res, 400, { error: 'Weft-Timestamp must be unix seconds.' });
    }
    if (signature === undefined) return send(res, 401, { error: 'Weft-Signature is missing.' });
    const deliveryId = header(req, 'weft-delivery');
    if (deliveryId !== undefined && !/^[\w.:-]{1,200}$/.test(deliveryId)) {
      return send(res, 400, { error: 'Weft-Delivery must be 1-200 letters, digits or "_.:-".' });
    }

    const { workspaceId, id } = key;
    const webhook = await withTenant(options.pool, { workspaceId }, async (client) => {
      const { rows } = await client.query<{
        plan_id: string;
        secret_ciphertext: Buffer;
        created_by: string | null;
        role: Role | null;
      }>(
        `SELECT w.plan_id, w.secret_ciphertext, w.created_by, m.role FROM webhooks w
           LEFT JOIN memberships m ON m.workspace_id = w.workspace_id AND m.user_id = w.created_by
          WHERE w.id = $1`,
        [id],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const ref = { store: 'webhooks', workspaceId, key: id } as const;
      return { ...row, secret: await openStoredSecret(client, options.secretKey, ref, row.secret_ciphertext) };
    });
    if (webhook === undefined) return send(res, 404, { error: 'No such webhook.' });
    const secret = webhook.secret;
    if (!signatureMatches(signWebhook(secret, timestamp, body), signature)) {
      return send(res, 401, { error: 'The signature does not match.' });
    }
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
      return send(res, 400, { error: `Weft-Timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s away from now.` });
    }
    // A webhook acts for whoever created it, with their role now: once they may no longer run
    // executions here (left, or demoted), neither may their webhook.
    if (webhook.role === null || !roleCan(webhook.role, 'run', 'Execution')) {
      return send(res, 403, { error: "The webhook's creator may no longer run executions in this workspace." });
    }
    const actor: Actor = { userId: webhook.created_by, role: webhook.role };
    let input: unknown;
    try {
      input = body.length === 0 ? null : JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'The body must be JSON.' });
    }
    // The body's size is bounded above; its shape (nesting, values) like any execution input's.
    const tooLarge = executionInputSizeIssues(input)[0];
    if (tooLarge !== undefined) return send(res, 400, { error: `The body: ${tooLarge.message}` });

    if (eventName !== null) {
      return deliverAsEvent(res, {
        workspaceId,
        webhookId: id,
        deliveryId,
        timestamp,
        signature,
        name: eventName,
        data: input,
        actor,
        traceParent,
      });
    }

    const answer = (executionId: string) =>
      send(res, 202, { executionId: encodeTenantId('Execution', workspaceId, executionId) });
    if (deliveryId !== undefined) {
      const first = await withTenant(options.pool, { workspaceId }, async (client) => {
        const { rows } = await client.query<{ execution_id: string | null }>(
          'SELECT execution_id FROM webhook_deliveries WHERE webhook_id = $1 AND delivery_id = $2',
          [id, deliveryId],
        );
        return rows[0];
      });
      if (first?.execution_id) return answer(first.execution_id);
    }
    const start = options.startExecution;

    let executionId: string;
    try {
      executionId = await withTenant(options.pool, { workspaceId }, async (client) => {
        if (deliveryId !== undefined) {
          // A concurrent delivery with the same id waits on this row; the loser answers the winner's run.
          const { rows } = await client.query(
            `INSERT INTO webhook_deliveries (workspace_id, webhook_id, delivery_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING delivery_id`,
            [workspaceId, id, deliveryId],
          );
          if (rows.length === 0) {
            const existing = await client.query<{ execution_id: string | null }>(
              'SELECT execution_id FROM webhook_deliveries WHERE webhook_id = $1 AND delivery_id = $2',
              [id, deliveryId],
            );
            const done = existing.rows[0]?.execution_id;
            if (done) return done;
          }
        }
        await rememberSignature(client, { workspaceId, webhookId: id, timestamp, signature });
        const { rows: versions } = await client.query<{ id: string }>(
          `SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id AND v.number = p.latest_version
          WHERE p.id = $1`,
          [webhook.plan_id],
        );
        const planVersionId = versions[0]?.id;
        if (planVersionId === undefined) throw new Error('webhook plan has no version');
        const started = await start(client, workspaceId, { planVersionId, input, actor, traceParent });
        if (deliveryId !== undefined) {
          await client.query(
            'UPDATE webhook_deliveries SET execution_id = $3 WHERE webhook_id = $1 AND delivery_id = $2',
            [id, deliveryId, started.executionId],
          );
        }
        await writeAudit(client, {
          workspaceId,
          actorId: actor.userId,
          action: 'webhook.deliver',
          targetId: encodeTenantId('Webhook', workspaceId, id),
          after: {
            delivery: deliveryId ?? null,
            execution: encodeTenantId('Execution', workspaceId, started.executionId),
          },
        });
        return started.executionId;
      });
    } catch (error) {
      if (!(error instanceof ReplayRefused)) throw error;
      return send(res, 409, {
        error: 'This signed request was already accepted: sign each delivery with a new Weft-Timestamp.',
      });
    }
    return answer(executionId);
  }

  /**
   * `?event=NAME`: the delivery sends an event to the webhook's workspace (triggers start, waiting
   * steps resume) instead of starting the webhook's plan, with the same signature, replay and
   * Weft-Delivery rules. Answers `202 {"eventId", "resumed", "started"}`.
   */
  async function deliverAsEvent(
    res: ServerResponse,
    d: {
      workspaceId: string;
      webhookId: string;
      deliveryId: string | undefined;
      timestamp: string;
      signature: string;
      name: string;
      data: unknown;
      actor: Actor;
      traceParent: string | null;
    },
  ): Promise<void> {
    const { workspaceId } = d;
    const answer = (sent: { eventId: string; resumed: number; started: string[] }) =>
      send(res, 202, {
        eventId: encodeTenantId('Event', workspaceId, sent.eventId),
        resumed: sent.resumed,
        started: sent.started.map((e) => encodeTenantId('Execution', workspaceId, e)),
      });
    let sent: { eventId: string; resumed: number; started: string[] };
    try {
      sent = await withTenant(options.pool, { workspaceId }, async (client) => {
        if (d.deliveryId !== undefined) {
          const { rows } = await client.query(
            `INSERT INTO webhook_deliveries (workspace_id, webhook_id, delivery_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING delivery_id`,
            [workspaceId, d.webhookId, d.deliveryId],
          );
          if (rows.length === 0) {
            const { rows: first } = await client.query<{ event_id: string | null; resumed: number; started: string[] }>(
              `SELECT w.event_id, e.resumed, e.started FROM webhook_deliveries w JOIN events e ON e.id = w.event_id
                WHERE w.webhook_id = $1 AND w.delivery_id = $2`,
              [d.webhookId, d.deliveryId],
            );
            const done = first[0];
            if (done?.event_id) return { eventId: done.event_id, resumed: done.resumed, started: done.started };
          }
        }
        await rememberSignature(client, {
          workspaceId,
          webhookId: d.webhookId,
          timestamp: d.timestamp,
          signature: d.signature,
        });
        const result = await sendWorkspaceEvent(client, options.events, {
          workspaceId,
          name: d.name,
          data: d.data,
          actor: d.actor,
          source: 'WEBHOOK',
          traceParent: d.traceParent,
        });
        if (d.deliveryId !== undefined) {
          await client.query('UPDATE webhook_deliveries SET event_id = $3 WHERE webhook_id = $1 AND delivery_id = $2', [
            d.webhookId,
            d.deliveryId,
            result.eventId,
          ]);
        }
        await writeAudit(client, {
          workspaceId,
          actorId: d.actor.userId,
          action: 'webhook.deliver',
          targetId: encodeTenantId('Webhook', workspaceId, d.webhookId),
          after: {
            delivery: d.deliveryId ?? null,
            event: encodeTenantId('Event', workspaceId, result.eventId),
            name: d.name,
            started: result.started.map((e) => encodeTenantId('Execution', workspaceId, e)),
          },
        });
        return result;
      });
    } catch (error) {
      if (!(error instanceof ReplayRefused)) throw error;
      return send(res, 409, {
        error: 'This signed request was already accepted: sign each delivery with a new Weft-Timestamp.',
      });
    }
    return answer(sent);
  }
}
