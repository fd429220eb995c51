/**
 * Seeded fuzz over normalizePath + matchApp + evaluate with 4000 hostile paths (dot segments and
 * their encodings, %2f, backslashes, `;`, NUL, case, query and fragment pieces): every accepted path is
 * canonical and idempotent, one decoding by an upstream adds no separators or dot segments, and the
 * decision is the one for the app prefix and policy paths the request really reaches; everything
 * ambiguous is a 400.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, matchApp, normalizePath, pathHasPrefix } from '../../src/policy';
import { alice, bob, compile, prng } from './helpers';

const PIECES = [
  'admin',
  'Admin',
  'ADMIN',
  'public',
  'api',
  'partners',
  'x',
  'y.txt',
  '',
  '.',
  '..',
  '...',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2E',
  '%2E%2e',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%00',
  '%0a',
  '%252e',
  '%252e%252e',
  '%252f',
  ';',
  'a;b',
  '..;',
  '\\',
  '..\\',
  '%61dmin',
  '%41DMIN',
  '%7e',
  '%25',
  '%3f',
  '%3F',
  '%23',
  '?q=/admin',
  '#/admin',
  'caf\u00e9',
  '%c3%a9',
  'a b',
  '%',
  '%g1',
  '%2',
];

const apps = compile([
  {
    id: 'root',
    name: 'Root',
    upstream: 'http://u',
    policies: [
      { name: 'pub', action: 'bypass', paths: ['/public/*'], include: [{ everyone: true }] },
      { name: 'admin', action: 'allow', paths: ['/admin/*'], include: [{ groups: ['admins'] }] },
      { name: 'admin-block', action: 'block', paths: ['/admin/*'], include: [{ everyone: true }] },
      { name: 'rest', action: 'allow', include: [{ authenticated: true }] },
    ],
  },
  {
    id: 'admin-app',
    name: 'Admin',
    upstream: 'http://u',
    pathPrefix: '/admin',
    policies: [{ name: 'admins', action: 'allow', include: [{ groups: ['admins'] }] }],
  },
  {
    id: 'api',
    name: 'API',
    upstream: 'http://u',
    pathPrefix: '/api',
    caseSensitive: false,
    policies: [
      { name: 'read', action: 'service', methods: ['GET'], paths: ['/api/public/*'], include: [{ scopes: ['r'] }] },
      { name: 'staff', action: 'allow', include: [{ groups: ['staff'] }] },
    ],
  },
]);

/** Decodes every %XX once, bytewise, the way a permissive upstream would. */
function decodeOnce(path: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%') {
      bytes.push(parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(path.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function randomPath(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 6);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += rand() < 0.15 ? '//' : '/';
    out += PIECES[Math.floor(rand() * PIECES.length)]!;
    if (rand() < 0.1) out += PIECES[Math.floor(rand() * PIECES.length)]!;
  }
  return out;
}

describe('normalizePath + matchApp + evaluate (seeded fuzz)', () => {
  it('never lets a request reach a path outside the prefix and policy that were evaluated', () => {
    const rand = prng(20261117);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const raw = randomPath(rand);
      const result = normalizePath(raw);
      const beforeQuery = raw.split(/[?#]/)[0]!;
      if (/%2f|%5c|%0[0-9a-f]|%1[0-9a-f]|%7f|;|\\/i.test(beforeQuery)) expect(result.ok, raw).toBe(false);
      if (!result.ok) {
        rejected++;
        expect(result.status).toBe(400);
        continue;
      }
      accepted++;
      const path = result.path;
      // Canonical: idempotent, no dot segments, no empty segments, and WHATWG URL leaves it alone.
      expect(normalizePath(path), raw).toEqual({ ok: true, path });
      expect(new URL(path, 'http://h').pathname, raw).toBe(path);
      const segments = path.split('/').slice(1, path.endsWith('/') && path !== '/' ? -1 : undefined);
      for (const s of segments) expect(['.', '..'].includes(s) || (s === '' && path !== '/'), raw).toBe(false);
      // One decoding by the upstream introduces no separators and no dot segments.
      const decoded = decodeOnce(path);
      expect(decoded.split('/').length, raw).toBe(path.split('/').length);
      for (const s of decoded.split('/')) expect(s === '.' || s === '..', raw).toBe(false);

      const app = matchApp(apps, 'h', path);
      expect(app, raw).toBeDefined();
      const fold = (s: string) => (app!.caseSensitive ? s : s.toLowerCase());
      expect(pathHasPrefix(fold(path), fold(app!.pathPrefix)), raw).toBe(true);
      expect(pathHasPrefix(fold(decoded), fold(app!.pathPrefix)), raw).toBe(true);

      for (const identity of [undefined, alice, bob]) {
        const d = evaluate(app!, { method: 'GET', path, host: 'h' }, identity);
        if (!d.policy) continue;
        const policy = app!.policies.find((p) => p.name === d.policy)!;
        if (policy.paths)
          expect(
            policy.paths.some((g) => g.test(path)),
            `${raw} ${d.policy}`,
          ).toBe(true);
        if (d.effect === 'bypass') expect(path.startsWith('/public/') || path === '/public', raw).toBe(true);
        if (d.effect === 'allow' && pathHasPrefix(path, '/admin')) expect(identity).toBe(alice);
      }
    }
    expect(accepted).toBeGreaterThan(800);
    expect(rejected).toBeGreaterThan(800);
  });
});
