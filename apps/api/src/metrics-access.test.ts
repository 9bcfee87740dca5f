import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { metricsAccess } from './metrics-access.ts';

/** Just what the check reads of a request: its peer address and headers. */
const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('metricsAccess', () => {
  it('without a token, serves this host only, and not through a proxy on it', () => {
    const refuse = metricsAccess(undefined);
    expect(refuse(request('127.0.0.1'))).toBeNull();
    expect(refuse(request('::1'))).toBeNull();
    expect(refuse(request('::ffff:127.0.0.1'))).toBeNull();
    expect(refuse(request('10.0.0.7'))).toMatchObject({ status: 403 });
    expect(refuse(request('::ffff:192.168.1.20'))).toMatchObject({ status: 403 });
    expect(refuse(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }))).toMatchObject({ status: 403 });
    expect(refuse(request('127.0.0.1', { forwarded: 'for=203.0.113.9' }))).toMatchObject({ status: 403 });
  });

  it('with a token, needs exactly that bearer token, from anywhere', () => {
    const refuse = metricsAccess('0123456789abcdef-token');
    expect(refuse(request('10.0.0.7', { authorization: 'Bearer 0123456789abcdef-token' }))).toBeNull();
    expect(refuse(request('127.0.0.1'))).toMatchObject({ status: 401 });
    expect(refuse(request('10.0.0.7', { authorization: 'Bearer 0123456789abcdef-toke' }))).toMatchObject({
      status: 401,
    });
    expect(refuse(request('10.0.0.7', { authorization: '0123456789abcdef-token' }))).toMatchObject({ status: 401 });
  });
});
