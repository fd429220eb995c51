/**
 * Header helpers: stripIdentityHeaders treats case and `_`/`-` alike and always covers other proxies'
 * identity headers (an empty prefix never matches everything); removeHopByHopHeaders removes the fixed
 * list and what Connection names; filterCookieHeader keeps other pairs byte-for-byte; upstreamUrl
 * appends path and raw query without re-encoding, cannot leave the upstream origin, and refuses a
 * decoded path or malformed query.
 */
import { describe, expect, it } from 'vitest';
import { cookiePairName, filterCookieHeader } from '../../src/proxy/cookies';
import { BASE_IDENTITY_STRIP_RULES, matchesStripRules, removeHopByHopHeaders, stripIdentityHeaders, type HeaderStripRules } from '../../src/proxy/headers';
import { upstreamUrl } from '../../src/proxy/upstream-url';

const rules: HeaderStripRules = { names: ['X-Auth-User', 'X-Auth-Assertion'], prefixes: ['X-Auth-'] };

describe('stripIdentityHeaders', () => {
  it('treats case and _ vs - as the same name (Web Headers on Node accept _)', () => {
    const h = new Headers([
      ['X_Auth_User', 'm'],
      ['x-auth_user', 'm'],
      ['X-AUTH-ASSERTION', 'm'],
      ['x_auth_anything', 'm'],
      ['x-custom', 'kept'],
      ['x_custom', 'kept'],
    ]);
    const removed = stripIdentityHeaders(h, rules);
    expect(removed.sort()).toEqual(['x-auth-assertion', 'x-auth_user', 'x_auth_anything', 'x_auth_user']);
    expect([...h.keys()].sort()).toEqual(['x-custom', 'x_custom']);
  });

  it("base rules cover other proxies' identity headers whatever the config", () => {
    for (const name of [
      'X-Forwarded-User',
      'x_forwarded_groups',
      'Remote-Name',
      'remote_anything',
      'X-Auth-Request-Email',
      'X-Amzn-Oidc-Accesstoken',
      'X_Request_Id',
    ]) {
      expect(matchesStripRules(name, BASE_IDENTITY_STRIP_RULES), name).toBe(true);
    }
    for (const name of ['X-Forwarded-For', 'Authorization', 'Accept', 'X-Requested-With']) {
      expect(matchesStripRules(name, BASE_IDENTITY_STRIP_RULES), name).toBe(false);
    }
  });

  it('an empty prefix never matches everything', () => {
    expect(matchesStripRules('accept', { names: [], prefixes: [''] })).toBe(false);
  });
});

describe('removeHopByHopHeaders', () => {
  it('removes the fixed list and whatever Connection names', () => {
    const h = new Headers({
      connection: 'close, X-Foo',
      'x-foo': '1',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      'proxy-connection': 'keep-alive',
      'x-bar': '2',
    });
    removeHopByHopHeaders(h);
    expect([...h.keys()]).toEqual(['x-bar']);
  });
});

describe('filterCookieHeader', () => {
  const gw = (n: string) => n === 'gw' || n.startsWith('gw_');
  it('keeps other pairs in order, byte-for-byte', () => {
    expect(filterCookieHeader('a=1; gw=SECRET;b="x y";gw_1=z', gw)).toBe('a=1; b="x y"');
  });
  it('gives undefined when nothing is left', () => {
    expect(filterCookieHeader('gw=1; gw_2=2', gw)).toBeUndefined();
    expect(filterCookieHeader(null, gw)).toBeUndefined();
  });
  it('reads the name of a Set-Cookie line', () => {
    expect(cookiePairName('gw_1=abc; Path=/; HttpOnly')).toBe('gw_1');
    expect(cookiePairName(' name =v')).toBe('name');
  });
});

describe('upstreamUrl', () => {
  const up = new URL('http://app.internal:8080/base/');
  it('appends the path and raw query to the base path without re-encoding', () => {
    expect(upstreamUrl(up, '/a%2Fb', '?a=1&a=2&b=%20x&c')).toBe('http://app.internal:8080/base/a%2Fb?a=1&a=2&b=%20x&c');
    expect(upstreamUrl(new URL('http://app.internal'), '/x', '')).toBe('http://app.internal/x');
  });
  it('cannot be steered to another origin', () => {
    expect(upstreamUrl(new URL('http://app.internal'), '//evil.example/x', '')).toBe('http://app.internal//evil.example/x');
    expect(new URL(upstreamUrl(new URL('http://app.internal'), '/\\evil.example', '')).host).toBe('app.internal');
  });
  it('refuses a decoded path or a malformed query', () => {
    expect(() => upstreamUrl(up, 'x', '')).toThrow(/must start with "\/"/);
    expect(() => upstreamUrl(up, '/a?b', '')).toThrow(/encoded path/);
    expect(() => upstreamUrl(up, '/a#b', '')).toThrow(/encoded path/);
    expect(() => upstreamUrl(up, '/a\r\nX: y', '')).toThrow(/control character/);
    expect(() => upstreamUrl(up, '/a', 'a=1')).toThrow(/start with "\?"/);
  });
});
