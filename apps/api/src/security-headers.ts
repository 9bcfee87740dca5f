import type { ServerResponse } from 'node:http';

/**
 * Content-Security-Policy of the admin console: its own scripts only (Vite emits no inline
 * script), no plugins, no framing, and the API reached on the same origin (HTTP and graphql-ws).
 * Styles may be inline: React sets `style` props through the DOM, and some are in the markup.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Everything else the API answers is data (JSON, Prometheus text): it should never render. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * GraphiQL (development only, served by graphql-yoga on GET /graphql from a browser) comes inline in
 * its page (@graphql-yoga/render-graphiql: script, styles, fonts and editor workers in the HTML, so
 * it works offline), runs that inline script and starts its editor workers from blob: URLs. It gets
 * its own looser policy, never in production, and still reaches no other origin.
 */
const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  'worker-src blob:',
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Sets the browser-facing security headers for a response to `path` before any route writes it:
 * no MIME sniffing, no framing (clickjacking of the console), no referrer (URLs may carry ids),
 * and the CSP for what the path serves.
 */
export function setSecurityHeaders(res: ServerResponse, path: string, production: boolean): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  let csp = API_CSP;
  if (path === '/admin' || (path.startsWith('/admin/') && path !== '/admin/graphql')) csp = CONSOLE_CSP;
  else if (path === '/graphql' && !production) csp = GRAPHIQL_CSP;
  res.setHeader('content-security-policy', csp);
}
