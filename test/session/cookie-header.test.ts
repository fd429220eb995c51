/**
 * parseCookieHeader keeps pairs in order, `=` in values, strips quotes, skips only malformed pairs,
 * and firstCookie takes the first duplicate; serializeSetCookie writes every attribute, deletions with
 * a past Expires, and refuses unsafe names and values.
 */
import { describe, expect, it } from 'vitest';
import { cookiePairsOf, firstCookie, parseCookieHeader, serializeSetCookie } from '../../src/session/cookie-header';

describe('cookiePairsOf', () => {
  it('parses like parseCookieHeader, and answers the same frozen array for the same header as the call before', () => {
    const header = 'a=1; cgw_session=x; b="2"';
    const first = cookiePairsOf(header);
    expect(first).toEqual(parseCookieHeader(header));
    expect(Object.isFrozen(first)).toBe(true);
    // An equal copy (a new request carrying the same cookie) gets the same array.
    expect(cookiePairsOf(`${header.slice(0, 5)}${header.slice(5)}`)).toBe(first);
    const other = cookiePairsOf('a=1; cgw_session=y');
    expect(other).not.toBe(first);
    expect(other).toEqual([
      { name: 'a', value: '1' },
      { name: 'cgw_session', value: 'y' },
    ]);
    expect(cookiePairsOf(null)).toEqual([]);
    expect(cookiePairsOf(header)).toEqual(first);
  });
});

describe('parseCookieHeader', () => {
  it('parses pairs in order and trims whitespace', () => {
    expect(parseCookieHeader('a=1; b=2;c=3 ')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
      { name: 'c', value: '3' },
    ]);
  });

  it('keeps "=" inside values and strips surrounding quotes', () => {
    expect(parseCookieHeader('a=x=y; b="q"')).toEqual([
      { name: 'a', value: 'x=y' },
      { name: 'b', value: 'q' },
    ]);
  });

  it.each([null, undefined, '', ';;;', '=novalue', 'noequals', '\u0000=\u0001', 'bad name=1', '%%%'])('tolerates malformed header %j', (header) => {
    expect(() => parseCookieHeader(header)).not.toThrow();
    expect(parseCookieHeader(header)).toEqual([]);
  });

  it('skips only the bad pairs', () => {
    expect(parseCookieHeader('ok=1; bad name=2; =3; also=4')).toEqual([
      { name: 'ok', value: '1' },
      { name: 'also', value: '4' },
    ]);
  });

  it('firstCookie returns the first of duplicates', () => {
    expect(firstCookie(parseCookieHeader('a=1; a=2'), 'a')).toBe('1');
    expect(firstCookie(parseCookieHeader('a=1'), 'b')).toBeUndefined();
  });
});

describe('serializeSetCookie', () => {
  const attrs = { maxAgeSeconds: 60, path: '/', secure: true, httpOnly: true, sameSite: 'lax' as const };

  it('writes every attribute', () => {
    expect(serializeSetCookie('n', 'v', { ...attrs, domain: 'example.com' })).toBe(
      'n=v; Max-Age=60; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax',
    );
  });

  it('adds Expires in the past for deletions', () => {
    expect(serializeSetCookie('n', '', { ...attrs, maxAgeSeconds: 0, secure: false, sameSite: 'strict' })).toBe(
      'n=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Strict',
    );
  });

  it.each([
    ['bad name', 'v'],
    ['n', 'a;b'],
    ['n', 'a b'],
    ['n', 'a\r\nSet-Cookie: x=1'],
  ])('refuses name %j / value %j that a header cannot carry', (name, value) => {
    expect(() => serializeSetCookie(name, value, attrs)).toThrow(TypeError);
  });
});
