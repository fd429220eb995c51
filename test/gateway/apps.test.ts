import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { machineToken as fetchMachineToken } from '../helpers/tokens';

let stack: Stack;
const browsers: Record<string, TestBrowser> = {};
const PASSWORDS: Record<string, string> = { alice: 'Alice-Passw0rd!', bob: 'Bob-Passw0rd!', carol: 'Carol-Passw0rd!' };

beforeAll(async () => {
  stack = await startStack();
  for (const [user, password] of Object.entries(PASSWORDS)) {
    browsers[user] = new TestBrowser();
    await browsers[user].signIn(`${stack.url}/`, user, password);
  }
});
afterAll(() => stack?.close());

const machineToken = (scope: string) => fetchMachineToken(stack.emulator.hostedUiBase, scope);

describe('the demo apps, end to end through the running gateway', () => {
  it.each([
    ['alice', '/admin/users', 200],
    ['bob', '/admin/users', 403],
    ['carol', '/admin', 403],
    ['alice', '/partners/deals', 403],
    ['bob', '/partners/deals', 403],
    ['carol', '/partners/deals', 200],
    ['alice', '/anything', 200],
    ['carol', '/anything', 200],
    ['bob', '/public/x', 200],
    ['bob', '/api/things', 401],
  ])('%s GET %s -> %i', async (user, path, status) => {
    const res = await browsers[user]!.request(`${stack.url}${path}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(status);
  });

  it('a denied browser gets a page naming the app and who to ask, not the rules', async () => {
    const res = await browsers.bob!.request(`${stack.url}/admin/`);
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Demo app');
    expect(html).toContain('it-help@example.com');
    expect(html).not.toContain('admin-area');
    expect(html).not.toContain('admins');
  });

  it('machine tokens reach /api/* with the right scope per method', async () => {
    const read = await machineToken('demo-api/read');
    const both = await machineToken('demo-api/read demo-api/write');
    const get = await fetch(`${stack.url}/api/things`, { headers: { authorization: `Bearer ${read}`, accept: 'application/json' } });
    expect(get.status).toBe(200);
    const post = await fetch(`${stack.url}/api/things`, { method: 'POST', headers: { authorization: `Bearer ${read}` }, body: '{}' });
    expect(post.status).toBe(403);
    expect(post.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
    const post2 = await fetch(`${stack.url}/api/things`, { method: 'POST', headers: { authorization: `Bearer ${both}`, 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(post2.status).toBe(200);
    const bad = await fetch(`${stack.url}/api/things`, { headers: { authorization: `Bearer ${read.slice(0, -4)}AAAA` } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    // A bearer request never gets a redirect, even from a browser.
    const noToken = await fetch(`${stack.url}/api/things`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(noToken.status).toBe(401);
  });

  it('a machine token does not open browser apps', async () => {
    const token = await machineToken('demo-api/read');
    const res = await fetch(`${stack.url}/anything`, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
    expect(res.status).toBe(403);
  });
});
