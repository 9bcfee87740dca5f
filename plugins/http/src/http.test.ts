import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness, type TestHarness } from '@weft/plugin-sdk/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

let harness: TestHarness;
let server: Server;
let base: string;
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      if (req.url === '/limited') {
        res.writeHead(429, { 'retry-after': '7' }).end('slow down');
      } else if (req.url === '/missing') {
        res.writeHead(404).end('no');
      } else if (req.url === '/elsewhere') {
        res.writeHead(307, { location: `${base.replace('127.0.0.1', 'localhost')}/items` }).end();
      } else if (req.url === '/hop') {
        res.writeHead(302, { location: 'http://localhost.invalid/steal' }).end();
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true, echo: body }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  harness = await createTestHarness({
    dir: join(dirname(fileURLToPath(import.meta.url)), '..'),
    grants: ['http:127.0.0.1', 'secrets:API_TOKEN'],
    secrets: { API_TOKEN: 't0ken' },
    // The test server is on loopback, which egress refuses unless the operator lists it.
    egressAllow: '127.0.0.1',
  });
});
afterAll(async () => {
  await harness?.close();
  await new Promise((resolve) => server?.close(resolve));
});

it('sends JSON with a bearer token from a granted secret and parses the JSON answer', async () => {
  const output = await harness.runTool('http.request', {
    url: `${base}/items`,
    method: 'POST',
    body: { a: 1 },
    bearerSecret: 'API_TOKEN',
  });
  expect(output).toMatchObject({ status: 200, json: { ok: true, echo: '{"a":1}' } });
  expect(seen.at(-1)).toEqual({ method: 'POST', url: '/items', auth: 'Bearer t0ken', body: '{"a":1}' });
});

it('maps 429 to a retry-after error and 4xx to a non-retriable one', async () => {
  await expect(harness.runTool('http.request', { url: `${base}/limited` })).rejects.toMatchObject({
    toolErrorName: 'RetryAfterError',
    retryAfterMs: 7000,
  });
  await expect(harness.runTool('http.request', { url: `${base}/missing` })).rejects.toMatchObject({
    toolErrorName: 'NonRetriableError',
  });
  await expect(harness.runTool('http.request', { url: `${base}/missing`, failOnError: false })).resolves.toMatchObject({
    status: 404,
    body: 'no',
  });
});

it('checks every redirect hop against the grants', async () => {
  await expect(harness.runTool('http.request', { url: `${base}/hop` })).rejects.toMatchObject({
    toolErrorName: 'CapabilityDeniedError',
    message: expect.stringContaining('host localhost.invalid was not granted'),
  });
});

it('refuses loopback by default even when the host is granted', async () => {
  const strict = await createTestHarness({
    dir: join(dirname(fileURLToPath(import.meta.url)), '..'),
    grants: ['http:*'],
    egressAllow: [],
  });
  try {
    const before = seen.length;
    await expect(strict.runTool('http.request', { url: `${base}/items` })).rejects.toMatchObject({
      toolErrorName: 'CapabilityDeniedError',
      message: expect.stringContaining('egress to 127.0.0.1 denied'),
    });
    expect(seen.length).toBe(before);
  } finally {
    await strict.close();
  }
});

it('sends a secret only to the hosts allowed for it', async () => {
  const bound = await createTestHarness({
    dir: join(dirname(fileURLToPath(import.meta.url)), '..'),
    grants: ['http:*', 'secrets:API_TOKEN'],
    secrets: { API_TOKEN: { value: 't0ken', allowedHosts: ['127.0.0.1'] } },
    egressAllow: '127.0.0.1',
  });
  try {
    const port = new URL(base).port;
    await expect(
      bound.runTool('http.request', { url: `http://localhost:${port}/items`, bearerSecret: 'API_TOKEN' }),
    ).rejects.toMatchObject({
      message: expect.stringContaining(`secret "API_TOKEN" may not be sent to localhost:${port}`),
    });
    const before = seen.length;
    // Allowed for the first hop; the redirect to another host would carry it along: refused there.
    await expect(
      bound.runTool('http.request', { url: `${base}/elsewhere`, bearerSecret: 'API_TOKEN' }),
    ).rejects.toMatchObject({ toolErrorName: 'CapabilityDeniedError', message: expect.stringContaining('secret') });
    expect(seen.slice(before).map((r) => r.url)).toEqual(['/elsewhere']);
    // Without the secret, the same request goes through.
    await expect(bound.runTool('http.request', { url: `${base}/items` })).resolves.toMatchObject({ status: 200 });
  } finally {
    await bound.close();
  }
});
