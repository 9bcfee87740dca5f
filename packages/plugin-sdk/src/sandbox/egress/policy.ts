/**
 * The egress policy: which destinations tenant-controlled requests (plugin `fetch`, outbound
 * webhooks) may connect to. Public addresses are always allowed; everything else only when the
 * operator lists it in EGRESS_ALLOW (`127.0.0.1,10.1.0.0/16,radicale.internal`).
 */
import { BlockList, isIP, isIPv6 } from 'node:net';
import { type AddressKind, classifyAddress, embeddedIpv4 } from './address.ts';

/** @public A decision on one resolved address. */
export type EgressDecision = { allowed: true } | { allowed: false; kind: AddressKind };

/** @public What the egress check consults; build it with {@link createEgressPolicy}. */
export interface EgressPolicy {
  /** The operator's list, as given (for messages and for handing to other processes). */
  readonly allow: readonly string[];
  /** May a connection for `hostname` go to `address` (the address it resolved to, or the literal)? */
  decide(address: string, hostname: string): EgressDecision;
}

/** @public A malformed EGRESS_ALLOW entry; the message names it. */
export class EgressConfigError extends Error {
  override name = 'EgressConfigError';
}

const HOSTNAME = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/;

function stripBrackets(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/**
 * @public Parses an EGRESS_ALLOW value (comma-separated hosts, `*.domain`s, IPs or CIDRs).
 * Throws {@link EgressConfigError} naming the first entry that is none of these.
 * @example
 * const policy = createEgressPolicy('127.0.0.1,10.1.0.0/16');
 * policy.decide('127.0.0.1', 'localhost'); // { allowed: true }
 * policy.decide('127.0.0.2', 'localhost'); // { allowed: false, kind: 'loopback' }
 */
export function createEgressPolicy(allow: string | readonly string[] = []): EgressPolicy {
  const entries = (typeof allow === 'string' ? allow.split(',') : [...allow]).map((e) => e.trim()).filter(Boolean);
  const addresses = new BlockList();
  const hosts: string[] = [];
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const ip = stripBrackets(slash < 0 ? entry : entry.slice(0, slash));
    const family = isIP(ip);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        addresses.addAddress(ip, type);
        continue;
      }
      const prefixText = entry.slice(slash + 1);
      const prefix = Number(prefixText);
      if (/^\d{1,3}$/.test(prefixText) && prefix <= (family === 4 ? 32 : 128)) {
        addresses.addSubnet(ip, prefix, type);
        continue;
      }
      throw new EgressConfigError(`"${entry}" has a bad prefix length (0–${family === 4 ? 32 : 128})`);
    }
    const host = entry.toLowerCase().replace(/\.$/, '');
    if (slash >= 0 || !HOSTNAME.test(host)) {
      throw new EgressConfigError(`"${entry}" is not a host name, *.domain, IP address or CIDR`);
    }
    hosts.push(host);
  }
  const listed = (address: string): boolean => {
    if (isIPv6(address)) {
      const v4 = embeddedIpv4(address);
      if (v4 !== undefined && addresses.check(v4, 'ipv4')) return true;
      return addresses.check(address.replace(/%.*$/, ''), 'ipv6');
    }
    return addresses.check(address, 'ipv4');
  };
  return {
    allow: entries,
    decide(address, hostname) {
      const kind = classifyAddress(address);
      if (kind === 'public') return { allowed: true };
      const host = stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
      if (listed(address) || hosts.some((pattern) => hostMatches(pattern, host))) return { allowed: true };
      return { allowed: false, kind };
    },
  };
}
