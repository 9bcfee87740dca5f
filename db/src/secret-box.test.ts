import { describe, expect, it } from 'vitest';
import { isLegacySecret, openSecret, sealSecret, storedSecretContext } from './secret-box.ts';

const KEY = 'k'.repeat(40);
const WS = '00000000-0000-4000-8000-000000000001';
const WEBHOOK = storedSecretContext({
  store: 'webhooks',
  workspaceId: WS,
  key: '00000000-0000-4000-8000-000000000002',
});
const PLUGIN = storedSecretContext({ store: 'secrets', workspaceId: WS, key: 'SLACK' });

// Written by the two boxes that existed before this one (both with version byte 1), under KEY.
const LEGACY_WEBHOOK = Buffer.from(
  '0159151d6232bd216f81ef23936d95bf697dcd29da8fc5674a428ec4f6afff9fce718299b7e3eeec70',
  'hex',
);
const LEGACY_PLUGIN = Buffer.from(
  '011e690582d327f13ba7a0d0115d3f1110c2a395a683099439377fcfc0b69817142e0cc0f0c08dc8',
  'hex',
);

describe('secret box (AES-256-GCM under SECRET_KEY)', () => {
  it('opens what it sealed, and only with the same key and row context', () => {
    const sealed = sealSecret(KEY, 'whsec_abc', 'webhook:1');
    expect(sealed.includes(Buffer.from('whsec_abc'))).toBe(false);
    expect(openSecret(KEY, sealed, 'webhook:1')).toBe('whsec_abc');
    expect(() => openSecret('x'.repeat(40), sealed, 'webhook:1')).toThrow();
    expect(() => openSecret(KEY, sealed, 'webhook:2')).toThrow();
  });

  it('detects tampering', () => {
    const sealed = sealSecret(KEY, 'value', 'ctx');
    sealed.writeUInt8((sealed.at(-1) ?? 0) ^ 1, sealed.length - 1);
    expect(() => openSecret(KEY, sealed, 'ctx')).toThrow();
  });

  it('keeps the row contexts stored secrets were sealed with', () => {
    expect(WEBHOOK).toBe(`webhook:${WS}:00000000-0000-4000-8000-000000000002`);
    expect(storedSecretContext({ store: 'webhook_endpoints', workspaceId: WS, key: 'e' })).toBe(
      `webhook-endpoint:${WS}:e`,
    );
    expect(PLUGIN).toBe(`${WS}/SLACK`);
  });

  it('writes one format (version 2) and reads both earlier ones', () => {
    const sealed = sealSecret(KEY, 'v', 'ctx');
    expect(sealed[0]).toBe(2);
    expect(isLegacySecret(sealed)).toBe(false);
    expect(isLegacySecret(LEGACY_WEBHOOK)).toBe(true);
    expect(openSecret(KEY, LEGACY_WEBHOOK, WEBHOOK)).toBe('whsec_legacy');
    expect(openSecret(KEY, LEGACY_PLUGIN, PLUGIN)).toBe('xoxb-legacy');
    // Still bound to key and row: an old ciphertext does not open elsewhere either.
    expect(() => openSecret(KEY, LEGACY_PLUGIN, WEBHOOK)).toThrow();
    expect(() => openSecret('x'.repeat(40), LEGACY_WEBHOOK, WEBHOOK)).toThrow();
  });

  it('refuses an unknown version or a truncated value', () => {
    const sealed = sealSecret(KEY, 'v', 'ctx');
    expect(() => openSecret(KEY, Buffer.concat([Buffer.from([3]), sealed.subarray(1)]), 'ctx')).toThrow();
    expect(() => openSecret(KEY, sealed.subarray(0, 10), 'ctx')).toThrow();
  });
});
