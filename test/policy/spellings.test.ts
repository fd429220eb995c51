/** Path spellings that upstreams read as another path, letter case folding, and method gaps: the pure parts. */
import { describe, expect, it } from 'vitest';
import { describeMethodGap, foldPathCase, methodGaps, normalizePath, unusualSpellings } from '../../src/policy';
import { appWith } from './helpers';

const norm = (raw: string) => {
  const n = normalizePath(raw);
  if (!n.ok) throw new Error(n.reason);
  return n.path;
};

describe('unusualSpellings', () => {
  it.each([
    ['/admin.', 'a segment ending in a dot or space ("admin.")'],
    ['/admin./x', 'a segment ending in a dot or space ("admin.")'],
    ['/admin%20', 'a segment ending in a dot or space ("admin ")'],
    ['/admin::$DATA', 'an NTFS stream name (::$…)'],
    ['/x/%252e%252e/admin', 'a double-encoded dot, slash, backslash or control character (%25…)'],
    ['/x/%252F', 'a double-encoded dot, slash, backslash or control character (%25…)'],
    ['/x/%2500', 'a double-encoded dot, slash, backslash or control character (%25…)'],
    ['/x/%c0%ae%c0%ae/admin', 'invalid or overlong UTF-8'],
    ['/x/%ff', 'invalid or overlong UTF-8'],
    ['/x/%EF%BC%8E%EF%BC%8E/admin', 'a look-alike of ".", "/" or "\\" (U+FF0E)'],
    ['/x%EF%BC%8Fadmin', 'a look-alike of ".", "/" or "\\" (U+FF0F)'],
    ['/x%E2%88%95admin', 'a look-alike of ".", "/" or "\\" (U+2215)'],
  ])('%s is refused: %s', (raw, reason) => {
    expect(unusualSpellings(norm(raw))).toEqual([reason]);
  });

  it.each(['/', '/admin', '/admin/', '/a.b/c', '/files/report.pdf', '/%25', '/x%2541', '/caf%C3%A9', '/%E2%82%AC', '/a%20b'])(
    '%s is an ordinary path',
    (raw) => {
      expect(unusualSpellings(norm(raw))).toEqual([]);
    },
  );
});

describe('foldPathCase', () => {
  it('folds ASCII letters and keeps percent-escapes as they are', () => {
    expect(foldPathCase('/Admin/%C3%A9X')).toBe('/admin/%C3%A9x');
    expect(foldPathCase('/admin')).toBe('/admin');
  });
});

describe('methodGaps', () => {
  const limited = appWith([
    { name: 'api-read', action: 'service', paths: ['/api/*'], methods: ['GET', 'HEAD'], include: [{ scopes: ['r'] }] },
    { name: 'api-write', action: 'service', paths: ['/api/*'], methods: ['POST', 'PUT', 'PATCH', 'DELETE'], include: [{ scopes: ['w'] }] },
    { name: 'signed-in', action: 'allow', include: [{ authenticated: true }] },
  ]);

  it('names the methods that fall through and the policy they reach', () => {
    const gaps = methodGaps(limited);
    expect(gaps.map((g) => [g.path, g.methods, g.fallsTo.name, g.limitedBy])).toEqual([
      [
        '/api/*',
        ['OPTIONS', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'QUERY'],
        'signed-in',
        ['api-read', 'api-write'],
      ],
    ]);
    expect(describeMethodGap(gaps[0]!)).toMatch(/^app "app": on \/api\/\*, methods OPTIONS, PROPFIND, .* fall through to policy "signed-in" \(allow\)/);
  });

  it('finds none when the last policy for the path lists no methods, or nothing follows (default deny)', () => {
    const closed = appWith([
      { name: 'api-read', action: 'service', paths: ['/api/*'], methods: ['GET', 'HEAD'], include: [{ scopes: ['r'] }] },
      { name: 'api-write', action: 'service', paths: ['/api/*'], include: [{ scopes: ['w'] }] },
      { name: 'signed-in', action: 'allow', include: [{ authenticated: true }] },
    ]);
    expect(methodGaps(closed)).toEqual([]);
    const alone = appWith([{ name: 'api-read', action: 'service', paths: ['/api/*'], methods: ['GET'], include: [{ scopes: ['r'] }] }]);
    expect(methodGaps(alone)).toEqual([]);
  });
});
