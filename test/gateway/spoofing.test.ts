/**
 * Client-sent identity headers (the gateway's own, the oauth2-proxy and Authelia presets, `_`
 * look-alikes, ALB's) never reach the upstream, on public and signed-in paths; the forwarded
 * assertion is the gateway's own (it verifies with jose against /_auth/jwks); X-Forwarded-* from an
 * untrusted peer is replaced; and no user agent, health path or internal-looking header skips sign-in.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { SPOOFED_IDENTITY_HEADERS as SPOOFED } from '../helpers/spoofing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ edit: (raw) => (raw.headers.presets = ['oauth2-proxy', 'authelia']) });
});
afterAll(() => stack?.close());

function upstreamSaw(body: string) {
  return JSON.parse(body) as { path: string; headers: Record<string, string> };
}

describe('identity headers a client sends never reach the upstream', () => {
  it('on a bypassed (public) path', async () => {
    const res = await rawRequest(stack.url, '/public/page', { headers: { accept: 'application/json', ...SPOOFED } });
    expect(res.status).toBe(200);
    const seen = upstreamSaw(res.body).headers;
    for (const name of Object.keys(SPOOFED)) expect(seen[name.toLowerCase()], name).toBeUndefined();
  });

  it("on a signed-in path: the gateway's values replace them", async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const res = await rawRequest(stack.url, '/page', { headers: { accept: 'application/json', cookie: b.cookieHeader(stack.url)!, ...SPOOFED } });
    expect(res.status).toBe(200);
    const seen = upstreamSaw(res.body).headers;
    expect(seen['x-auth-user']).toBe('bob');
    expect(seen['x-auth-groups']).toBe('staff');
    expect(seen['x-forwarded-user']).toBe('bob');
    expect(seen['remote-user']).toBe('bob');
    // The client's forged assertion was replaced by one the gateway signed for this user and app.
    const { payload } = await jwtVerify(seen['x-auth-assertion']!, createRemoteJWKSet(new URL(`${stack.url}/_auth/jwks`)), {
      audience: 'demo',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ username: 'bob', groups: ['staff'] });
    for (const name of ['x_auth_email', 'x-auth_user', 'x_forwarded_email', 'remote_groups', 'x-amzn-oidc-identity', 'x-auth-request-user']) {
      expect(seen[name], name).toBeUndefined();
    }
  });

  it('does not trust X-Forwarded-* from a peer that is not a configured proxy', async () => {
    const res = await rawRequest(stack.url, '/public/xff', {
      headers: { accept: 'application/json', 'x-forwarded-for': '10.9.9.9', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(200);
    const seen = upstreamSaw(res.body).headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(new URL(stack.url).host);
    // And the sign-in redirect is built from the real host, not the forwarded one.
    const login = await rawRequest(stack.url, '/page', { headers: { accept: 'text/html', 'x-forwarded-host': 'evil.example' } });
    expect(login.status).toBe(302);
    const redirectUri = new URL(String(login.headers.location)).searchParams.get('redirect_uri')!;
    expect(new URL(redirectUri).host).toBe(new URL(stack.url).host);
  });

  it('has no side doors: health path, user agents and internal-looking headers do not skip sign-in', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'user-agent': 'ELB-HealthChecker/2.0' },
      { 'user-agent': 'kube-probe/1.30' },
      { 'x-original-url': '/public/x' },
      { 'x-rewrite-url': '/public/x' },
      { 'x-forwarded-uri': '/public/x' },
    ]) {
      const res = await rawRequest(stack.url, '/secret', { headers: { accept: 'application/json', ...headers } });
      expect(res.status, JSON.stringify(headers)).toBe(401);
    }
    const health = await rawRequest(stack.url, '/_auth/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toBe('ok');
  });
});
