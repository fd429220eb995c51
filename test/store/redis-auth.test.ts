/**
 * Redis AUTH with an ACL user of least privilege (its own key pattern and notice channel, nothing
 * `@dangerous`), on a real redis-server: the credentials from GATEWAY_REDIS_USERNAME /
 * GATEWAY_REDIS_PASSWORD and, percent-encoded, from the URL both work (sessions, revocation across
 * two gateways with live notices); a wrong password gives 503 store_unavailable with a request id,
 * never a 500, and no log line of any gateway carries a password.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

const PASSWORD = 'Gw-Redis-P4ss!';
const WRONG = 'Wrong-Redis-P4ss!';
let redis: RunningRedis;
let stack: Stack; // credentials from the environment
let fromUrl: RunningGateway; // credentials in the URL
let wrong: RunningGateway; // a wrong password
const urlLogs = createMemoryLogger('debug');
const wrongLogs = createMemoryLogger('debug');
const urlEnv = { COGNITO_ENDPOINT: 'http://127.0.0.1:9' };
const wrongEnv = { COGNITO_ENDPOINT: 'http://127.0.0.1:9', GATEWAY_REDIS_USERNAME: 'gw', GATEWAY_REDIS_PASSWORD: WRONG };

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  redis = await startRedis();
  redisCli('ACL', 'SETUSER', 'gw', 'on', `>${PASSWORD}`, '~auth-test:*', '&auth-test:invalidate', '+@all', '-@dangerous');
  stack = await startStack({
    env: { GATEWAY_REDIS_USERNAME: 'gw', GATEWAY_REDIS_PASSWORD: PASSWORD },
    edit: (raw) => {
      raw.store = { type: 'redis', url: redis.url, keyPrefix: 'auth-test:' };
    },
  });
  const inUrl = structuredClone(stack.config);
  inUrl.store.url = `redis://gw:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}/0`;
  fromUrl = await startNodeGateway({ config: inUrl, port: 0, host: '127.0.0.1', logger: urlLogs, env: urlEnv });
  wrong = await startNodeGateway({ config: stack.config, port: 0, host: '127.0.0.1', logger: wrongLogs, env: wrongEnv });
  stack.emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [stack.url, fromUrl.url, wrong.url].map((o) => `${o}/_auth/callback`),
    logoutUrls: [stack.url, fromUrl.url, wrong.url].map((o) => `${o}/`),
  });
});
afterAll(async () => {
  for (const g of [fromUrl, wrong]) await g?.close();
  await closeNodeStore(urlEnv);
  await closeNodeStore(wrongEnv);
  await stack?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
const whoami = async (url: string, cookie: string) => {
  const res = await fetch(`${url}/whoami`, { headers: { cookie, ...json } });
  const body = (await res.json()) as { error?: string; request_id?: string };
  return { status: res.status, error: body.error, requestId: body.request_id };
};

describe('Redis AUTH with a least-privilege ACL user', () => {
  it('works with the credentials from the environment and from the URL; the notices are live', async () => {
    await expect
      .poll(() => stack.gateway.gateway().stores.store.invalidations!.live && fromUrl.gateway().stores.store.invalidations!.live, {
        timeout: 5000,
        interval: 20,
      })
      .toBe(true);
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const copy = b.cookieHeader(stack.url)!;
    expect((await whoami(fromUrl.url, copy)).status).toBe(200);
    expect((await b.request(`${stack.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    for (const url of [stack.url, fromUrl.url]) expect(await whoami(url, copy)).toMatchObject({ status: 401, error: 'unauthorized' });
    expect(redisCli('--scan', '--pattern', 'auth-test:{u:*}:sid:*').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a wrong password answers 503 store_unavailable with a request id, and no log carries a password', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const answer = await whoami(wrong.url, b.cookieHeader(stack.url)!);
    expect({ status: answer.status, error: answer.error }).toEqual({ status: 503, error: 'store_unavailable' });
    expect(answer.requestId).toMatch(/\S{8,}/);
    // Both lines name the cause Redis gave (not only "not reachable" / "stream isn't writeable").
    const atStart = wrongLogs.lines.find((l) => String(l.msg).startsWith('shared store not reachable at start'));
    expect(String(atStart?.reason)).toContain('WRONGPASS');
    const unavailable = wrongLogs.lines.find((l) => l.msg === 'shared store unavailable');
    expect(String(unavailable?.reason)).toContain('WRONGPASS');
    const text = JSON.stringify([...stack.logs, ...urlLogs.lines, ...wrongLogs.lines]);
    for (const secret of [PASSWORD, WRONG, encodeURIComponent(PASSWORD)]) expect(text.includes(secret), secret).toBe(false);
  });
});
