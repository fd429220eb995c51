/**
 * Several apps on several hosts sharing one sign-in: `publicUrl` fixes where the IdP sends users
 * back, `cookies.domain` shares the session, and a user returns to the host they asked for.
 * Host names under example.test are resolved to 127.0.0.1 by the test's own dispatcher.
 */
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { freePort } from '../helpers/nginx';

const loopback = new Agent({ connect: { lookup: (_host, _opts, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) } });
let stack: Stack;
let port: number;
const at = (host: string, path = '/') => `http://${host}.example.test:${port}${path}`;

beforeAll(async () => {
  port = await freePort();
  stack = await startStack({
    port,
    edit: (raw) => {
      raw.publicUrl = `http://login.example.test:${port}`;
      raw.cookies = { domain: 'example.test', secure: false };
      raw.redirects = { allowedHosts: ['*.example.test'] };
      raw.apps = [
        {
          id: 'wiki',
          hosts: [`wiki.example.test:${port}`],
          upstream: raw.apps[1].upstream,
          policies: [{ name: 'staff', action: 'allow', include: [{ groups: ['staff'] }] }],
        },
        {
          id: 'admin',
          hosts: [`admin.example.test:${port}`],
          upstream: raw.apps[1].upstream,
          policies: [{ name: 'admins', action: 'allow', include: [{ groups: ['admins'] }] }],
        },
      ];
    },
  });
  stack.emulator.setClientSettings(POOL, 'demo-gateway', { callbackUrls: [at('login', '/_auth/callback')], logoutUrls: [at('login', '/')] });
});
afterAll(async () => {
  await stack?.close();
  await loopback.close();
});

describe('one sign-in for apps on several hosts', () => {
  it('signs in on publicUrl, returns to the host asked for, and the session works on the other host', async () => {
    const b = new TestBrowser();
    b.dispatcher = loopback;
    const first = await b.request(at('wiki', '/page?x=1'));
    expect(first.status).toBe(302);
    expect(new URL(first.headers.get('location')!).searchParams.get('redirect_uri')).toBe(at('login', '/_auth/callback'));
    const done = await b.signIn(at('wiki', '/page?x=1'), 'alice', 'Alice-Passw0rd!');
    expect(done.url).toBe(at('wiki', '/page?x=1'));
    expect(done.res.status).toBe(200);
    const admin = await b.request(at('admin', '/users'), { headers: { accept: 'application/json' } });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('alice');
  });

  it('denies by host: bob reaches the wiki but not the admin host', async () => {
    const b = new TestBrowser();
    b.dispatcher = loopback;
    await b.signIn(at('wiki', '/'), 'bob', 'Bob-Passw0rd!');
    expect((await b.request(at('wiki', '/x'), { headers: { accept: 'application/json' } })).status).toBe(200);
    expect((await b.request(at('admin', '/x'), { headers: { accept: 'application/json' } })).status).toBe(403);
    expect((await b.request(at('other', '/x'), { headers: { accept: 'application/json' } })).status).toBe(404);
  });
});
