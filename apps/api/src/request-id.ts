import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ids = new WeakMap<IncomingMessage, string>();

/**
 * Gives a request its id: the caller's `X-Request-Id` when it is a plain token, else a new UUID;
 * echoed in the response. Kept with the request object (not in an async context, which would cost
 * every promise of the process a hook) for whatever later needs it.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && /^[\w.-]{1,128}$/.test(header) ? header : randomUUID();
  ids.set(req, id);
  res.setHeader('x-request-id', id);
  return id;
}

/** The id given to `req`; 'none' for a request that has none (a graphql-ws message, say). */
export function requestIdOf(req: IncomingMessage | undefined): string {
  return (req === undefined ? undefined : ids.get(req)) ?? 'none';
}
