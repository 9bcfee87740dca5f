import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEgressFailure, EgressDeniedError, egressFetch } from './fetch.ts';
import { createEgressPolicy, EgressConfigError } from './policy.ts';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('admits exactly the addresses, ranges and hosts EGRESS_ALLOW lists', () => {
  const policy = createEgressPolicy('127.0.0.1, 10.1.0.0/16,radicale.internal,*.corp.example,fd00::/8');
  expect(policy.decide('127.0.0.1', '127.0.0.1')).toEqual({ allowed: true });
  expect(policy.decide('127.0.0.2', '127.0.0.2')).toEqual({ allowed: false, kind: 'loopback' });
  expect(policy.decide('::1', 'localhost')).toEqual({ allowed: false, kind: 'loopback' });
  expect(policy.decide('10.1.200.3', 'x')).toEqual({ allowed: true });
  expect(policy.decide('10.2.0.1', 'x')).toEqual({ allowed: false, kind: 'private' });
  expect(policy.decide('192.168.0.5', 'radicale.internal')).toEqual({ allowed: true });
  expect(policy.decide('192.168.0.5', 'a.corp.example')).toEqual({ allowed: true });
  expect(policy.decide('192.168.0.5', 'corp.example')).toEqual({ allowed: false, kind: 'private' });
  expect(policy.decide('fd12::1', 'x')).toEqual({ allowed: true });
  expect(createEgressPolicy().decide('8.8.8.8', 'dns.google')).toEqual({ allowed: true });
  expect(createEgressPolicy().decide('127.0.0.1', 'localhost')).toEqual({ allowed: false, kind: 'loopback' });
});

it('rejects a malformed EGRESS_ALLOW entry by name', () => {
  expect(() => createEgressPolicy('127.0.0.1,10.0.0.0/33')).toThrow(EgressConfigError);
  expect(() => createEgressPolicy('10.0.0.0/33')).toThrow('"10.0.0.0/33"');
  expect(() => createEgressPolicy('http://x')).toThrow('"http://x" is not a host name');
  expect(() => createEgressPolicy('a b')).toThrow(EgressConfigError);
});

it('refuses loopback by literal and by name at connect time, and connects when allowed', async () => {
  const strict = createEgressPolicy();
  for (const url of [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f.1:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://localhost:${port}/`,
  ]) {
    const error = await egressFetch(url, {}, strict).catch((e: unknown) => e);
    expect(error, url).toBeInstanceOf(EgressDeniedError);
    expect(describeEgressFailure(error)).toBe('egress denied');
  }
  const open = createEgressPolicy('127.0.0.1');
  const res = await egressFetch(`http://localhost:${port}/`, {}, open);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('ok');
});

it('reduces failures to coarse reasons', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const error = await egressFetch(`http://127.0.0.1:${closedPort}/`, {}, createEgressPolicy('127.0.0.1')).catch(
    (e: unknown) => e,
  );
  expect(describeEgressFailure(error)).toBe('connection refused');
  expect(describeEgressFailure(new DOMException('x', 'TimeoutError'))).toBe('timeout');
});
