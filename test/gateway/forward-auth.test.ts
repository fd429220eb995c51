/**
 * Forward auth (/_auth/verify): originalRequest reads nginx's X-Original-URL (raw path kept) and
 * Traefik/Caddy's X-Forwarded-*, refusing malformed input; as Traefik and Caddy call it, an anonymous
 * browser is sent to sign in (302) and an API client gets 401, an allowed user 200 with identity
 * headers, a denied one 403, a bypass 200 bare, decided on the normalised original path and method;
 * forwarded headers are believed only from trustedProxies. With real nginx auth_request in front, a
 * browser signs in through nginx and the upstream gets the identity nginx copied; a denial is 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalRequest } from '../../src/gateway/forward-auth';
import { TestBrowser } from '../helpers/browser';
import { startNginx, type RunningNginx } from '../helpers/nginx';
import { rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ edit: (raw) => (raw.trustedProxies = ['127.0.0.1/32']) });
});
afterAll(() => stack?.close());

describe('originalRequest (what the proxy says was asked)', () => {
  it('reads nginx X-Original-URL keeping the raw path', () => {
    expect(originalRequest(new Headers({ 'x-original-url': 'https://app.example/a/../admin?x=1', 'x-original-method': 'post' }))).toEqual({
      method: 'POST', target: '/a/../admin?x=1', host: 'app.example', proto: 'https', canRedirect: false,
    });
  });
  it('reads Traefik/Caddy X-Forwarded-*', () => {
    expect(originalRequest(new Headers({ 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example', 'x-forwarded-uri': '/x?y' }))).toEqual({
      method: 'GET', target: '/x?y', host: 'app.example', proto: 'https', canRedirect: true,
    });
  });
  it('refuses malformed input', () => {
    expect(originalRequest(new Headers({ 'x-original-url': 'javascript:alert(1)' }))).toBeUndefined();
    expect(originalRequest(new Headers({ 'x-forwarded-host': 'a', 'x-forwarded-uri': 'no-slash' }))).toBeUndefined();
    expect(originalRequest(new Headers({}))).toBeUndefined();
  });
});

/** What Traefik's forwardAuth and Caddy's forward_auth send. */
function traefik(host: string, uri: string, extra: Record<string, string> = {}) {
  return { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': uri, 'x-forwarded-for': '203.0.113.9', ...extra };
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
    expect(pub.headers['x-auth-user']).toBeUndefined();
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

describe('/_auth/verify trusts forwarded headers only from configured proxies', () => {
  it('refuses a peer that is not in trustedProxies', async () => {
    const plain = await startStack(); // no trustedProxies
    try {
      const res = await rawRequest(plain.url, '/_auth/verify', { headers: traefik('app.example', '/public/x', { accept: 'application/json' }) });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error).toBe('untrusted_proxy');
    } finally {
      await plain.close();
    }
  });
});

describe('nginx auth_request in front of the gateway (real nginx)', () => {
  let nginx: RunningNginx;
  beforeAll(async () => {
    const gw = stack.url.replace('http://', '');
    const up = stack.upstream.url.replace('http://', '');
    nginx = await startNginx(`
    location = /_gateway_verify {
      internal;
      proxy_pass http://${gw}/_auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location /_auth/ {
      proxy_pass http://${gw};
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
    location / {
      auth_request /_gateway_verify;
      auth_request_set $auth_user $upstream_http_x_auth_user;
      auth_request_set $auth_email $upstream_http_x_auth_email;
      auth_request_set $auth_groups $upstream_http_x_auth_groups;
      auth_request_set $auth_assertion $upstream_http_x_auth_assertion;
      auth_request_set $auth_signin $upstream_http_x_auth_signin;
      proxy_set_header X-Auth-User $auth_user;
      proxy_set_header X-Auth-Email $auth_email;
      proxy_set_header X-Auth-Groups $auth_groups;
      proxy_set_header X-Auth-Assertion $auth_assertion;
      proxy_pass http://${up};
      error_page 401 = @signin;
    }
    location @signin {
      return 302 $auth_signin;
    }`);
    stack.emulator.setClientSettings(POOL, 'demo-gateway', {
      callbackUrls: [`${stack.url}/_auth/callback`, `${nginx.url}/_auth/callback`],
      logoutUrls: [`${stack.url}/`, `${nginx.url}/`],
    });
  });
  afterAll(() => nginx?.close());

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

  it('nginx answers 403 when the policy denies', async () => {
    const b = new TestBrowser();
    await b.signIn(`${nginx.url}/`, 'bob', 'Bob-Passw0rd!');
    const res = await b.request(`${nginx.url}/admin/`);
    expect(res.status).toBe(403);
  });
});
