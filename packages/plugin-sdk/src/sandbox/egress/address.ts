/**
 * What kind of address an IP is, for egress decisions: anything not plainly on the public internet
 * (loopback, private, link-local, CGNAT, multicast, reserved…) is refused unless the operator
 * lists it in EGRESS_ALLOW. IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
 * 6to4) are judged by the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** @public Why an address is (not) reachable by tenant code. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved';

type Range = readonly [network: string, prefix: number, kind: Exclude<AddressKind, 'public'>];

// IANA special-purpose registries (RFC 6890 and successors). Order matters only for overlaps,
// where the first, more specific, row wins.
const IPV4_RANGES: readonly Range[] = [
  ['255.255.255.255', 32, 'broadcast'],
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

// IPv6 ranges that do not embed an IPv4 address (those are unwrapped first, see embeddedIpv4).
const IPV6_RANGES: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'private'],
  ['100::', 64, 'reserved'],
  ['2001::', 32, 'reserved'], // Teredo: tunnels to an IPv4 address we cannot vouch for
  ['2001:db8::', 32, 'reserved'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];

function listsOf(ranges: readonly Range[], family: 'ipv4' | 'ipv6') {
  return ranges.map(([network, prefix, kind]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, kind };
  });
}

const IPV4_LISTS = listsOf(IPV4_RANGES, 'ipv4');
const IPV6_LISTS = listsOf(IPV6_RANGES, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped). */
export function ipv6Groups(address: string): number[] {
  const bare = address.replace(/%.*$/, '');
  let head = bare;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (dotted?.[1] !== undefined) {
    const octets = dotted[1].split('.').map(Number);
    tail.push(((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0));
    head = bare.slice(0, -dotted[1].length);
    // `::ffff:1.2.3.4` leaves `::ffff:` (drop the separator); `::1.2.3.4` leaves `::` (keep the gap).
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const gap = head.indexOf('::');
  const want = 8 - tail.length;
  let groups: number[];
  if (gap < 0) groups = parse(head);
  else {
    const left = parse(head.slice(0, gap));
    const right = parse(head.slice(gap + 2));
    groups = [...left, ...new Array<number>(want - left.length - right.length).fill(0), ...right];
  }
  return [...groups.slice(0, want), ...tail];
}

const dottedQuad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * @public The IPv4 address an IPv6 address carries, if it is one of the forms that route to it:
 * IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`,
 * NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`.
 * @example
 * embeddedIpv4('::ffff:7f00:1'); // '127.0.0.1'
 */
export function embeddedIpv4(address: string): string | undefined {
  if (!isIPv6(address)) return undefined;
  const g = ipv6Groups(address);
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  if (upperZero && g4 === 0 && g5 === 0xffff) return dottedQuad(g6, g7);
  if (upperZero && g4 === 0xffff && g5 === 0) return dottedQuad(g6, g7);
  // IPv4-compatible (deprecated), except :: and ::1 which are their own kinds.
  if (upperZero && g4 === 0 && g5 === 0 && (g6 !== 0 || g7 > 1)) return dottedQuad(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return dottedQuad(g6, g7);
  if (g0 === 0x2002) return dottedQuad(g1, g2);
  return undefined;
}

/**
 * @public Classifies an IP address (IPv4 dotted decimal or IPv6, as `net.isIP` accepts them).
 * Anything that is not an IP address is `reserved`: callers only ever connect to what passes.
 * @example
 * classifyAddress('10.1.2.3'); // 'private'
 * classifyAddress('::ffff:127.0.0.1'); // 'loopback'
 * classifyAddress('93.184.215.14'); // 'public'
 */
export function classifyAddress(address: string): AddressKind {
  if (isIPv4(address)) {
    return IPV4_LISTS.find(({ list }) => list.check(address, 'ipv4'))?.kind ?? 'public';
  }
  if (isIPv6(address)) {
    const bare = address.replace(/%.*$/, '');
    const v4 = embeddedIpv4(bare);
    if (v4 !== undefined) return classifyAddress(v4);
    return IPV6_LISTS.find(({ list }) => list.check(bare, 'ipv6'))?.kind ?? 'public';
  }
  return 'reserved';
}
