/**
 * IP parsing and CIDR matching: parseIp/formatIp round-trip IPv4 and IPv6 (incl. mapped forms) and
 * refuse ambiguous or malformed addresses (leading zeros, zones, extra groups); parseCidr matches
 * inside and outside v4/v6 ranges, canonicalises, refuses malformed ranges, and never matches an
 * unparseable address.
 */
import { describe, expect, it } from 'vitest';
import { compileCidrs, formatIp, parseCidr, parseIp } from '../../src/policy';

describe('parseIp / formatIp', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::ffff:a01:203', '10.1.2.3'],
    ['::', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ])('%s -> %s', (text, canonical) => {
    expect(formatIp(parseIp(text)!)).toBe(canonical);
  });

  it.each(['10.0.0', '10.0.0.256', '010.0.0.1', '1.2.3.4.5', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', ':1', 'x', '', '1:2:3:4:5:6:7::8'])(
    'refuses %j',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );
});

describe('parseCidr and matching', () => {
  it.each([
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['192.168.1.0/24', '192.168.1.255', true],
    ['192.168.1.0/24', '192.168.2.0', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['203.0.113.7', '203.0.113.7', true],
    ['203.0.113.7', '203.0.113.8', false],
    ['10.0.0.0/8', '::ffff:10.9.9.9', true],
    ['::ffff:10.0.0.0/104', '10.1.1.1', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '10.0.0.1', false],
    ['::1', '::1', true],
  ] as const)('%s contains %s: %s', (cidr, ip, expected) => {
    expect(compileCidrs([cidr]).matches(ip)).toBe(expected);
  });

  it('canonicalises', () => {
    expect(parseCidr('2001:DB8:0::/32')).toMatchObject({ ok: true, cidr: { text: '2001:db8::/32' } });
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ ok: true, cidr: { text: '10.0.0.0/8', version: 4 } });
  });

  it.each([
    ['10.0.0/8', 'is not a CIDR; write e.g. 10.0.0.0/8'],
    ['10.0.0.0/33', 'from 0 to 32'],
    ['10.0.0.0/', 'invalid prefix'],
    ['10.0.0.0/08', 'invalid prefix'],
    ['2001:db8::/129', 'from 0 to 128'],
    ['10.0.0.1/8', 'host bits set; write 10.0.0.0/8'],
    ['2001:db8::1/32', 'write 2001:db8::/32'],
    ['foo', 'is not a CIDR'],
  ])('refuses %j', (text, message) => {
    const r = parseCidr(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('never matches unparseable addresses', () => {
    expect(compileCidrs(['0.0.0.0/0', '::/0']).matches('not-an-ip')).toBe(false);
  });
});
