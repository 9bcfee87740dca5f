import { expect, it } from 'vitest';
import { classifyAddress, embeddedIpv4, ipv6Groups } from './address.ts';

// The literal as a URL would carry it: WHATWG parsing is what turns numeric forms into addresses.
const hostOf = (literal: string) => new URL(`http://${literal}/`).hostname.replace(/^\[(.*)\]$/, '$1');

it('refuses every non-public IPv4 range by its kind', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
  ];
  for (const [address, kind] of cases) expect(classifyAddress(address), address).toBe(kind);
});

it('lets public IPv4 and IPv6 addresses through, including neighbours of private ranges', () => {
  for (const address of ['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '11.0.0.1', '2606:4700::1111']) {
    expect(classifyAddress(address), address).toBe('public');
  }
});

it('refuses non-public IPv6 ranges', () => {
  const cases: [string, string][] = [
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::1', 'private'],
    ['fc12:3456::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['64:ff9b:1::1', 'private'],
  ];
  for (const [address, kind] of cases) expect(classifyAddress(address), address).toBe(kind);
});

it('judges IPv6 forms that carry an IPv4 address by that address', () => {
  expect(embeddedIpv4('::ffff:127.0.0.1')).toBe('127.0.0.1');
  expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
  for (const address of [
    '::ffff:127.0.0.1', // IPv4-mapped
    '::ffff:7f00:1',
    '::ffff:0:7f00:1', // IPv4-translated
    '::127.0.0.1', // IPv4-compatible
    '64:ff9b::7f00:1', // NAT64
    '2002:7f00:1::1', // 6to4
  ]) {
    expect(classifyAddress(address), address).toBe('loopback');
  }
  expect(classifyAddress('::ffff:10.0.0.1')).toBe('private');
  expect(classifyAddress('2002:a9fe:a9fe::')).toBe('link-local');
  expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
  expect(classifyAddress('64:ff9b::808:808')).toBe('public');
});

it('sees through the numeric spellings of loopback once a URL has parsed them', () => {
  for (const literal of [
    '2130706433',
    '0x7f.1',
    '017700000001',
    '0x7f000001',
    '127.1',
    '[::ffff:127.0.0.1]',
    '[::1]',
  ]) {
    expect(classifyAddress(hostOf(literal)), literal).toBe('loopback');
  }
});

it('treats anything that is not an IP address as reserved', () => {
  expect(classifyAddress('localhost')).toBe('reserved');
  expect(classifyAddress('')).toBe('reserved');
});

it('expands IPv6 groups with and without a dotted tail', () => {
  expect(ipv6Groups('1::2')).toEqual([1, 0, 0, 0, 0, 0, 0, 2]);
  expect(ipv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  expect(ipv6Groups('::1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0, 0x0102, 0x0304]);
});
