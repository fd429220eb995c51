/**
 * A Redis that answers reads but refuses writes: `maxmemory` reached with the default `noeviction`
 * policy (`OOM command not allowed …`), the state a full Redis is in. Every write the gateway makes
 * gets a precise catalogue answer with a request id (never a 500), reads go on working, and the
 * gateway is whole again as soon as Redis takes writes:
 * - server-side sessions: a sign-in's callback answers 503 store_unavailable; a session due for its
 *   refresh answers 503 too, and once writes work the next request succeeds on the same refresh
 *   (one grant at the IdP, not two: rotating refresh tokens are not used twice);
 * - password sign-in (its counters are writes) fails closed: 503 store_unavailable;
 * - a logout on a cookie-session gateway still signs out, this instance refuses the copied cookie,
 *   and the log says the fleet did not record it.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
let stack: Stack; // session.storage: store
let cookies: RunningGateway; // sealed-cookie sessions, same Redis
const cookieLogs = createMemoryLogger('debug');
const cookieEnv = { COGNITO_ENDPOINT: 'http://127.0.0.1:9' };
let offset = 0;
const now = () => Date.now() + offset;

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
const full = () => redisCli('CONFIG', 'SET', 'maxmemory', '1');
const roomy = () => redisCli('CONFIG', 'SET', 'maxmemory', '0');

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    now,
    edit: (raw) => {
      raw.store = { type: 'redis', url: redis.url, keyPrefix: 'oom-test:' };
      raw.session.storage = 'store';
      raw.cognitoAdmin = { passwordAuth: { perUser: { max: 5, window: '15m' } } };
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
    },
  });
  const cookieConfig = structuredClone(stack.config);
  cookieConfig.session.storage = 'cookie';
  cookies = await startNodeGateway({ config: cookieConfig, port: 0, host: '127.0.0.1', logger: cookieLogs, env: cookieEnv, now });
  stack.emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [`${stack.url}/_auth/callback`, `${cookies.url}/_auth/callback`],
    logoutUrls: [`${stack.url}/`, `${cookies.url}/`],
  });
});
afterEach(() => {
  roomy();
});
afterAll(async () => {
  await cookies?.close();
  await closeNodeStore(cookieEnv);
  await stack?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
async function answer(res: Response) {
  const text = await res.text();
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as { error?: string; request_id?: string };
  return { status: res.status, error: body.error, requestId: body.request_id ?? res.headers.get('x-request-id') ?? undefined };
}

describe('Redis refusing writes (maxmemory, noeviction)', () => {
  it('server-side sessions: a sign-in and a due refresh answer 503 store_unavailable; writes back, the same refresh completes', async () => {
    full();
    const refused = new TestBrowser();
    const callback = (await refused.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!')).res;
    // The callback is a navigation: the catalogue's HTML page, with the request id it logged.
    const page = await callback.text();
    const cb = { status: callback.status, requestId: callback.headers.get('x-request-id')! };
    expect(cb.status).toBe(503);
    expect(page).toContain('<title>Sign-in service unavailable</title>');
    expect(page).toContain(`<code>${cb.requestId}</code>`);
    expect(stack.logs.some((l) => l.error === 'store_unavailable' && l.requestId === cb.requestId)).toBe(true);
    expect(stack.logs.some((l) => l.msg === 'unhandled error')).toBe(false);
    roomy();

    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    expect((await answer(await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } }))).status).toBe(200);

    const grants = stack.emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000; // past session.revalidateAfter (5m)
    full();
    const during = await answer(await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } }));
    expect({ status: during.status, error: during.error }).toEqual({ status: 503, error: 'store_unavailable' });
    roomy();
    const after = await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('alice');
    expect(stack.emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
    expect(stack.logs.some((l) => l.msg === 'unhandled error')).toBe(false);
  });

  it('password sign-in fails closed: 503 store_unavailable; writes back, it works', async () => {
    full();
    const basic = { authorization: `Basic ${btoa('carol:Carol-Passw0rd!')}`, ...json };
    const during = await answer(await fetch(`${stack.url}/whoami`, { headers: basic }));
    expect({ status: during.status, error: during.error }).toEqual({ status: 503, error: 'store_unavailable' });
    roomy();
    expect((await fetch(`${stack.url}/whoami`, { headers: basic })).status).toBe(200);
  });

  it('a logout on a cookie-session gateway still signs out; this instance refuses the copy and logs that the fleet did not record it', async () => {
    const b = new TestBrowser();
    await b.signIn(`${cookies.url}/`, 'carol', 'Carol-Passw0rd!');
    const copy = b.cookieHeader(cookies.url)!;
    expect((await fetch(`${cookies.url}/whoami`, { headers: { cookie: copy, ...json } })).status).toBe(200);
    full();
    expect((await b.request(`${cookies.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    const refused = await answer(await fetch(`${cookies.url}/whoami`, { headers: { cookie: copy, ...json } }));
    expect({ status: refused.status, error: refused.error }).toEqual({ status: 401, error: 'unauthorized' });
    expect(cookieLogs.lines.some((l) => String(l.msg).startsWith('logout: the shared store did not record the revocation'))).toBe(true);
  });
});
