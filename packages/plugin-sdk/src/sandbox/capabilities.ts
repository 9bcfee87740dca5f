/**
 * Capability strings and how grants match them. One implementation for the production host and the
 * test harness, so a plugin that passes its tests is refused or allowed exactly the same way.
 */
import { CAPABILITY_PATTERN } from '../manifest.ts';

const capabilityRe = new RegExp(CAPABILITY_PATTERN);

/**
 * @public True when `value` is a well-formed capability string.
 * @example
 * isCapability('http:api.example.com'); // true
 * isCapability('filesystem'); // false
 */
export function isCapability(value: string): boolean {
  return capabilityRe.test(value);
}

function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    const bare = host.startsWith('*.') ? host.slice(1) : host;
    return bare.endsWith(suffix) && bare.length > suffix.length;
  }
  return pattern === host;
}

/**
 * @public Whether a capability a plugin asks for (`requested`) admits a grant (`granted`): equal, or
 * a wildcard that contains it (`http:*` ⊇ `http:api.example.com`, `secrets:*` ⊇ `secrets:TOKEN`).
 * @example
 * capabilityCovers('http:*.example.com', 'http:api.example.com'); // true
 */
export function capabilityCovers(requested: string, granted: string): boolean {
  if (requested === granted) return true;
  if (requested.startsWith('http:') && granted.startsWith('http:')) {
    return hostCovers(requested.slice(5), granted.slice(5));
  }
  return requested === 'secrets:*' && granted.startsWith('secrets:');
}

/**
 * @public Whether `grants` let a call reach `url` (host, or host:port when the grant names a port).
 * @example
 * httpAllowed(['http:127.0.0.1:8080'], new URL('http://127.0.0.1:8080/x')); // true
 */
export function httpAllowed(grants: readonly string[], url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return grants.some((grant) => {
    if (!grant.startsWith('http:')) return false;
    const target = grant.slice(5);
    const portMatch = /^(.*):(\d+)$/.exec(target);
    if (portMatch) return portMatch[2] === port && hostCovers(portMatch[1] ?? '', host);
    return hostCovers(target, host);
  });
}

/**
 * @public Whether `grants` let a call read the secret `name`.
 * @example
 * secretAllowed(['secrets:SLACK_TOKEN'], 'SLACK_TOKEN'); // true
 */
export function secretAllowed(grants: readonly string[], name: string): boolean {
  return grants.includes(`secrets:${name}`) || grants.includes('secrets:*');
}

/**
 * @public The required capabilities no grant satisfies (an install must grant each).
 * @example
 * missingCapabilities(['kv', 'llm'], ['kv']); // ['llm']
 */
export function missingCapabilities(required: readonly string[], granted: readonly string[]): string[] {
  return required.filter((r) => !granted.some((g) => capabilityCovers(r, g)));
}

/**
 * @public Grants that no requested capability admits (an install may not grant more than asked).
 * @example
 * unrequestedGrants(['kv'], ['kv', 'llm']); // ['llm']
 */
export function unrequestedGrants(requested: readonly string[], granted: readonly string[]): string[] {
  return granted.filter((g) => !requested.some((r) => capabilityCovers(r, g)));
}
