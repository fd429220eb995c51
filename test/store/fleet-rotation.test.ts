/**
 * Rotating refresh tokens with no grace period (the emulator's app client: each refresh answers
 * with a new refresh token, the old one dies at once) across two gateways on one real
 * redis-server. A burst of parallel requests on a session due for refresh, spread over both, makes
 * one refresh at the IdP and every request succeeds (none used the rotated-out token); the cookie
 * the responses set carries the new refresh token, and the next due refresh works from it, again
 * once for the fleet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator';
import type { SessionData } from '../../src/oidc/session-data';
import { TestBrowser } from '../helpers/browser';
import { type FleetInstance, type InProcessFleet, startInProcessFleet } from './in-process-fleet';
import { gatewaySessions } from '../helpers/gateway-sessions';

let running: InProcessFleet;
let emulator: RunningEmulator;
let fleet: FleetInstance[];
let readSession: (cookie: string, origin: string) => Promise<SessionData | undefined>;
let offset = 0;
const now = () => Date.now() + offset;

beforeAll(async () => {
  running = await startInProcessFleet({
    size: 2,
    keyPrefix: 'rotation-test:',
    now,
    logLevel: 'error',
    clientSettings: { refreshTokenRotation: true, refreshTokenGracePeriod: 0 },
  });
  ({ emulator, fleet } = running);
  const { config } = running;
  const sessions = gatewaySessions(config);
  readSession = (cookie, origin) => sessions.read(cookie, origin);
});

afterAll(async () => {
  await running?.close();
});

const json = { accept: 'application/json' };

/** 20 parallel requests over both gateways; each answer's status and the session cookie it sets. */
async function burst(cookie: string) {
  const answers = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const res = await fetch(`${fleet[i % 2]!.gateway.url}/whoami`, { headers: { cookie, ...json } });
      const body = (await res.json()) as { headers?: Record<string, string> };
      const set = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0]!)
        .filter((c) => c.includes('_session'));
      return { status: res.status, user: body.headers?.['x-auth-user'], set };
    }),
  );
  return answers;
}

describe('rotating refresh tokens across a fleet', () => {
  it('a burst over two gateways refreshes once, nobody uses the rotated-out token, and the next refresh works', async () => {
    const b = new TestBrowser();
    const origin = fleet[0]!.gateway.url;
    await b.signIn(`${origin}/`, 'alice', 'Alice-Passw0rd!');
    const first = b.cookieHeader(origin)!;
    const r1 = (await readSession(first, origin))!.refreshToken!;

    let grants = emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000; // past session.revalidateAfter (5m)
    const one = await burst(first);
    expect(one.map((a) => `${a.status} ${a.user}`)).toEqual(Array(20).fill('200 alice'));
    expect(emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
    // Every answer sets the refreshed session, all with the one new refresh token.
    const setCookies = one.map((a) => a.set.join('; '));
    expect(setCookies.every((c) => c.length > 0)).toBe(true);
    const tokens = new Set(await Promise.all(setCookies.map(async (c) => (await readSession(c, origin))?.refreshToken)));
    expect(tokens.size).toBe(1);
    const r2 = [...tokens][0]!;
    expect(r2).toBeTruthy();
    expect(r2).not.toBe(r1);

    grants = emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000;
    const two = await burst(setCookies[0]!);
    expect(two.map((a) => `${a.status} ${a.user}`)).toEqual(Array(20).fill('200 alice'));
    expect(emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
  });
});
