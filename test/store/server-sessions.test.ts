/**
 * session.storage: store on a real redis-server: the cookie is one small sealed id; the session
 * record in Redis is encrypted (no token or claim readable there); a second gateway on the same Redis
 * reads the same session; logout deletes the record; Redis down gives 503 store_unavailable.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { createMemoryLogger } from '../../src/log';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
let stack: Stack;
let second: RunningGateway;
const secondEnv = { COGNITO_ENDPOINT: 'http://127.0.0.1:9' };

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
const sessionKeys = () => redisCli('--scan', '--pattern', 'ss-test:{c:session:*').split('\n').filter(Boolean);

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    edit: (raw) => {
      raw.store = { type: 'redis', url: redis.url, keyPrefix: 'ss-test:' };
      raw.session.storage = 'store';
      raw.headers.accessToken = 'X-Access-Token';
    },
  });
  second = await startNodeGateway({ config: stack.config, port: 0, host: '127.0.0.1', logger: createMemoryLogger('error'), env: secondEnv });
  stack.emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [`${stack.url}/_auth/callback`, `${second.url}/_auth/callback`],
    logoutUrls: [`${stack.url}/`, `${second.url}/`],
  });
});
afterAll(async () => {
  await second?.close();
  await closeNodeStore(secondEnv);
  await stack?.gateway.gateway().stores.store.close();
  await stack?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };

describe('server-side sessions', () => {
  it('keeps one small cookie, an encrypted record, and the same session on every instance', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookies = b.cookies(new URL(stack.url).hostname);
    const sessionCookies = [...cookies.keys()].filter((n) => n.includes('_session'));
    expect(sessionCookies).toEqual(['_cgw_session']);
    expect(cookies.get('_cgw_session')!.length).toBeLessThan(400);

    const cookie = b.cookieHeader(stack.url)!;
    for (const url of [stack.url, second.url]) {
      const res = await fetch(`${url}/whoami`, { headers: { cookie, ...json } });
      expect(res.status).toBe(200);
      const seen = ((await res.json()) as { headers: Record<string, string> }).headers;
      expect(seen['x-auth-user']).toBe('alice');
      expect(seen['x-auth-groups']).toBe('admins,staff');
      expect(seen['x-access-token']!.split('.')).toHaveLength(3);
    }

    const keys = sessionKeys();
    expect(keys).toHaveLength(1);
    const record = redisCli('GET', keys[0]!);
    expect(record).toMatch(/^[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(record).not.toContain('alice');
    expect(Number(redisCli('PTTL', keys[0]!))).toBeGreaterThan(11 * 3600 * 1000);

    expect((await b.request(`${second.url}/_auth/logout`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
    expect(sessionKeys()).toEqual([]);
    expect((await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } })).status).toBe(401);
  });

  it('answers 503 store_unavailable while Redis is down', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    await redis.stop();
    try {
      const res = await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toBe('store_unavailable');
    } finally {
      await redis.start();
    }
  });
});
