/**
 * resolveClientAddress: on Node the peer unless it is a trusted proxy, then X-Forwarded-For walked
 * from the right over trusted hops (prepended entries cannot spoof; a malformed hop stops the walk;
 * ports and brackets accepted; CF headers ignored; CIDR texts as trusted proxies); on Workers
 * CF-Connecting-IP and CF-IPCountry, never X-Forwarded-For; unknown when nothing usable is there.
 */
import { describe, expect, it } from 'vitest';
import { compileCidrs, edgeClientAddress, resolveClientAddress } from '../../src/policy';

const trusted = compileCidrs(['10.0.0.0/8', '::1']);
const node = (peer: string | undefined, headers: Record<string, string> = {}) =>
  resolveClientAddress({ peer, headers: new Headers(headers), trustedProxies: trusted });

describe('resolveClientAddress on Node', () => {
  it('uses the peer when it is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(node('203.0.113.5', { 'x-forwarded-for': '10.1.1.1' })).toEqual({ address: '203.0.113.5', source: 'peer' });
  });
  it('normalises an IPv4-mapped peer', () => {
    expect(node('::ffff:203.0.113.5').address).toBe('203.0.113.5');
  });
  it('walks X-Forwarded-For from the right, skipping trusted hops', () => {
    expect(node('10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 198.51.100.7, 10.0.0.9' })).toEqual({ address: '198.51.100.7', source: 'x-forwarded-for' });
  });
  it('a client cannot spoof by prepending entries', () => {
    expect(node('10.0.0.2', { 'x-forwarded-for': '10.5.5.5, 198.51.100.7' }).address).toBe('198.51.100.7');
  });
  it('all hops trusted: the leftmost', () => {
    expect(node('::1', { 'x-forwarded-for': '10.1.1.1, 10.2.2.2' }).address).toBe('10.1.1.1');
  });
  it('no header: the trusted peer itself', () => {
    expect(node('10.0.0.2')).toEqual({ address: '10.0.0.2', source: 'peer' });
  });
  it('a malformed hop stops the walk at the last trusted hop', () => {
    expect(node('10.0.0.2', { 'x-forwarded-for': '198.51.100.7, garbage, 10.0.0.3' }).address).toBe('10.0.0.3');
  });
  it('accepts ports and brackets in hops', () => {
    expect(node('10.0.0.2', { 'x-forwarded-for': '[2001:db8::1]:443' }).address).toBe('2001:db8::1');
    expect(node('10.0.0.2', { 'x-forwarded-for': '198.51.100.7:5000' }).address).toBe('198.51.100.7');
  });
  it('ignores CF headers on Node', () => {
    const r = node('203.0.113.5', { 'cf-connecting-ip': '10.0.0.1', 'cf-ipcountry': 'DE' });
    expect(r).toEqual({ address: '203.0.113.5', source: 'peer' });
  });
  it('accepts trusted proxies as CIDR texts', () => {
    const r = resolveClientAddress({ peer: '10.0.0.2', headers: new Headers({ 'x-forwarded-for': '198.51.100.7' }), trustedProxies: ['10.0.0.0/8'] });
    expect(r.address).toBe('198.51.100.7');
  });
  it('no peer: unknown', () => {
    expect(node(undefined)).toEqual({ source: 'none' });
  });
});

describe('resolveClientAddress on Workers', () => {
  const worker = (headers: Record<string, string>) => edgeClientAddress(new Headers(headers));
  it('reads CF-Connecting-IP and CF-IPCountry, not X-Forwarded-For', () => {
    expect(worker({ 'cf-connecting-ip': '2001:db8::5', 'cf-ipcountry': 'de', 'x-forwarded-for': '1.1.1.1' })).toEqual({
      address: '2001:db8::5',
      country: 'DE',
      source: 'cf-connecting-ip',
    });
  });
  it('missing or malformed headers are unknown', () => {
    expect(worker({ 'x-forwarded-for': '1.1.1.1', 'cf-ipcountry': 'Germany' })).toEqual({ address: undefined, country: undefined, source: 'none' });
  });
});
