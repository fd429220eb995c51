/**
 * compileGlob: `*` within a segment, `**` across segments, a final `/*` also guarding the directory
 * itself; case folded only for case-insensitive apps; malformed or non-normalised patterns refused with
 * the fix.
 */
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/policy';
import { compileGlobBySegments } from '../../src/policy/glob';

function glob(pattern: string, caseSensitive = true) {
  const r = compileGlob(pattern, caseSensitive);
  if (!r.ok) throw new Error(r.message);
  return r.glob;
}

describe('compileGlob', () => {
  it.each([
    ['/admin/*', ['/admin', '/admin/', '/admin/x', '/admin/x/y'], ['/administrator', '/', '/adm', '/x/admin']],
    ['/admin/**', ['/admin', '/admin/', '/admin/x/y'], ['/administrator']],
    ['/*', ['/', '/x', '/x/y'], []],
    ['/', ['/'], ['/x']],
    ['/files/*.pdf', ['/files/a.pdf', '/files/.pdf'], ['/files/a/b.pdf', '/files/a.pdfx', '/files/aXpdf']],
    ['/api/*/items', ['/api/v1/items', '/api//items'], ['/api/v1/v2/items', '/api/v1/items/x']],
    ['/a/**/b', ['/a/b', '/a/x/b', '/a/x/y/b'], ['/a/xb', '/a/b/c']],
    ['/exact', ['/exact'], ['/exact/', '/exact/x', '/exactly']],
    ['/dir/', ['/dir/'], ['/dir', '/dir/x']],
    ['/a+b(c)', ['/a+b(c)'], ['/aab(c)', '/abc']],
  ] as const)('%s', (pattern, yes, no) => {
    const g = glob(pattern);
    for (const p of yes) expect(g.test(p), p).toBe(true);
    for (const p of no) expect(g.test(p), p).toBe(false);
  });

  it('folds case for case-insensitive apps only', () => {
    expect(glob('/Admin/*', false).test('/ADMIN/x')).toBe(true);
    expect(glob('/Admin/*').test('/admin/x')).toBe(false);
  });

  it.each([
    ['admin/*', 'start with "/"'],
    ['/a?b', '"?"'],
    ['/a[bc]', '"["'],
    ['/{a,b}', '"{"'],
    ['/a\\b', '"\\"'],
    ['/a;b', '";"'],
    ['/a b', '" "'],
    ['/a**', 'whole segment'],
    ['/a//b', 'write /a/b'],
    ['/a/../b/*', 'write /b/*'],
    ['/%61dmin/*', 'write /admin/*'],
    ['/a%2fb', 'not a valid path'],
    ['/caf\u00e9', 'percent-encode'],
  ])('refuses %j', (pattern, message) => {
    const r = compileGlob(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});

describe('specialised matchers (literal; literal head + final /* or /**) give the segment DP answers', () => {
  const patterns = [
    '/',
    '/admin',
    '/admin/',
    '/admin/*',
    '/admin/**',
    '/admin/**/*',
    '/Admin/*',
    '/*',
    '/**',
    '/a/b/c',
    '/a/**',
    '/x/y/**',
    '/a/**/b',
    '/a/*/b',
    '/files/*.pdf',
    '/*.css',
    '/api/*/items/**',
    '/dir/',
  ];
  const paths = [
    '/',
    '/admin',
    '/admin/',
    '/admin/x',
    '/admin/x/y',
    '/admin/X/',
    '/administrator',
    '/Admin',
    '/ADMIN/x',
    '/adm',
    '/x/admin',
    '/a',
    '/a/',
    '/a/b',
    '/a/b/',
    '/a/b/c',
    '/a/b/c/',
    '/a/x/b',
    '/a/x/y/b',
    '/a/xb',
    '/files/a.pdf',
    '/files/A.PDF',
    '/files/a/b.pdf',
    '/x/y',
    '/x/y/',
    '/x/yz',
    '/style.css',
    '/api/v1/items',
    '/api/v1/items/3',
    '/dir',
    '/dir/',
    '/dir/x',
    // Never a normalised path, still the DP's answer.
    'admin/x',
    'a/b/c',
    '',
  ];
  it.each([true, false])('caseSensitive %s: every pattern x path', (caseSensitive) => {
    let matched = 0;
    for (const pattern of patterns) {
      const fast = glob(pattern, caseSensitive);
      const bySegments = compileGlobBySegments(pattern, caseSensitive);
      for (const path of paths) {
        const answer = bySegments(path);
        expect(fast.test(path), `${pattern} ${path}`).toBe(answer);
        if (answer) matched++;
      }
    }
    // The table has matches and misses for both (not all answers alike).
    expect(matched).toBe(caseSensitive ? 110 : 124);
  });

  it('/admin/* guards /admin and /admin/ too, never /administrator; /admin guards only itself', () => {
    expect(['/admin', '/admin/', '/admin/x', '/administrator'].map((p) => glob('/admin/*').test(p))).toEqual([true, true, true, false]);
    expect(['/admin', '/admin/', '/admin/x'].map((p) => glob('/admin').test(p))).toEqual([true, false, false]);
  });

  it('the DP reuses its rows: a long path after short ones, then a short one again, gets exact answers', () => {
    const g = glob('/a/**/b');
    const long = `/a/${'x/'.repeat(200)}b`;
    expect([g.test('/a/b'), g.test(long), g.test(`${long}/c`), g.test('/a/x/b'), g.test('/a/x')]).toEqual([true, true, false, true, false]);
  });
});
