import { expect, it } from 'vitest';
import {
  capabilityCovers,
  httpAllowed,
  isCapability,
  missingCapabilities,
  secretAllowed,
  unrequestedGrants,
} from './capabilities.ts';

it('accepts the capability forms and nothing else', () => {
  for (const ok of [
    'kv',
    'llm',
    'http:*',
    'http:api.example.com',
    'http:*.example.com',
    'http:127.0.0.1:8080',
    'secrets:*',
    'secrets:SLACK_TOKEN',
  ]) {
    expect(isCapability(ok), ok).toBe(true);
  }
  for (const bad of [
    'fs',
    'http:',
    'http:API.example.com',
    'http:a..b',
    'http:*example.com',
    'secrets:1X',
    'secrets:',
    'kv ',
  ]) {
    expect(isCapability(bad), bad).toBe(false);
  }
});

it('matches hosts exactly, by subdomain wildcard, or by host and port', () => {
  const url = (u: string) => new URL(u);
  expect(httpAllowed(['http:api.example.com'], url('https://api.example.com/x'))).toBe(true);
  expect(httpAllowed(['http:api.example.com'], url('https://evil.com/?api.example.com'))).toBe(false);
  expect(httpAllowed(['http:api.example.com'], url('https://api.example.com.evil.com/'))).toBe(false);
  expect(httpAllowed(['http:*.example.com'], url('https://a.b.example.com/'))).toBe(true);
  expect(httpAllowed(['http:*.example.com'], url('https://example.com/'))).toBe(false);
  expect(httpAllowed(['http:*.example.com'], url('https://badexample.com/'))).toBe(false);
  expect(httpAllowed(['http:127.0.0.1:8080'], url('http://127.0.0.1:8080/'))).toBe(true);
  expect(httpAllowed(['http:127.0.0.1:8080'], url('http://127.0.0.1:8081/'))).toBe(false);
  expect(httpAllowed(['http:localhost'], url('http://127.0.0.1/'))).toBe(false);
  expect(httpAllowed(['kv', 'secrets:*'], url('http://localhost/'))).toBe(false);
});

it('decides what an install must and may grant', () => {
  expect(capabilityCovers('http:*', 'http:api.example.com')).toBe(true);
  expect(capabilityCovers('http:*.example.com', 'http:*.api.example.com')).toBe(true);
  expect(capabilityCovers('http:api.example.com', 'http:*')).toBe(false);
  expect(capabilityCovers('secrets:*', 'secrets:TOKEN')).toBe(true);
  expect(secretAllowed(['secrets:TOKEN'], 'OTHER')).toBe(false);
  expect(missingCapabilities(['kv', 'http:*'], ['http:api.example.com'])).toEqual(['kv']);
  expect(unrequestedGrants(['kv', 'http:*.example.com'], ['kv', 'http:example.org', 'llm'])).toEqual([
    'http:example.org',
    'llm',
  ]);
});
