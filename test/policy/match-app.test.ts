/**
 * matchApp: the app for a host (exact, wildcard or any; ports; IPv6 literals) and path (the longest
 * pathPrefix on segment boundaries, folded for case-insensitive apps), undefined when none matches;
 * host patterns normalised (case, default ports, trailing dot) and malformed patterns refused.
 */
import { describe, expect, it } from 'vitest';
import { matchApp, normalizeHost, parseHostPattern, type AppInput } from '../../src/policy';
import { normalizedRequestHost, rememberedHostCount } from '../../src/policy/match-app';
import { compile } from './helpers';

const app = (id: string, extra: Partial<AppInput>): AppInput => ({
  id,
  name: id,
  upstream: 'http://u',
  policies: [{ name: 'p', action: 'allow', include: [{ authenticated: true }] }],
  ...extra,
});

const apps = compile([
  app('any-root', {}),
  app('any-shop', { pathPrefix: '/shop' }),
  app('exact-root', { hosts: ['app.example.com', 'localhost:8787'] }),
  app('exact-admin', { hosts: ['app.example.com'], pathPrefix: '/admin/' }),
  app('wild', { hosts: ['*.example.com'] }),
  app('wild-deeper', { hosts: ['*.eu.example.com'] }),
  app('wild-port', { hosts: ['*.example.com:8443'] }),
  app('ci', { hosts: ['ci.test'], pathPrefix: '/Docs', caseSensitive: false }),
  app('v6', { hosts: ['[::1]:8787'] }),
]);
const id = (host: string, path: string) => matchApp(apps, host, path)?.id;

describe('matchApp', () => {
  it.each([
    ['app.example.com', '/x', 'exact-root'],
    ['APP.Example.COM:443', '/x', 'exact-root'],
    ['app.example.com:80', '/x', 'exact-root'],
    ['app.example.com.', '/x', 'exact-root'],
    ['app.example.com', '/admin', 'exact-admin'],
    ['app.example.com', '/admin/x', 'exact-admin'],
    ['app.example.com', '/administrator', 'exact-root'],
    ['app.example.com', '/shop/x', 'exact-root'],
    ['app.example.com:8080', '/x', 'any-root'],
    ['localhost:8787', '/x', 'exact-root'],
    ['localhost', '/x', 'any-root'],
    ['other.example.com', '/shop', 'wild'],
    ['a.b.example.com', '/x', 'wild'],
    ['x.eu.example.com', '/x', 'wild-deeper'],
    ['example.com', '/x', 'any-root'],
    ['evilexample.com', '/x', 'any-root'],
    ['x.example.com:8443', '/x', 'wild-port'],
    ['ci.test', '/docs/a', 'ci'],
    ['ci.test', '/DOCS', 'ci'],
    ['[::1]:8787', '/x', 'v6'],
    ['nowhere.test', '/shop/cart', 'any-shop'],
    ['bad host!', '/x', 'any-root'],
  ])('%s %s -> %s', (host, path, expected) => {
    expect(id(host, path)).toBe(expected);
  });

  it('returns undefined when nothing matches', () => {
    const only = compile([app('only', { hosts: ['a.test'], pathPrefix: '/a' })]);
    expect(matchApp(only, 'a.test', '/b')).toBeUndefined();
    expect(matchApp(only, 'b.test', '/a')).toBeUndefined();
  });
});

describe('hosts', () => {
  it('normalises case, default ports and a trailing dot', () => {
    expect(normalizeHost('Example.COM.:443')).toBe('example.com');
    expect(normalizeHost('example.com:8080')).toBe('example.com:8080');
    expect(normalizeHost('[::1]:80')).toBe('[::1]');
    expect(normalizeHost('exa mple.com')).toBeUndefined();
    expect(normalizeHost('example.com:99999')).toBeUndefined();
  });
  it.each(['*.', 'a.*.com', '*example.com', 'http://x', 'a b', 'x:port'])('refuses pattern %j', (p) => {
    expect(parseHostPattern(p).ok).toBe(false);
  });
});

describe('remembered request hosts (normalizedRequestHost)', () => {
  const hosts = ['APP.Example.COM:443', 'app.example.com.', 'x.eu.example.com', '[::1]:8787', 'bad host!', 'example.com:99999', 'localhost:8787'];
  it('answers as normalizeHost, the first time and again (unparseable hosts too)', () => {
    for (const host of [...hosts, ...hosts]) expect(normalizedRequestHost(host), host).toBe(normalizeHost(host));
    expect(hosts.map(normalizedRequestHost)).toEqual([
      'app.example.com',
      'app.example.com',
      'x.eu.example.com',
      '[::1]:8787',
      undefined,
      undefined,
      'localhost:8787',
    ]);
  });
  it('stays bounded and right after a client sends many hosts', () => {
    for (let i = 0; i < 1000; i++) expect(normalizedRequestHost(`h${i}.example.com:${1 + (i % 9)}`)).toBe(`h${i}.example.com:${1 + (i % 9)}`);
    for (const host of hosts) expect(normalizedRequestHost(host), host).toBe(normalizeHost(host));
    expect([id('APP.Example.COM:443', '/admin/x'), id('x.eu.example.com', '/x'), id('bad host!', '/x')]).toEqual(['exact-admin', 'wild-deeper', 'any-root']);
  });
  it('never keeps a long Host value (a client cannot park 30 KB strings in it)', () => {
    normalizedRequestHost('short.example.com');
    const before = rememberedHostCount();
    const long = `${'a'.repeat(300)}.example.com`;
    expect(normalizedRequestHost(long)).toBe(normalizeHost(long));
    expect(normalizedRequestHost(long)).toBe(normalizeHost(long));
    expect(rememberedHostCount()).toBe(before);
  });
});
