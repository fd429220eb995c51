/**
 * Three gateways on one real redis-server (in one process, each with its own Redis client), reached
 * directly: bearer tokens of a signed-out sign-in are refused everywhere (origin_jti); sign-out
 * everywhere ends the user's other sessions on every instance at once (the user's not-before time);
 * the user look-up cache is the fleet's (one AdminGetUser per retention period); a disabled user found
 * by one instance's look-up is refused by every instance at once, also on apps without look-ups;
 * sign-in starts are limited per client address across the fleet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator';
import { TestBrowser } from '../helpers/browser';
import { POOL } from '../helpers/stack';
import { type FleetInstance, type InProcessFleet, startInProcessFleet } from './in-process-fleet';

let offset = 0;
const now = () => Date.now() + offset;
let running: InProcessFleet;
let emulator: RunningEmulator;
let fleet: FleetInstance[];
const STARTS = 6;

beforeAll(async () => {
  running = await startInProcessFleet({
    size: 3,
    keyPrefix: 'users-test:',
    now,
    emulatorNow: now,
    edit(raw, redisUrl) {
      raw.store = { type: 'redis', url: redisUrl, keyPrefix: 'users-test:', signInStarts: { max: STARTS, window: '1m' } };
      raw.headers.accessToken = 'X-Access-Token';
      raw.cognitoAdmin = { userCacheRetention: '1m' };
      raw.apps.push({
        id: 'looked-up',
        name: 'Looked-up app',
        pathPrefix: '/looked',
        upstream: raw.apps[0].upstream,
        cognito: { userLookup: true },
        policies: [{ name: 'signed-in', action: 'allow', include: [{ authenticated: true }] }],
      });
      // Before the catch-all demo app, so /looked/* reaches it.
      raw.apps.unshift(raw.apps.pop());
    },
  });
  ({ emulator, fleet } = running);
});

afterAll(async () => {
  await running?.close();
});

const json = { accept: 'application/json' };
const whoami = async (url: string, headers: Record<string, string>) => {
  const res = await fetch(`${url}/whoami`, { headers: { ...headers, ...json }, redirect: 'manual' });
  const body = (await res.json()) as { headers?: Record<string, string>; error?: string };
  return { status: res.status, body };
};

describe('users across a fleet on one Redis', () => {
  it('refuses the bearer tokens of a signed-out sign-in on every instance', async () => {
    const b = new TestBrowser();
    const origin = fleet[0]!.gateway.url;
    await b.signIn(`${origin}/`, 'alice', 'Alice-Passw0rd!');
    const seen = await whoami(origin, { cookie: b.cookieHeader(origin)! });
    const accessToken = seen.body.headers!['x-access-token']!;
    expect(accessToken.split('.')).toHaveLength(3);
    // Verified everywhere (403: the signed-in policy wants a session, not a token; a bad token would be 401).
    for (const f of fleet) {
      const r = await whoami(f.gateway.url, { authorization: `Bearer ${accessToken}` });
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 403, error: 'access_denied' });
    }

    expect((await b.request(`${origin}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    for (const f of fleet) {
      const res = await fetch(`${f.gateway.url}/whoami`, { headers: { authorization: `Bearer ${accessToken}`, ...json } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
      expect(res.headers.get('www-authenticate')).toContain('the access token has been revoked');
    }
  });

  it('ends every session of a user on every instance at once with sign-out everywhere', async () => {
    const laptop = new TestBrowser();
    const phone = new TestBrowser();
    await laptop.signIn(`${fleet[0]!.gateway.url}/`, 'bob', 'Bob-Passw0rd!');
    await phone.signIn(`${fleet[1]!.gateway.url}/`, 'bob', 'Bob-Passw0rd!');
    const phoneCookie = phone.cookieHeader(fleet[1]!.gateway.url)!;
    for (const f of fleet) expect((await whoami(f.gateway.url, { cookie: phoneCookie })).status).toBe(200);
    // Same-origin POST, as the sign-out button sends it (a cross-site GET could not do this).
    const out = await laptop.request(`${fleet[0]!.gateway.url}/_auth/logout?everywhere=1`, { method: 'POST', redirect: 'manual' });
    expect(out.status).toBe(302);
    for (const f of fleet) {
      const r = await whoami(f.gateway.url, { cookie: phoneCookie });
      expect(r).toEqual({ status: 401, body: expect.objectContaining({ error: 'unauthorized' }) });
    }
  });

  it('shares the user look-up cache: one AdminGetUser per retention period for the fleet', async () => {
    const b = new TestBrowser();
    const origin = fleet[0]!.gateway.url;
    await b.signIn(`${origin}/`, 'carol', 'Carol-Passw0rd!');
    const cookie = b.cookieHeader(origin)!;
    const lookups = () => fleet.reduce((n, f) => n + f.gateway.gateway().metrics.adminDuration.count({ operation: 'AdminGetUser' }), 0);
    const before = lookups();
    for (const f of fleet) {
      const res = await fetch(`${f.gateway.url}/looked/page`, { headers: { cookie, ...json } });
      expect(res.status).toBe(200);
    }
    expect(lookups() - before).toBe(1);
  });

  it('refuses a user one instance found disabled on every instance, also where no look-up runs', async () => {
    const b = new TestBrowser();
    const origin = fleet[0]!.gateway.url;
    await b.signIn(`${origin}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(origin)!;
    expect((await fetch(`${fleet[0]!.gateway.url}/looked/page`, { headers: { cookie, ...json } })).status).toBe(200);
    emulator.setUserEnabled(POOL, 'alice', false);
    try {
      offset += 2 * 60 * 1000; // past userCacheRetention (1m), before revalidateAfter (5m): the next look-up asks Cognito
      // Instance 0's look-up finds the user disabled; the others (on the demo app, which runs no
      // look-up) refuse at once from the user's not-before time, before any refresh is tried.
      const looked = await fetch(`${fleet[0]!.gateway.url}/looked/page`, { headers: { cookie, ...json } });
      expect(looked.status).toBe(401);
      expect(fleet[0]!.logs.some((l) => l.msg === 'session ended' && String(l.reason).includes('disabled'))).toBe(true);
      for (const f of fleet.slice(1)) {
        const r = await whoami(f.gateway.url, { cookie });
        expect({ status: r.status, error: r.body.error }).toEqual({ status: 401, error: 'unauthorized' });
        expect(f.logs.some((l) => l.msg === 'session ended' && l.reason === 'session revoked')).toBe(true);
      }
    } finally {
      emulator.setUserEnabled(POOL, 'alice', true);
    }
  });

  it('limits sign-in starts per client address across the fleet, with Retry-After', async () => {
    const answers: Array<{ status: number; retryAfter: string | null }> = [];
    for (let i = 0; i < STARTS + 3; i++) {
      const f = fleet[i % 3]!;
      const res = await fetch(`${f.gateway.url}/_auth/login?rd=%2F`, { redirect: 'manual' });
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      await res.arrayBuffer();
    }
    // Earlier tests started sign-ins from this address too: count from the first refusal.
    const firstRefused = answers.findIndex((a) => a.status === 429);
    expect(firstRefused).toBeGreaterThanOrEqual(0);
    expect(answers.slice(firstRefused).every((a) => a.status === 429 && Number(a.retryAfter) > 0 && Number(a.retryAfter) <= 60)).toBe(true);
    expect(answers.slice(0, firstRefused).every((a) => a.status === 302)).toBe(true);
  });
});
