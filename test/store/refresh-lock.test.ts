/**
 * The fleet's refresh lock (src/store/once.ts) left behind by an instance that died mid-refresh:
 * its key is in a real redis-server with a time to live and no result. A session due for refresh
 * meanwhile waits for the result at most the refresh wait (idp.timeout + 1 s), then goes on with its
 * still-valid tokens (200, no second refresh at the IdP: with rotating refresh tokens the dead
 * owner may have used the token already); once the lock is gone the next request refreshes, once.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64url } from '../../src/session';
import { storeKeys } from '../../src/store';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';
import { gatewaySessions } from '../helpers/gateway-sessions';

let redis: RunningRedis;
let stack: Stack;
let offset = 0;
const now = () => Date.now() + offset;
const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    now,
    edit: (raw) => {
      raw.idp.timeout = 1;
      raw.store = { type: 'redis', url: redis.url, keyPrefix: 'lock-test:' };
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };

describe('a refresh lock whose owner died', () => {
  it('is waited for a bounded time with the tokens kept, then the refresh happens once', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    const config = stack.config;
    const sessions = gatewaySessions(config);
    const session = (await sessions.read(cookie, stack.url))!;
    const lockKey = `lock-test:${await storeKeys.lock('refresh', await sha256Base64url(session.refreshToken!))}`;
    redisCli('SET', lockKey, 'a-dead-instance', 'PX', '60000');

    const grants = stack.emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000; // past session.revalidateAfter (5m); the tokens (1 h) are still valid
    const waited = await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } });
    expect(waited.status).toBe(200);
    expect(((await waited.json()) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('alice');
    expect(stack.emulator.tokenGrantCount('refresh_token') - grants).toBe(0);
    expect(stack.logs.some((l) => l.msg === 'revalidation postponed: identity provider unavailable')).toBe(true);
    expect(redisCli('GET', lockKey)).toBe('a-dead-instance');

    redisCli('DEL', lockKey); // its time to live ran out
    const refreshed = await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } });
    expect(refreshed.status).toBe(200);
    expect(stack.emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
    expect(refreshed.headers.getSetCookie().some((c) => c.includes('_session='))).toBe(true);
    expect(redisCli('EXISTS', lockKey)).toBe('0');
  });
});
