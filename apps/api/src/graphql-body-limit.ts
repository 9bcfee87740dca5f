import type { IncomingMessage } from 'node:http';

/** The largest GraphQL request body accepted over HTTP. */
export const MAX_GRAPHQL_BODY_BYTES = 10 * 1024 * 1024;

export interface BodyRefusal {
  status: 411 | 413 | 400;
  code: 'LENGTH_REQUIRED' | 'REQUEST_ENTITY_TOO_LARGE' | 'BAD_REQUEST';
  message: string;
}

/**
 * Bounds a GraphQL request's body by its declared length, before anything reads it. Node's HTTP
 * parser delivers exactly `Content-Length` bytes as the body, so a declared length within the
 * limit bounds the body: no counting stream is needed. graphql-yoga's own limit pipes every body
 * through one, which cost more per request than any Weft plugin on a 2-core machine (see
 * docs/perf/api.md); it is turned off in favour of this. A body of
 * unknown length (chunked) is refused with 411, as HTTP allows: every GraphQL client sends a
 * length.
 */
export function refuseGraphqlBody(req: IncomingMessage): BodyRefusal | null {
  if (req.method !== 'POST') return null;
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    return req.headers['transfer-encoding'] === undefined
      ? null
      : { status: 411, code: 'LENGTH_REQUIRED', message: 'A GraphQL request needs a Content-Length.' };
  }
  if (!/^\d+$/.test(declared)) return { status: 400, code: 'BAD_REQUEST', message: 'Content-Length is invalid.' };
  if (Number(declared) > MAX_GRAPHQL_BODY_BYTES) {
    return {
      status: 413,
      code: 'REQUEST_ENTITY_TOO_LARGE',
      message: `The request body is larger than ${MAX_GRAPHQL_BODY_BYTES} bytes.`,
    };
  }
  return null;
}
