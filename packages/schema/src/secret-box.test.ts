import { describe, expect, it } from 'vitest';
import { open, seal } from './secret-box.ts';

const KEY = 'k'.repeat(40);

describe('secret box (AES-256-GCM under SECRET_KEY)', () => {
  it('opens what it sealed, and only with the same key and row context', () => {
    const sealed = seal(KEY, 'whsec_abc', 'webhook:1');
    expect(sealed.includes(Buffer.from('whsec_abc'))).toBe(false);
    expect(open(KEY, sealed, 'webhook:1')).toBe('whsec_abc');
    expect(() => open('x'.repeat(40), sealed, 'webhook:1')).toThrow();
    expect(() => open(KEY, sealed, 'webhook:2')).toThrow();
  });

  it('detects tampering', () => {
    const sealed = seal(KEY, 'value', 'ctx');
    sealed.writeUInt8((sealed.at(-1) ?? 0) ^ 1, sealed.length - 1);
    expect(() => open(KEY, sealed, 'ctx')).toThrow();
  });
});
