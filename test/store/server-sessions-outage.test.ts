/**
 * `session.storage: store` while Redis hangs (SIGSTOP: it keeps its data but answers nothing), then
 * comes back. A logout during the outage cannot read the session record, so it can neither revoke
 * the refresh token nor delete the record nor write the revocation: answering "signed out" then
 * would leave every copy of the cookie a working session (refreshing too) once Redis answers again,
 * for the session's whole lifetime. So it answers 503 `store_unavailable` with a request id and keeps
 * the cookie, and the same logout once Redis is back ends the session everywhere. A Redis restarted
 * without persistence has forgotten every session: 401, and a new sign-in works (README, Scale-out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
let stack: Stack;
let second: RunningGateway;
const secondEnv = { COGNITO_ENDPOINT: 'http://127.0.0.1:9' };

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    edit: (raw) => {
      raw.store = { type: 'redis', url: redis.url, keyPrefix: 'sso-test:', timeoutMs: 200 };
      raw.session.storage = 'store';
    },
  });
  second = await startNodeGateway({ config: stack.config, port: 0, host: '127.0.0.1', logger: createMemoryLogger('error'), env: secondEnv });
  stack.emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [`${stack.url}/_auth/callback`, `${second.url}/_auth/callback`],
    logoutUrls: [`${stack.url}/`, `${second.url}/`],
  });
});
afterAll(async () => {
  redis?.resume();
  await second?.close();
  await closeNodeStore(secondEnv);
  await stack?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
const whoami = async (url: string, cookie: string) => {
  const res = await fetch(`${url}/whoami`, { headers: { cookie, ...json } });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, error: body.error };
};

describe('server-side sessions: logout while Redis hangs', () => {
  it('answers 503 store_unavailable and keeps the cookie; once Redis is back the logout ends every copy', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const copy = b.cookieHeader(stack.url)!;
    expect((await whoami(second.url, copy)).status).toBe(200);

    redis.pause();
    let during: Response;
    try {
      during = await b.request(`${stack.url}/_auth/logout`, { headers: json, redirect: 'manual' });
      expect(await whoami(second.url, copy)).toEqual({ status: 503, error: 'store_unavailable' });
    } finally {
      redis.resume();
    }
    const text = await during.text();
    const body = (during.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as { error?: string; request_id?: string };
    expect({ status: during.status, error: body.error }).toEqual({ status: 503, error: 'store_unavailable' });
    expect(body.request_id).toBe(during.headers.get('x-request-id'));
    expect(during.headers.getSetCookie().filter((c) => c.includes('_session'))).toEqual([]);
    expect(stack.logs.some((l) => l.error === 'store_unavailable' && l.requestId === body.request_id)).toBe(true);

    // Redis answers again (its data intact): the session was not ended, and the browser still holds it.
    await expect.poll(async () => (await whoami(second.url, copy)).status, { timeout: 5000, interval: 50 }).toBe(200);
    const after = await b.request(`${stack.url}/_auth/logout`, { redirect: 'manual' });
    expect(after.status).toBe(302);
    for (const url of [stack.url, second.url]) expect(await whoami(url, copy)).toEqual({ status: 401, error: 'unauthorized' });
  });

  it('a Redis restarted without persistence has forgotten the sessions: 401 unauthorized, then a new sign-in works', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    expect((await whoami(second.url, cookie)).status).toBe(200);
    await redis.stop();
    await redis.start();
    await expect.poll(async () => (await whoami(second.url, cookie)).status, { timeout: 5000, interval: 50 }).toBe(401);
    for (const url of [stack.url, second.url]) expect(await whoami(url, cookie)).toEqual({ status: 401, error: 'unauthorized' });
    const again = new TestBrowser();
    expect((await again.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!')).res.status).toBe(200);
    expect((await whoami(second.url, again.cookieHeader(stack.url)!)).status).toBe(200);
  });
});
