/**
 * The opened-session cache keeps sessions without their refresh token (src/oidc/session-data.ts
 * sessionCacheView); through the running gateway, the steps that need the token still get it from
 * the cookie: the last-seen write-back seals it again, a refresh uses it, and sign-out revokes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionData } from '../../src/oidc/session-data';
import { createSessionStore } from '../../src/session';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let offset = 0;
const now = () => Date.now() + offset;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ now, emulatorNow: now });
});
afterAll(() => stack?.close());

/** The whole session sealed in a browser's cookies (a store of its own with the gateway's secrets). */
async function wholeSession(b: TestBrowser): Promise<SessionData | undefined> {
  const reader = createSessionStore<SessionData>({ cookie: stack.config.cookies, secrets: stack.config.session.secrets, maxAgeSeconds: 3600, now });
  return reader.readWhole(b.cookieHeader(stack.url) ?? null, stack.url);
}

async function refreshGrant(refreshToken: string) {
  const res = await fetch(`${stack.emulator.hostedUiBase}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('demo-gateway:demo-gateway-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('sessions served from the cache without their refresh token', () => {
  it('write back, refresh and sign out with the refresh token from the cookie', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const signedIn = (await wholeSession(b))!;
    expect(signedIn.refreshToken).toMatch(/^eyJ/);
    expect(signedIn.refreshTokenWithheld).toBeUndefined();
    const cached = stack.gateway.gateway().realms.default.sessions;
    const seen = async () => {
      const res = await b.request(`${stack.url}/whoami`, { headers: { accept: 'application/json' } });
      return { status: res.status, user: res.status === 200 ? ((await res.json()) as { headers: Record<string, string> }).headers['x-auth-user'] : undefined };
    };
    expect(await seen()).toEqual({ status: 200, user: 'alice' });
    const hitsBefore = cached.cacheStats().hits;
    expect(await seen()).toEqual({ status: 200, user: 'alice' });
    expect(cached.cacheStats().hits).toBe(hitsBefore + 1);

    // 61 s on: the last-seen time is written back from the cached view, with the refresh token.
    offset += 61_000;
    expect(await seen()).toEqual({ status: 200, user: 'alice' });
    const written = (await wholeSession(b))!;
    expect(written.lastSeenAt).toBeGreaterThan(signedIn.lastSeenAt);
    expect(written.refreshToken).toBe(signedIn.refreshToken);
    expect(written.refreshTokenWithheld).toBeUndefined();
    expect(written.sid).toBe(signedIn.sid);

    // Past revalidateAfter (5 min): the refresh uses the cookie's refresh token.
    offset += 6 * 60_000;
    expect(await seen()).toEqual({ status: 200, user: 'alice' });
    const refreshed = (await wholeSession(b))!;
    expect(refreshed.validatedAt).toBeGreaterThan(written.validatedAt);
    expect(refreshed.refreshToken).toMatch(/^eyJ/);
    expect(stack.logs.some((l) => l.msg === 'session refreshed' && l.sid === signedIn.sid)).toBe(true);

    // Sign-out revokes the refresh token at the IdP.
    expect((await refreshGrant(refreshed.refreshToken!)).status).toBe(200);
    const out = await b.request(`${stack.url}/_auth/logout`);
    expect(out.status).toBe(302);
    expect(stack.logs.some((l) => l.msg === 'refresh token revoked' && l.sid === signedIn.sid)).toBe(true);
    const after = await refreshGrant(refreshed.refreshToken!);
    expect(after).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
  });
});
