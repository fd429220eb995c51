/**
 * Sessions over time through the running gateway, on a stubbed clock: expired tokens refreshed
 * transparently; revalidation brings group changes to the headers; a revoked refresh token ends the
 * session at the next revalidation; 20 parallel requests on an expired session with rotating refresh
 * tokens all succeed; the absolute lifetime (12 h) and idle timeout end sessions, not before; a refresh
 * while the pool keys cannot be fetched keeps the rotated refresh token. Sign-out clears the gateway's
 * cookies, revokes the refresh token, ends the hosted-UI session, and validates its target.
 */
import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';

// One clock for the gateway and the emulator, so tokens expire for both at once.
let offset = 0;
const now = () => Date.now() + offset;
const advance = (seconds: number) => {
  offset += seconds * 1000;
};

let stack: Stack;
let sdk: CognitoIdentityProviderClient;
beforeAll(async () => {
  stack = await startStack({ now, emulatorNow: now });
  // Short token lifetimes (Cognito's minimum is 5 min; the emulator allows less) so expiry, not the
  // idle timeout or revalidation, is what triggers the refresh below.
  stack.emulator.setClientSettings(POOL, 'demo-gateway', { idTokenValidity: 120, accessTokenValidity: 120 });
  sdk = new CognitoIdentityProviderClient({ endpoint: stack.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(() => stack?.close());

async function headersSeen(b: TestBrowser, path = '/whoami') {
  const res = await b.request(`${stack.url}${path}`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as { headers: Record<string, string> }) : undefined, res };
}

describe('refresh and revalidation', () => {
  it('refreshes expired tokens transparently and keeps the session', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const before = b.cookieHeader(stack.url);
    advance(3 * 60); // tokens live 2 min; revalidation is not due yet (5 min)
    const r = await headersSeen(b);
    expect(r.status).toBe(200);
    expect(r.body!.headers['x-auth-user']).toBe('alice');
    expect(r.res.headers.getSetCookie().length).toBeGreaterThan(0);
    expect(b.cookieHeader(stack.url)).not.toBe(before);
    expect(stack.logs.some((l) => l.msg === 'session refreshed')).toBe(true);
  });

  it('revalidates within revalidateAfter: group changes reach the headers', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    expect((await headersSeen(b)).body!.headers['x-auth-groups']).toBe('staff');
    await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, Username: 'bob', GroupName: 'admins' }));
    try {
      // Still inside the revalidation window: the old groups stand.
      advance(60);
      expect((await headersSeen(b)).body!.headers['x-auth-groups']).toBe('staff');
      advance(5 * 60);
      expect((await headersSeen(b)).body!.headers['x-auth-groups']).toBe('admins,staff');
    } finally {
      await sdk.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: POOL, Username: 'bob', GroupName: 'admins' }));
    }
  });

  it('ends a session whose refresh token was revoked (global sign-out) at the next revalidation', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'carol', 'Carol-Passw0rd!');
    expect((await headersSeen(b)).status).toBe(200);
    await sdk.send(new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: 'carol' }));
    advance(6 * 60);
    const res = await b.request(`${stack.url}/whoami`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('/oauth2/authorize');
    // The dead session's cookies are cleared.
    expect(res.headers.getSetCookie().some((c) => /_session/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
    expect(stack.logs.some((l) => l.msg === 'session ended' && String(l.reason).includes('refresh refused'))).toBe(true);
  });

  it('survives a burst of 20 parallel requests on an expired session with rotating refresh tokens', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    advance(3 * 60);
    const cookie = b.cookieHeader(stack.url)!;
    const refreshesBefore = stack.logs.filter((l) => l.msg === 'session refreshed').length;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${stack.url}/burst`, { headers: { cookie, accept: 'application/json' }, redirect: 'manual' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    // One refresh served all twenty (single flight), so no request used a rotated-out token.
    expect(stack.logs.filter((l) => l.msg === 'session refreshed').length - refreshesBefore).toBe(1);
    // Keep the cookie the last response set, as a browser would, then let the old refresh token's
    // grace period pass: the session must hold the newest refresh token.
    b.store(stack.url, results[19]!);
    advance(3 * 60);
    const after = await headersSeen(b);
    expect(after.status).toBe(200);
    expect(after.body!.headers['x-auth-user']).toBe('alice');
  });

  it('ends the session after the absolute lifetime (12 h), not before', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    let elapsed = 0;
    let status = 200;
    while (status === 200 && elapsed < 14 * 3600) {
      advance(50 * 60); // a request every 50 minutes keeps the 1 h idle timeout from firing
      elapsed += 50 * 60;
      status = (await b.request(`${stack.url}/whoami`)).status;
    }
    expect(status).toBe(302);
    expect(elapsed).toBeGreaterThanOrEqual(12 * 3600);
    expect(elapsed).toBeLessThan(12 * 3600 + 50 * 60);
  });

  it('ends the session after the idle timeout', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    advance(61 * 60);
    expect((await b.request(`${stack.url}/whoami`)).status).toBe(302);
  });
});

describe('refresh while the pool keys cannot be fetched', () => {
  it('keeps the rotated refresh token when the new ID token cannot be checked yet', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    // The next ID token will be signed with a key the gateway has never seen, and the JWKS is down.
    stack.emulator.rotateKeys(POOL, 'id');
    stack.emulator.setJwksAvailable(POOL, false);
    try {
      advance(100); // tokens (2 min) still valid, but within 30 s of expiry: a refresh is due
      const during = await b.request(`${stack.url}/whoami`, { headers: { accept: 'application/json' } });
      expect(during.status).toBe(200);
      expect(stack.logs.some((l) => l.msg === 'revalidation postponed: identity provider unavailable')).toBe(true);
    } finally {
      stack.emulator.setJwksAvailable(POOL, true);
    }
    // Past the old refresh token's grace period (10 s) and the JWKS cool-down: the session must
    // still hold a live (the rotated) refresh token.
    advance(30);
    const after = await b.request(`${stack.url}/whoami`, { headers: { accept: 'application/json' } });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('alice');
  });
});

describe('sign-out', () => {
  it('clears gateway cookies, revokes the refresh token and ends the hosted-UI session', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const stolen = b.cookieHeader(stack.url)!;
    const out = await b.request(`${stack.url}/_auth/logout`);
    expect(out.status).toBe(302);
    const loc = new URL(out.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe(`${stack.emulator.hostedUiBase}/logout`);
    expect(loc.searchParams.get('client_id')).toBe('demo-gateway');
    expect(loc.searchParams.get('logout_uri')).toBe(`${stack.url}/`);
    expect(out.headers.getSetCookie().filter((c) => /Max-Age=0/i.test(c)).length).toBeGreaterThan(0);
    expect(b.cookieHeader(stack.url) ?? '').not.toMatch(/_session/);
    const back = await b.follow(loc.href, { stopAt: (u) => u.includes('/oauth2/authorize') });
    expect(back.url).toBe(`${stack.url}/`);
    // The hosted UI asks for the password again: its session ended too.
    const page = await b.follow(back.next!);
    expect(await page.res.text()).toMatch(/<form/i);
    // The stolen cookie dies at the next revalidation: its refresh token was revoked.
    advance(6 * 60);
    const replay = await fetch(`${stack.url}/whoami`, { headers: { cookie: stolen, accept: 'text/html' }, redirect: 'manual' });
    expect(replay.status).toBe(302);
  });

  it('validates the sign-out target like every redirect', async () => {
    const b = new TestBrowser();
    for (const rd of ['https://evil.example/', '//evil.example', '/\\evil.example', 'https:evil.example']) {
      const out = await b.request(`${stack.url}/_auth/logout?rd=${encodeURIComponent(rd)}`);
      const loc = new URL(out.headers.get('location')!);
      expect(loc.searchParams.get('logout_uri'), rd).toBe(`${stack.url}/`);
    }
    const ok = await b.request(`${stack.url}/_auth/logout?rd=%2Fpublic%2Fbye`);
    expect(new URL(ok.headers.get('location')!).searchParams.get('logout_uri')).toBe(`${stack.url}/public/bye`);
  });
});
