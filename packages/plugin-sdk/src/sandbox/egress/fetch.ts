/**
 * One HTTP request whose destination is checked against the egress policy at connect time: the
 * socket connects only to addresses the policy allowed, as returned by the same lookup that was
 * checked (so a DNS answer that changes between a check and the connect — rebinding — cannot slip
 * through). Redirects are never followed here: a 3xx comes back as the answer, and callers that
 * follow it call again for the next hop, which is checked the same way.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { EgressPolicy } from './policy.ts';

/** @public A destination the egress policy refuses. */
export class EgressDeniedError extends Error {
  override name = 'EgressDeniedError';
  readonly code = 'EGRESS_DENIED';
  constructor(readonly host: string) {
    super(`egress to ${host} denied: it is not a public address (operators may allow it with EGRESS_ALLOW)`);
  }
}

/** @public The request an {@link egressFetch} sends. */
export interface EgressRequest {
  method?: string;
  headers?: Iterable<readonly [string, string]> | Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

function checkedLookup(policy: EgressPolicy, host: string): LookupFunction {
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, '', 0);
      // Only addresses that passed the check are handed to the socket.
      const allowed = addresses.filter((a) => policy.decide(a.address, host).allowed);
      const first = allowed[0];
      if (first === undefined) return callback(new EgressDeniedError(host), '', 0);
      if (options.all === true) return callback(null, allowed);
      return callback(null, first.address, first.family);
    });
  };
  // node:net's LookupFunction type spells the overloads of dns.lookup; this one implements both.
  return lookup as unknown as LookupFunction;
}

function headerObject(headers: EgressRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  const pairs = Symbol.iterator in headers ? [...headers] : Object.entries(headers);
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * @public Sends one request (no redirects followed) to `url` if the policy allows where it
 * connects; throws {@link EgressDeniedError} otherwise. Answers a WHATWG `Response`.
 * @example
 * const res = await egressFetch('https://api.example.com/x', { method: 'GET' }, createEgressPolicy());
 */
export function egressFetch(url: string | URL, init: EgressRequest, policy: EgressPolicy): Promise<Response> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new TypeError(`only http and https URLs are allowed (got ${target.protocol})`));
  }
  // WHATWG URL parsing already turned numeric forms (2130706433, 0x7f.1, 017700000001) into dotted
  // IPv4 and bracketed IPv6 into its canonical form; literals never reach the lookup, so check them here.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 && !policy.decide(host, host).allowed) return Promise.reject(new EgressDeniedError(host));
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = headerObject(init.headers);
  const body = init.body === undefined || method === 'GET' || method === 'HEAD' ? undefined : init.body;
  if (body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const options: RequestOptions = {
    method,
    headers,
    lookup: checkedLookup(policy, host),
    // A fresh connection per request: a pooled socket would skip the connect-time check.
    agent: false,
    ...(init.signal === undefined ? {} : { signal: init.signal }),
  };
  return new Promise<Response>((resolve, reject) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, options);
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        try {
          responseHeaders.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
        } catch {
          // A header the Fetch API cannot represent is dropped, as fetch itself would refuse it.
        }
      }
      if (status < 200 || status > 599) {
        res.destroy();
        reject(new Error(`invalid HTTP status ${status}`));
        return;
      }
      const empty = NULL_BODY.has(status) || method === 'HEAD';
      if (empty) res.resume();
      const stream = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
    });
    req.end(body);
  });
}

/** @public Coarse reasons for a failed outbound request, safe to show a tenant. */
export type EgressFailure = 'egress denied' | 'timeout' | 'connection refused' | 'host not found' | 'connection failed';

/**
 * @public Reduces a request failure to a coarse reason: enough to fix a webhook endpoint, too little
 * to map a network (no addresses, ports, TLS or socket details).
 * @example
 * describeEgressFailure(new EgressDeniedError('127.0.0.1')); // 'egress denied'
 */
export function describeEgressFailure(error: unknown): EgressFailure {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof EgressDeniedError) return 'egress denied';
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ETIMEDOUT' || code === 'ECONNRESET_TIMEOUT') return 'timeout';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  }
  return 'connection failed';
}
