import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a scrape of `/metrics` is refused, or null when it may read the metrics. */
export type MetricsRefusal = { status: 401 | 403; message: string } | null;

const digest = (text: string) => createHash('sha256').update(text).digest();

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * `/metrics` is for the operator: it shows deployment-wide activity (all workspaces' run counts,
 * queue depth), which no tenant should read. With `METRICS_TOKEN` set, a scrape must send it as a
 * bearer token. Without one, only a client on this host may scrape, and not through a proxy on
 * this host (a forwarding header means the request came from elsewhere).
 */
export function metricsAccess(token: string | undefined): (req: IncomingMessage) => MetricsRefusal {
  const expected = token === undefined ? undefined : digest(token);
  return (req) => {
    if (expected !== undefined) {
      const header = req.headers.authorization ?? '';
      const given = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
      // Compared as fixed-length digests in constant time: neither length nor prefix leaks.
      if (given !== undefined && timingSafeEqual(digest(given), expected)) return null;
      return { status: 401, message: 'metrics need Authorization: Bearer <METRICS_TOKEN>' };
    }
    const proxied = req.headers.forwarded !== undefined || req.headers['x-forwarded-for'] !== undefined;
    if (isLoopback(req.socket.remoteAddress) && !proxied) return null;
    return { status: 403, message: 'metrics are served to this host only; set METRICS_TOKEN to scrape from elsewhere' };
  };
}
