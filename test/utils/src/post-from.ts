import { request } from 'node:http';

/**
 * A signed-out GraphQL POST from a chosen local address. Every address of 127.0.0.0/8 reaches a
 * server listening on 127.0.0.1, so one test can be several clients (an attacker at 127.0.0.2, the
 * account's owner at 127.0.0.1), each with the per-address budgets of its own.
 */
export function postGraphqlFrom<T>(
  apiUrl: string,
  localAddress: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const url = new URL(`${apiUrl}/graphql`);
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        // One connection per request: no idle keep-alive socket outlives the test's server.
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
