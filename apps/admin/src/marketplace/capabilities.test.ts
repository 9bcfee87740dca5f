import { describe, expect, it } from 'vitest';
import { diffCapabilities, explainCapability, grantsFor } from './capabilities.ts';

describe('capability explanations', () => {
  it('names the host, port, domain or secret a capability allows', () => {
    expect(explainCapability('http:api.example.com')).toBe('Make HTTP requests to api.example.com.');
    expect(explainCapability('http:localhost:8080')).toBe('Make HTTP requests to localhost on port 8080.');
    expect(explainCapability('http:*.example.com')).toBe('Make HTTP requests to any subdomain of example.com.');
    expect(explainCapability('http:*')).toMatch(/any host/);
    expect(explainCapability('secrets:STRIPE_KEY')).toMatch(/^Read the workspace secret STRIPE_KEY /);
    expect(explainCapability('secrets:*')).toMatch(/every one/);
    expect(explainCapability('kv')).toMatch(/key-value/);
    expect(explainCapability('llm')).toMatch(/language model/);
  });

  it('says so when it does not know a capability, rather than guessing', () => {
    expect(explainCapability('filesystem')).toMatch(/does not know/);
  });
});

describe('capability diff between versions', () => {
  it('lists what a version adds and removes, with whether it is required', () => {
    const diff = diffCapabilities(
      { capabilities: ['secrets:PASSPHRASE'], optionalCapabilities: ['kv'] },
      { capabilities: ['secrets:PASSPHRASE', 'http:api.example.com'], optionalCapabilities: ['llm'] },
    );
    expect(diff.added).toEqual([
      { capability: 'http:api.example.com', required: true },
      { capability: 'llm', required: false },
    ]);
    expect(diff.removed).toEqual([{ capability: 'kv', required: false }]);
    expect(diff.nowRequired).toEqual([]);
  });

  it('reports an optional capability that became required', () => {
    const diff = diffCapabilities(
      { capabilities: [], optionalCapabilities: ['kv'] },
      { capabilities: ['kv'], optionalCapabilities: [] },
    );
    expect(diff).toEqual({ added: [], removed: [], nowRequired: ['kv'] });
  });

  it('grants every required capability and only the optional ones chosen that the version asks for', () => {
    const to = { capabilities: ['kv'], optionalCapabilities: ['llm', 'http:*'] };
    expect(grantsFor(to, ['http:*', 'secrets:OLD'])).toEqual(['kv', 'http:*']);
  });
});
