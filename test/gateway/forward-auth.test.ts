/**
 * Forward auth (/_auth/verify): originalRequest reads nginx's X-Original-URL (raw path kept) and
 * Traefik/Caddy's X-Forwarded-*, refusing malformed input; as Traefik and Caddy call it, an anonymous
 * browser is sent to sign in (302) and an API client gets 401, an allowed user 200 with identity
 * headers, a denied one 403, a bypass 200 bare, decided on the normalised original path and method;
 * forwarded headers are believed only from trustedProxies. With real nginx auth_request in front, a
 * browser signs in through nginx and the upstream gets the identity nginx copied; a denial is 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalRequest } from '../../src/gateway/routes/forward-auth';
import { TestBrowser } from '../helpers/browser';
import { startCaddy, type RunningCaddy } from '../helpers/caddy';
import { startNginx, type RunningNginx } from '../helpers/nginx';
import { readmeBlock } from '../helpers/readme';
import { rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';

/** The README's nginx snippet, tested as written (hosts replaced). */
const NGINX_SNIPPET = readmeBlock('nginx', 'forward-auth');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.trustedProxies = ['127.0.0.1/32'];
      raw.forwardAuth = { proxy: 'traefik' };
    },
  });
});
afterAll(() => stack?.close());

describe("originalRequest: only the configured proxy's header family is believed", () => {
  it('nginx: reads X-Original-URL keeping the raw path', () => {
    expect(originalRequest(new Headers({ 'x-original-url': 'https://app.example/a/../admin?x=1', 'x-original-method': 'post' }), 'nginx')).toEqual({
      ok: true,
      request: { method: 'POST', target: '/a/../admin?x=1', host: 'app.example', proto: 'https', canRedirect: false },
    });
  });
  it('traefik and caddy: read X-Forwarded-*', () => {
    for (const proxy of ['traefik', 'caddy'] as const) {
      expect(
        originalRequest(
          new Headers({ 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example', 'x-forwarded-uri': '/x?y' }),
          proxy,
        ),
      ).toEqual({
        ok: true,
        request: { method: 'GET', target: '/x?y', host: 'app.example', proto: 'https', canRedirect: true },
      });
    }
  });
  it('ignores the other family: X-Original-URL alone means nothing behind Traefik, X-Forwarded-* nothing behind nginx', () => {
    expect(originalRequest(new Headers({ 'x-original-url': 'http://app.example/public/x' }), 'traefik')).toMatchObject({
      ok: false,
      code: 'missing_original_request',
    });
    expect(originalRequest(new Headers({ 'x-forwarded-host': 'app.example', 'x-forwarded-uri': '/public/x' }), 'nginx')).toMatchObject({
      ok: false,
      code: 'missing_original_request',
    });
    // The same target in both families is harmless.
    const same = { 'x-original-url': 'http://app.example/admin/', 'x-forwarded-host': 'app.example', 'x-forwarded-uri': '/admin/' };
    expect(originalRequest(new Headers(same), 'nginx')).toMatchObject({ ok: true, request: { target: '/admin/' } });
    expect(originalRequest(new Headers(same), 'caddy')).toMatchObject({ ok: true, request: { target: '/admin/' } });
  });
  it('refuses both families naming different requests (a client added the other one)', () => {
    const smuggled = { 'x-forwarded-host': 'app.example', 'x-forwarded-uri': '/admin/', 'x-original-url': 'http://app.example/public/x' };
    expect(originalRequest(new Headers(smuggled), 'traefik')).toMatchObject({ ok: false, code: 'conflicting_original_request' });
    const reverse = { 'x-original-url': 'http://app.example/admin/', 'x-forwarded-uri': '/public/x' };
    expect(originalRequest(new Headers(reverse), 'nginx')).toMatchObject({ ok: false, code: 'conflicting_original_request' });
    expect(
      originalRequest(
        new Headers({ 'x-original-url': 'http://app.example/admin/', 'x-forwarded-host': 'evil.example', 'x-forwarded-uri': '/admin/' }),
        'nginx',
      ),
    ).toMatchObject({ ok: false, code: 'conflicting_original_request' });
  });
  it('refuses malformed input', () => {
    expect(originalRequest(new Headers({ 'x-original-url': 'javascript:alert(1)' }), 'nginx')).toMatchObject({ ok: false, code: 'missing_original_request' });
    expect(originalRequest(new Headers({ 'x-forwarded-host': 'a', 'x-forwarded-uri': 'no-slash' }), 'traefik')).toMatchObject({
      ok: false,
      code: 'missing_original_request',
    });
    expect(originalRequest(new Headers({}), 'caddy')).toMatchObject({ ok: false, code: 'missing_original_request' });
  });
});

/** What Traefik's forwardAuth and Caddy's forward_auth send. */
function traefik(host: string, uri: string, extra: Record<string, string> = {}) {
  return {
    'x-forwarded-method': 'GET',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': host,
    'x-forwarded-uri': uri,
    'x-forwarded-for': '203.0.113.9',
    ...extra,
  };
}

describe('/_auth/verify as Traefik and Caddy call it', () => {
  it('sends an anonymous browser to sign in (302) and an API client a 401', async () => {
    const host = new URL(stack.url).host;
    const browser = await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/reports?q=1', { accept: 'text/html' }) });
    expect(browser.status).toBe(302);
    expect(String(browser.headers.location)).toContain('/oauth2/authorize');
    const api = await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/reports', { accept: 'application/json' }) });
    expect(api.status).toBe(401);
  });

  it('answers 200 with identity headers for an allowed user, 403 for a denied one, 200 bare for bypass', async () => {
    const host = new URL(stack.url).host;
    const alice = new TestBrowser();
    await alice.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const ok = await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/admin/x', { cookie: alice.cookieHeader(stack.url)! }) });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-auth-user']).toBe('alice');
    expect(ok.headers['x-auth-groups']).toBe('admins,staff');
    expect(String(ok.headers['x-auth-assertion'])).toMatch(/^eyJ/);

    const bob = new TestBrowser();
    await bob.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const no = await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/admin/x', { cookie: bob.cookieHeader(stack.url)! }) });
    expect(no.status).toBe(403);

    const pub = await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/public/x', { cookie: bob.cookieHeader(stack.url)! }) });
    expect(pub.status).toBe(200);
    // Present and empty, so a proxy copying it overwrites a client's own copy (and Caddy sends no placeholder).
    expect(pub.headers['x-auth-user']).toBe('');
    expect(pub.headers['x-auth-assertion']).toBe('');
  });

  it('decides on the normalised original path and method', async () => {
    const host = new URL(stack.url).host;
    const bob = new TestBrowser();
    await bob.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const cookie = bob.cookieHeader(stack.url)!;
    expect((await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/public/../admin/', { cookie }) })).status).toBe(403);
    expect((await rawRequest(stack.url, '/_auth/verify', { headers: traefik(host, '/public/..%2fadmin', { cookie }) })).status).toBe(400);
  });
});

describe("/_auth/verify behind Traefik/Caddy refuses a client's X-Original-URL (they pass client headers on)", () => {
  it('an anonymous client cannot reach /admin/ by naming /public in X-Original-URL', async () => {
    const host = new URL(stack.url).host;
    const res = await rawRequest(stack.url, '/_auth/verify', {
      headers: traefik(host, '/admin/', { accept: 'application/json', 'x-original-url': `http://${host}/public/x` }),
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toBe('conflicting_original_request');
  });
  it('bob does not get /admin/ with identity headers that way either', async () => {
    const host = new URL(stack.url).host;
    const bob = new TestBrowser();
    await bob.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const res = await rawRequest(stack.url, '/_auth/verify', {
      headers: traefik(host, '/admin/', { cookie: bob.cookieHeader(stack.url)!, 'x-original-url': `http://${host}/docs`, 'x-original-method': 'GET' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers['x-auth-user']).toBeUndefined();
  });
});

describe('/_auth/verify is off until forwardAuth.proxy says which proxy calls it', () => {
  it('answers 404 forward_auth_disabled from a trusted peer when forwardAuth is not configured', async () => {
    const off = await startStack({ edit: (raw) => (raw.trustedProxies = ['127.0.0.1/32']) });
    try {
      const res = await rawRequest(off.url, '/_auth/verify', { headers: traefik('app.example', '/public/x', { accept: 'application/json' }) });
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).error).toBe('forward_auth_disabled');
    } finally {
      await off.close();
    }
  });
});

describe('/_auth/verify trusts forwarded headers only from configured proxies', () => {
  it('refuses a peer that is not in trustedProxies', async () => {
    const plain = await startStack({ edit: (raw) => (raw.forwardAuth = { proxy: 'traefik' }) }); // no trustedProxies
    try {
      const res = await rawRequest(plain.url, '/_auth/verify', { headers: traefik('app.example', '/public/x', { accept: 'application/json' }) });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error).toBe('untrusted_proxy');
    } finally {
      await plain.close();
    }
  });
});

describe('nginx auth_request in front of the gateway (real nginx, the README snippet)', () => {
  let nginx: RunningNginx;
  let gwStack: Stack;
  beforeAll(async () => {
    gwStack = await startStack({
      edit: (raw) => {
        raw.trustedProxies = ['127.0.0.1/32'];
        raw.forwardAuth = { proxy: 'nginx' };
      },
    });
    const gw = gwStack.url.replace('http://', '');
    const up = gwStack.upstream.url.replace('http://', '');
    nginx = await startNginx(NGINX_SNIPPET.replaceAll('127.0.0.1:8787', gw).replaceAll('app:8080', up));
    gwStack.emulator.setClientSettings(POOL, 'demo-gateway', {
      callbackUrls: [`${gwStack.url}/_auth/callback`, `${nginx.url}/_auth/callback`],
      logoutUrls: [`${gwStack.url}/`, `${nginx.url}/`],
    });
  });
  afterAll(async () => {
    await nginx?.close();
    await gwStack?.close();
  });

  it('signs a browser in through nginx and forwards the identity nginx copied from the gateway', async () => {
    const b = new TestBrowser();
    const first = await b.request(`${nginx.url}/reports?q=a&x=2`);
    expect(first.status).toBe(302);
    const signin = new URL(first.headers.get('location')!, nginx.url);
    expect(signin.pathname + signin.search).toBe('/_auth/login?rd=%2Freports%3Fq%3Da%26x%3D2');
    const done = await b.signIn(`${nginx.url}/reports?q=a&x=2`, 'alice', 'Alice-Passw0rd!');
    expect(done.url).toBe(`${nginx.url}/reports?q=a&x=2`);
    expect(done.res.status).toBe(200);
    const res = await b.request(`${nginx.url}/reports?q=a&x=2`, { headers: { accept: 'application/json', 'x-auth-user': 'mallory' } });
    const seen = (await res.json()) as { headers: Record<string, string>; query: string };
    expect(seen.headers['x-auth-user']).toBe('alice');
    expect(seen.headers['x-auth-groups']).toBe('admins,staff');
    expect(seen.query).toBe('q=a&x=2');
  });

  it("a denied user sees the gateway's 403 page (the app, whom to ask, sign in as someone else)", async () => {
    const b = new TestBrowser();
    await b.signIn(`${nginx.url}/`, 'bob', 'Bob-Passw0rd!');
    const res = await b.request(`${nginx.url}/admin/`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<h1>Access denied</h1>');
    expect(html).toContain('Demo app');
    expect(html).toContain('it-help@example.com');
    expect(html).toContain('Signed in as <strong>bob</strong>');
    expect(html).toContain('/_auth/login?prompt=login&amp;rd=%2Fadmin%2F');
  });

  it("a client's own X-Forwarded-Uri / X-Original-URL change nothing behind nginx", async () => {
    const anon = await rawRequest(nginx.url, '/admin/', {
      headers: { 'x-forwarded-uri': '/public/x', 'x-forwarded-host': 'evil.example', 'x-original-url': 'http://x/public/x' },
    });
    expect(anon.status).toBe(302);
    expect(String(anon.headers.location)).toBe(`${nginx.url}/_auth/login?rd=%2Fadmin%2F`);
  });
});

describe('Caddy forward_auth in front of the gateway (real Caddy 2.6, the README snippet)', () => {
  let caddy: RunningCaddy;
  let gwStack: Stack;
  beforeAll(async () => {
    gwStack = await startStack({
      edit: (raw) => {
        raw.trustedProxies = ['127.0.0.1/32'];
        raw.forwardAuth = { proxy: 'caddy' };
      },
    });
    const site = readmeBlock('caddy', 'forward-auth-caddy')
      .replace('app.example.com', 'SITE')
      .replaceAll('cognito-gateway:8787', gwStack.url.replace('http://', ''))
      .replaceAll('app:8080', gwStack.upstream.url.replace('http://', ''));
    caddy = await startCaddy(site);
    gwStack.emulator.setClientSettings(POOL, 'demo-gateway', {
      callbackUrls: [`${gwStack.url}/_auth/callback`, `${caddy.url}/_auth/callback`],
      logoutUrls: [`${gwStack.url}/`, `${caddy.url}/`],
    });
  });
  afterAll(async () => {
    await caddy?.close();
    await gwStack?.close();
  });

  it('signs a browser in through Caddy and the app sees the identity Caddy copied', async () => {
    const b = new TestBrowser();
    const done = await b.signIn(`${caddy.url}/reports?q=1`, 'alice', 'Alice-Passw0rd!');
    expect(done.url).toBe(`${caddy.url}/reports?q=1`);
    const res = await b.request(`${caddy.url}/reports?q=1`, { headers: { accept: 'application/json', 'x-auth-user': 'mallory' } });
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-auth-user']).toBe('alice');
    expect(seen.headers['x-auth-groups']).toBe('admins,staff');
    expect(seen.headers['x-auth-assertion']).toMatch(/^eyJ/);
  });

  it("on a bypassed path the app gets neither a placeholder nor the client's copies", async () => {
    const res = await rawRequest(caddy.url, '/public/x', { headers: { accept: 'application/json', 'x-auth-user': 'mallory', 'x-auth-groups': 'admins' } });
    expect(res.status).toBe(200);
    const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    for (const name of ['x-auth-user', 'x-auth-email', 'x-auth-groups', 'x-auth-assertion']) expect(seen[name] ?? '', name).toBe('');
    expect(res.body).not.toContain('{http.reverse_proxy');
  });

  it("anonymous browsers are sent to sign in; a client's X-Original-URL is refused, not believed", async () => {
    const anon = await rawRequest(caddy.url, '/admin/', { headers: { accept: 'text/html' } });
    expect(anon.status).toBe(302);
    expect(String(anon.headers.location)).toContain('/oauth2/authorize');
    const smuggled = await rawRequest(caddy.url, '/admin/', { headers: { accept: 'application/json', 'x-original-url': `${caddy.url}/public/x` } });
    expect(smuggled.status).toBe(400);
    expect(JSON.parse(smuggled.body).error).toBe('conflicting_original_request');
  });
});

describe('Envoy ext_authz (HTTP service, path_prefix /_auth/verify): the check request is the original request', () => {
  let envoy: Stack;
  beforeAll(async () => {
    envoy = await startStack({
      edit: (raw) => {
        raw.trustedProxies = ['127.0.0.1/32'];
        raw.forwardAuth = { proxy: 'envoy' };
      },
    });
  });
  afterAll(() => envoy?.close());

  it('decides on the method, Host and path after the prefix', async () => {
    const host = new URL(envoy.url).host;
    const alice = new TestBrowser();
    await alice.signIn(`${envoy.url}/`, 'alice', 'Alice-Passw0rd!');
    const ok = await rawRequest(envoy.url, '/_auth/verify/admin/x?y=1', {
      headers: { host, cookie: alice.cookieHeader(envoy.url)!, 'x-forwarded-proto': 'http' },
    });
    expect([ok.status, ok.headers['x-auth-user']]).toEqual([200, 'alice']);
    const anon = await rawRequest(envoy.url, '/_auth/verify/admin/x', { headers: { host, accept: 'text/html' } });
    expect(anon.status).toBe(302);
    expect(String(anon.headers.location)).toContain('/oauth2/authorize');
    const post = await rawRequest(envoy.url, '/_auth/verify/api/things', {
      method: 'POST',
      headers: { host, accept: 'application/json', cookie: alice.cookieHeader(envoy.url)! },
    });
    expect([post.status, JSON.parse(post.body).error]).toEqual([401, 'unauthorized']);
  });

  it('refuses a client-added other family naming another request, and a check without the prefix', async () => {
    const host = new URL(envoy.url).host;
    const smuggled = await rawRequest(envoy.url, '/_auth/verify/admin/x', {
      headers: { host, accept: 'application/json', 'x-original-url': `http://${host}/public/x` },
    });
    expect([smuggled.status, JSON.parse(smuggled.body).error]).toEqual([400, 'conflicting_original_request']);
    const bare = await rawRequest(envoy.url, '/_auth/verify', { headers: { host, accept: 'application/json' } });
    expect([bare.status, JSON.parse(bare.body).error]).toEqual([400, 'missing_original_request']);
  });
});
