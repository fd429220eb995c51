/**
 * Over HTTP against the real gateway: spellings of /admin that upstreams read as /admin get /admin's
 * answer or 400, per app opt-outs (`caseSensitive: true`, `unusualPaths: forward`) hand them on, and
 * `check`/`explain` name method gaps.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { DEMO_CONFIG, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let bobCookie: string;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      // A second app on /legacy whose upstream really is case-sensitive and wants odd spellings.
      raw.apps.unshift({
        id: 'legacy',
        upstream: raw.apps[0].upstream,
        pathPrefix: '/legacy',
        caseSensitive: true,
        unusualPaths: 'forward',
        policies: [
          { name: 'legacy-admin', action: 'block', paths: ['/legacy/admin/*'], include: [{ everyone: true }] },
          { name: 'legacy-rest', action: 'bypass', include: [{ everyone: true }] },
        ],
      });
    },
  });
  const bob = new TestBrowser();
  await bob.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
  bobCookie = bob.cookieHeader(stack.url)!;
});
afterAll(() => stack?.close());

const get = (target: string, headers: Record<string, string> = {}) => rawRequest(stack.url, target, { headers: { accept: 'application/json', ...headers } });

describe('letter case (caseSensitive unset): the stricter of both spellings', () => {
  it('bob gets 403 on /Admin/settings as on /admin/settings, and the refusal names no rule', async () => {
    for (const target of ['/admin/settings', '/Admin/settings', '/ADMIN/settings', '/aDmIn']) {
      const res = await get(target, { cookie: bobCookie });
      expect([target, res.status, JSON.parse(res.body).error]).toEqual([target, 403, 'access_denied']);
    }
  });
  it('a mixed-case path that only the lower-case spelling protects is not a way around sign-in', async () => {
    expect((await get('/Admin/x')).status).toBe(401);
  });
  it('a path whose lower-case spelling is another app is refused 400', async () => {
    const res = await get('/LEGACY/x');
    expect([res.status, JSON.parse(res.body).error]).toEqual([400, 'bad_path']);
  });
  it('caseSensitive: true keeps /Admin another resource of that app', async () => {
    expect((await get('/legacy/admin/x')).status).toBe(403);
    const other = await get('/legacy/Admin/x');
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body).path).toBe('/legacy/Admin/x');
  });
});

describe('spellings some upstreams read as another path', () => {
  it.each([
    '/admin.',
    '/admin%20',
    '/admin::$DATA',
    '/public/%252e%252e/admin',
    '/public/%c0%ae%c0%ae/admin',
    '/public/%EF%BC%8E%EF%BC%8E/admin',
    '/admin%EF%BC%8Fx',
  ])('%s is refused 400 before any credential is looked at', async (target) => {
    const res = await get(target, { cookie: bobCookie });
    expect([res.status, JSON.parse(res.body).error]).toEqual([400, 'bad_path']);
    const line = stack.logs.find((l) => l.requestId === res.headers['x-request-id'] && l.msg === 'request');
    expect(String(line?.reason)).toMatch(/^spelling some upstreams read as another path: /);
  });
  it('an app with unusualPaths: forward passes them on unchanged', async () => {
    const res = await get('/legacy/file.txt::$DATA');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).path).toBe('/legacy/file.txt::$DATA');
  });
});

describe('methods', () => {
  it('TRACE answers 405 with Allow, never an upstream outage page', async () => {
    const res = await rawRequest(stack.url, '/public/x', { method: 'TRACE', headers: { accept: 'application/json' } });
    expect([res.status, JSON.parse(res.body).error, res.headers.allow]).toEqual([405, 'method_not_allowed', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS']);
  });
  it('check warns about a method gap, and explain points at it on the request that falls through', async () => {
    const raw = parse(DEMO_CONFIG) as Record<string, any>;
    const demo = raw.apps.find((a: { id: string }) => a.id === 'demo');
    demo.policies.find((p: { name: string }) => p.name === 'api-write').methods = ['POST', 'PUT', 'PATCH', 'DELETE'];
    const file = join(mkdtempSync(join(tmpdir(), 'cg-gap-')), 'gap.json');
    writeFileSync(file, JSON.stringify(raw));
    const checked: string[] = [];
    expect(await main(['check', '--config', file], (l) => checked.push(l))).toBe(0);
    expect(checked).toContain(
      'warning: app "demo": on /api/*, methods OPTIONS, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK, SEARCH, REPORT, QUERY match none of the method-limited policies there ("api-read", "api-write") and fall through to policy "signed-in" (allow); add a policy for /api/* without methods (or list those methods) if that is not what you mean',
    );
    const explained: string[] = [];
    expect(await main(['explain', '--config', file, '--user', 'bob', 'PROPFIND', 'https://gw.example/api/things'], (l) => explained.push(l))).toBe(0);
    expect(explained.find((l) => l.startsWith('note'))).toMatch(/^note {6}app "demo": on \/api\/\*, methods .*PROPFIND.* fall through to policy "signed-in"/);
    const demoChecked: string[] = [];
    expect(await main(['check', '--config', 'config/demo.yaml'], (l) => demoChecked.push(l))).toBe(0);
    expect(demoChecked.filter((l) => l.includes('fall through'))).toEqual([]);
  });
});
