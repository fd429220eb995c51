/**
 * Return targets (open-redirect corpus): safeReturnTo accepts same-origin and allowed-host targets and
 * refuses protocol-relative, backslash, encoded-whitespace, user-info and look-alike-host forms, using
 * the fallback for refused input; it never emits a protocol-relative or backslash-leading Location,
 * returns same-origin absolute URLs as a path, and refuses the gateway host's other scheme unless
 * listed. isAllowedHost matches exact and wildcard entries and ignores malformed ones.
 */
import { describe, expect, it } from 'vitest';
import { isAllowedHost, safeReturnTo } from '../../src/oidc/redirect';

const opts = {
  requestOrigin: 'https://gw.example.com',
  allowedHosts: ['app.example.com', 'api.example.com:8443', '*.apps.example.org', 'bücher.example'],
};

// [input, expected output]
const accepted: Array<[string, string]> = [
  ['/', '/'],
  ['/dashboard', '/dashboard'],
  ['/a/b/c?x=1&y=2', '/a/b/c?x=1&y=2'],
  ['/search?q=a%20b&next=%2Fpath', '/search?q=a%20b&next=%2Fpath'],
  ['/path?redirect=https://evil.example', '/path?redirect=https://evil.example'],
  ['/page#section', '/page#section'],
  ['/a/../b', '/b'],
  ['/caf%C3%A9', '/caf%C3%A9'],
  ['/?', '/'],
  ['/a@b', '/a@b'],
  ['https://gw.example.com/from/self?q=1', '/from/self?q=1'],
  ['https://gw.example.com', '/'],
  ['https://GW.example.com/x', '/x'],
  ['https://gw.example.com:443/x', '/x'],
  ['https://app.example.com/', 'https://app.example.com/'],
  ['https://app.example.com/deep/link?x=1', 'https://app.example.com/deep/link?x=1'],
  ['http://app.example.com/plain', 'http://app.example.com/plain'],
  ['https://api.example.com:8443/v1', 'https://api.example.com:8443/v1'],
  ['https://one.apps.example.org/x', 'https://one.apps.example.org/x'],
  ['https://a.b.apps.example.org/', 'https://a.b.apps.example.org/'],
  ['https://xn--bcher-kva.example/', 'https://xn--bcher-kva.example/'],
  ['https://app.example.com?x=1', 'https://app.example.com/?x=1'],
];

const refused: string[] = [
  '',
  '//evil.example',
  '///evil.example',
  '/\\evil.example',
  '\\/evil.example',
  '\\\\evil.example',
  'https:evil.example',
  'http:/evil.example',
  'https:/evil.example',
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox',
  'ftp://app.example.com/',
  '/%2F%2Fevil.example',
  '/%2f%2fevil.example',
  '/%5Cevil.example',
  '/%5cevil.example',
  '/%252F%252Fevil.example',
  '/a%2Fb',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%0d%0aSet-Cookie:x=1',
  '/x?a=%0d%0aSet-Cookie:x=1',
  '/%00',
  ' /dashboard',
  '\t/dashboard',
  '%20/dashboard',
  '/%20/evil.example',
  '/ab\u0000',
  '/.//evil.example',
  '/..//evil.example',
  '/a/..//evil.example',
  'https://good.example@evil.example',
  'https://app.example.com@evil.example/',
  'https://app.example.com:pw@evil.example/',
  'https://evil.example#@app.example.com',
  'https://evil.example\\@app.example.com',
  'https://evil.example/',
  'https://app.example.com.evil.com/',
  'https://evilapp.example.com/',
  'https://app.example.com./',
  'https://gw.example.com./x',
  'https://app.example.com:444/',
  'https://api.example.com/v1',
  'https://apps.example.org/',
  'https://evil-apps.example.org/',
  'https://app%2eexample.com/',
  'https://app.ex%61mple.com/',
  'https://bücher.example/',
  'https://аpp.example.com/',
  'https://app.example.com\uFF0Fevil',
  'HTTPS://app.example.com/',
  'Https://gw.example.com/x',
  'hTtP://app.example.com/',
  'https://',
  'https:///evil.example',
  'https://0x7f.1/',
  'dashboard',
  'evil.example/x',
  '?x=1',
  '#frag',
  '.',
  '/\u2028/evil.example',
  '/\u00a0/evil.example',
  `/${'a'.repeat(5000)}`,
];

describe('safeReturnTo', () => {
  it.each(accepted)('accepts %j', (input, expected) => {
    expect(safeReturnTo(input, opts)).toBe(expected);
  });

  it.each(refused.map((r) => [r]))('refuses %j', (input) => {
    expect(safeReturnTo(input, opts)).toBe('/');
  });

  it('uses the fallback for null, undefined and refused input', () => {
    expect(safeReturnTo(null, { ...opts, fallback: '/home' })).toBe('/home');
    expect(safeReturnTo(undefined, { ...opts, fallback: '/home' })).toBe('/home');
    expect(safeReturnTo('//evil.example', { ...opts, fallback: '/home' })).toBe('/home');
  });

  it('treats an unparsable request origin as refusal', () => {
    expect(safeReturnTo('/ok', { ...opts, requestOrigin: 'not a url' })).toBe('/');
  });

  it('returns same-origin absolute URLs as a path for a plain-HTTP loopback gateway', () => {
    expect(safeReturnTo('http://127.0.0.1:8787/admin?x=1', { requestOrigin: 'http://127.0.0.1:8787', allowedHosts: [] })).toBe('/admin?x=1');
    expect(safeReturnTo('http://127.0.0.1:8788/admin', { requestOrigin: 'http://127.0.0.1:8787', allowedHosts: [] })).toBe('/');
  });

  it('refuses the other scheme of the gateway host unless listed', () => {
    expect(safeReturnTo('http://gw.example.com/x', opts)).toBe('/');
  });

  it('never emits a protocol-relative or backslash-leading Location', () => {
    for (const input of [...accepted.map(([i]) => i), ...refused]) {
      const out = safeReturnTo(input, opts);
      expect(out.startsWith('//') || out.startsWith('/\\') || /[\s\\]/.test(out)).toBe(false);
    }
  });
});

describe('isAllowedHost', () => {
  const list = ['app.example.com', 'api.example.com:8443', '*.apps.example.org', 'bücher.example'];
  it.each([
    ['app.example.com', true],
    ['APP.example.com', true],
    ['api.example.com:8443', true],
    ['x.apps.example.org', true],
    ['x.y.apps.example.org', true],
    ['xn--bcher-kva.example', true],
    ['app.example.com:8443', false],
    ['api.example.com', false],
    ['apps.example.org', false],
    ['xapps.example.org', false],
    ['app.example.com.', false],
    ['app.example.com.evil.com', false],
    ['evilapp.example.com', false],
    ['good@app.example.com', false],
    ['', false],
  ] as Array<[string, boolean]>)('%s -> %s', (host, expected) => {
    expect(isAllowedHost(host, list)).toBe(expected);
  });

  it('ignores malformed entries instead of matching everything', () => {
    expect(isAllowedHost('evil.example', ['*', '*.', '', 'http://evil.example/'])).toBe(false);
  });
});
