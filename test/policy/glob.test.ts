/**
 * compileGlob: `*` within a segment, `**` across segments, a final `/*` also guarding the directory
 * itself; case folded only for case-insensitive apps; malformed or non-normalised patterns refused with
 * the fix.
 */
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/policy';

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
