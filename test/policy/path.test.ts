/**
 * normalizePath canonicalises (query and fragment cut off; dot segments, also encoded; doubled
 * slashes; unreserved escapes decoded, other escapes upper-cased) and refuses ambiguity with 400 (encoded slashes and backslashes, `;` parameters, NUL and control
 * characters, bad escapes); pathHasPrefix respects segment boundaries.
 */
import { describe, expect, it } from 'vitest';
import { foldPathCase, normalizePath, pathHasPrefix } from '../../src/policy';

describe('normalizePath accepts and canonicalises', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b?x=/admin', '/a/b'],
    ['/a#frag', '/a'],
    ['/a%23b', '/a%23b'],
    ['/a%3fb', '/a%3Fb'],
    ['/%61dmin/x', '/admin/x'],
    ['/a%7e%2D%5f', '/a~-_'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2E%2e/b', '/b'],
    ['/a/.%2e/b', '/b'],
    ['/../../etc', '/etc'],
    ['/a/..', '/'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['//a///b//', '/a/b/'],
    ['/a/', '/a/'],
    ['/%252e%252e/x', '/%252e%252e/x'],
    ['/%25', '/%25'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/%c3%a9', '/%C3%A9'],
    ['/a b', '/a%20b'],
    ['/x/\u{1F600}', '/x/%F0%9F%98%80'],
    ["/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="],
    ['/...', '/...'],
    ['/Admin', '/Admin'],
  ])('%j -> %j', (raw, expected) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: expected });
  });
});

describe('normalizePath refuses ambiguity with 400', () => {
  it.each([
    ['/a%2fb', 'slash'],
    ['/a%2Fb', 'slash'],
    ['/a%5cb', 'backslash'],
    ['/a\\b', 'backslash'],
    ['/a%00', 'control'],
    ['/a%0a', 'control'],
    ['/a%1F', 'control'],
    ['/a%7f', 'control'],
    ['/a\u0000', 'control'],
    ['/a\tb', 'control'],
    ['/admin;x=1', '";"'],
    ['/admin/..;/x', '";"'],
    ['/a%', 'percent-escape'],
    ['/a%2', 'percent-escape'],
    ['/a%zz', 'percent-escape'],
    ['a/b', 'start with'],
    ['*', 'start with'],
    ['/\ud800', 'invalid character'],
  ])('%j (%s)', (raw, reason) => {
    const r = normalizePath(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.status).toBe(400);
      expect(r.reason).toContain(reason);
    }
  });
});

describe('pathHasPrefix', () => {
  it('respects segment boundaries', () => {
    expect(pathHasPrefix('/admin', '/admin')).toBe(true);
    expect(pathHasPrefix('/admin/', '/admin')).toBe(true);
    expect(pathHasPrefix('/admin/x', '/admin')).toBe(true);
    expect(pathHasPrefix('/administrator', '/admin')).toBe(false);
    expect(pathHasPrefix('/anything', '/')).toBe(true);
  });
});

describe('paths already normal are returned as they are (the fast path), the others canonicalised', () => {
  it.each([
    ['/a/b/', '/a/b/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a/.b', '/a/.b'],
    ['/a/..b/', '/a/..b/'],
    ['/a/.', '/a/'],
    ['/a//', '/a/'],
    ['//', '/'],
    ['/a.', '/a.'],
    ["/~user/!$&'()*+,=:@-_", "/~user/!$&'()*+,=:@-_"],
    ['/a%41', '/aA'],
    ['/a"b', '/a%22b'],
    ['/a\u007fb', undefined],
  ])('%j -> %j', (raw, expected) => {
    const result = normalizePath(raw);
    expect(result.ok ? result.path : undefined).toBe(expected);
  });
  it('foldPathCase: a path without upper case is the same string; ASCII letters fold, escapes keep their hex digits', () => {
    expect(foldPathCase('/admin/x%2E')).toBe('/admin/x%2E');
    expect(foldPathCase('/Admin/X%2E')).toBe('/admin/x%2E');
    expect(foldPathCase('/\u00c9')).toBe('/\u00e9');
  });
});
