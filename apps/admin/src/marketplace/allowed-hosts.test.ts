import { describe, expect, it } from 'vitest';
import { describeAllowedHosts, parseAllowedHosts } from './allowed-hosts.ts';

describe('a secret’s allowed hosts', () => {
  it('reads commas or spaces, and an empty field as "the grants’ hosts" (null)', () => {
    expect(parseAllowedHosts(' api.example.com,*.example.com  localhost:8080 ')).toEqual([
      'api.example.com',
      '*.example.com',
      'localhost:8080',
    ]);
    expect(parseAllowedHosts('  , ')).toBeNull();
  });

  it('says what null and an empty list mean', () => {
    expect(describeAllowedHosts(null)).toMatch(/http: grants/);
    expect(describeAllowedHosts([])).toBe('no host');
    expect(describeAllowedHosts(['a.example.com', 'b.example.com'])).toBe('a.example.com, b.example.com');
  });
});
