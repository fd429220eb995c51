/**
 * Foreign or damaged data under the gateway's own keys in a real redis-server (another program, an
 * operator's mistake, a restored dump, an attacker with write access to Redis): every case gets a
 * precise answer from the catalogue, never a 500, and never a session the data should not give.
 * - `session.storage: store`: a record that is not a seal, a list where a string belongs, 1 MB of
 *   junk, and another session's record copied under this session's key;
 * - the shared refresh (src/store/once.ts): a result that is junk, one sealed under another refresh
 *   token's key, and a list under the result key, each left there before the session's refresh: the
 *   gateway refreshes itself (one grant at the IdP) and the request succeeds with the new tokens.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv, resolveConfig } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { createMemoryLogger } from '../../src/log';
import type { SessionData } from '../../src/oidc/session-data';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { sha256Base64url } from '../../src/session';
import { keyFromSecret, sealText, storeKeys } from '../../src/store';
import { TestBrowser } from '../helpers/browser';
import { DEMO_CONFIG, POOL } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';
import { gatewaySessions } from '../helpers/gateway-sessions';

let redis: RunningRedis;
let emulator: RunningEmulator;
let upstream: { url: string; close(): Promise<void> };
let records: RunningGateway; // session.storage: store
let cookies: RunningGateway; // sealed-cookie sessions
const envs: Array<Record<string, string>> = [];
const logs: Array<ReturnType<typeof createMemoryLogger>> = [];
let readSession: (cookie: string, origin: string) => Promise<SessionData | undefined>;
let offset = 0;
const now = () => Date.now() + offset;

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
/** `redis-cli -x`: the last argument from stdin (a value too big for a command line). */
const redisCliValue = (value: string, ...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(redis.port), '-x', ...args], { encoding: 'utf8', input: value }).trim();
const recordKeys = () => redisCli('--scan', '--pattern', 'poison-ss:{c:session:*').split('\n').filter(Boolean);

beforeAll(async () => {
  redis = await startRedis();
  emulator = await startEmulator({ port: 0 });
  upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const base = interpolateEnv(parse(DEMO_CONFIG), env) as Record<string, any>;
  base.headers.accessToken = 'X-Access-Token';
  const start = async (edit: (raw: Record<string, any>) => void) => {
    const raw = structuredClone(base);
    edit(raw);
    const logger = createMemoryLogger('debug');
    logs.push(logger);
    const gwEnv = { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    envs.push(gwEnv);
    return startNodeGateway({ config: resolveConfig(raw, env), port: 0, host: '127.0.0.1', logger, env: gwEnv, now });
  };
  records = await start((raw) => {
    raw.store = { type: 'redis', url: redis.url, keyPrefix: 'poison-ss:' };
    raw.session.storage = 'store';
  });
  cookies = await start((raw) => {
    raw.store = { type: 'redis', url: redis.url, keyPrefix: 'poison-rf:' };
  });
  const config = cookies.gateway().config;
  const sessions = gatewaySessions(config);
  readSession = (cookie, origin) => sessions.read(cookie, origin);
  emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [records.url, cookies.url].map((o) => `${o}/_auth/callback`),
    logoutUrls: [records.url, cookies.url].map((o) => `${o}/`),
  });
});

afterAll(async () => {
  for (const g of [records, cookies]) await g?.close();
  for (const e of envs) await closeNodeStore(e);
  await upstream?.close();
  await emulator?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
async function whoami(url: string, cookie: string) {
  const res = await fetch(`${url}/whoami`, { headers: { cookie, ...json } });
  const text = await res.text();
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as {
    error?: string;
    request_id?: string;
    headers?: Record<string, string>;
  };
  return { status: res.status, error: body.error, requestId: body.request_id, headers: body.headers, text };
}

describe('server-side session records that are not what the gateway wrote', () => {
  it('answers each with a precise 401 or 503, and the real record works again once restored', async () => {
    const alice = new TestBrowser();
    await alice.signIn(`${records.url}/`, 'alice', 'Alice-Passw0rd!');
    const aliceCookie = alice.cookieHeader(records.url)!;
    const bob = new TestBrowser();
    await bob.signIn(`${records.url}/`, 'bob', 'Bob-Passw0rd!');
    const bobCookie = bob.cookieHeader(records.url)!;
    expect((await whoami(records.url, aliceCookie)).headers?.['x-auth-user']).toBe('alice');
    expect((await whoami(records.url, bobCookie)).headers?.['x-auth-user']).toBe('bob');

    const keys = recordKeys();
    expect(keys).toHaveLength(2);
    const values = keys.map((k) => redisCli('GET', k));
    // Which record is alice's: the one whose removal signs alice out.
    redisCli('RENAME', keys[0]!, 'poison-ss:aside');
    const aliceIsFirst = (await whoami(records.url, aliceCookie)).status === 401;
    redisCli('RENAME', 'poison-ss:aside', keys[0]!);
    const [aliceKey, bobKey] = aliceIsFirst ? keys : [keys[1]!, keys[0]!];
    const [aliceRecord, bobRecord] = aliceIsFirst ? values : [values[1]!, values[0]!];
    expect((await whoami(records.url, aliceCookie)).status).toBe(200);

    const signedOut = { status: 401, error: 'unauthorized' };
    // Not a seal at all.
    redisCli('SET', aliceKey!, 'not-a-seal');
    expect(await whoami(records.url, aliceCookie)).toMatchObject(signedOut);
    redisCli('SET', aliceKey!, '{"sid":"x","claims":{"sub":"alice"}}');
    expect(await whoami(records.url, aliceCookie)).toMatchObject(signedOut);
    // A seal's shape with junk in it, and 1 MB of junk.
    redisCli('SET', aliceKey!, 'AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA');
    expect(await whoami(records.url, aliceCookie)).toMatchObject(signedOut);
    redisCliValue(`${'A'.repeat(1 << 20)}.${'B'.repeat(64)}`, 'SET', aliceKey!);
    expect(await whoami(records.url, aliceCookie)).toMatchObject(signedOut);
    // Bob's record under alice's key: sealed under bob's session id, it opens for nobody else.
    redisCli('SET', aliceKey!, bobRecord!);
    expect(await whoami(records.url, aliceCookie)).toMatchObject(signedOut);
    expect((await whoami(records.url, bobCookie)).headers?.['x-auth-user']).toBe('bob');

    // A list where the record belongs: Redis refuses the read (WRONGTYPE), which the gateway treats
    // as a store it cannot read: 503 store_unavailable with a request id, not "signed out", not 500.
    redisCli('DEL', aliceKey!);
    redisCli('RPUSH', aliceKey!, 'a', 'b');
    const wrongType = await whoami(records.url, aliceCookie);
    expect({ status: wrongType.status, error: wrongType.error }).toEqual({ status: 503, error: 'store_unavailable' });
    expect(wrongType.requestId).toMatch(/\S{8,}/);
    const logged = logs[0]!.lines.filter((l) => l.msg === 'shared store unavailable');
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(String(logged.at(-1)!.reason)).toContain('WRONGTYPE');
    const session = aliceCookie
      .split(';')
      .find((c) => c.includes('_session'))!
      .split('=')[1]!;
    expect(JSON.stringify(logs[0]!.lines)).not.toContain(session);

    // Restored: alice is alice again (nothing bad was remembered), bob stayed bob throughout.
    redisCli('DEL', aliceKey!);
    redisCli('SET', aliceKey!, aliceRecord!, 'PX', '3600000');
    expect((await whoami(records.url, aliceCookie)).headers?.['x-auth-user']).toBe('alice');
    expect(bobKey).not.toBe(aliceKey);
  });
});

describe('shared refresh results that are not what the gateway wrote', () => {
  it.each([
    ['junk', async (key: string) => redisCli('SET', key, 'junk', 'PX', '30000')],
    [
      'a result sealed under another refresh token',
      async (key: string) => {
        const other = await keyFromSecret('cognito-gateway refresh result\u0000another-refresh-token');
        const sealed = await sealText(other, JSON.stringify({ accessToken: 'forged', refreshToken: 'forged', expiresAt: 9_999_999_999 }));
        redisCli('SET', key, sealed, 'PX', '30000');
      },
    ],
    ['a list', async (key: string) => redisCli('RPUSH', key, 'a', 'b')],
  ])('%s under the result key: the gateway refreshes itself, once', async (_name, poison) => {
    const b = new TestBrowser();
    await b.signIn(`${cookies.url}/`, 'carol', 'Carol-Passw0rd!');
    const cookie = b.cookieHeader(cookies.url)!;
    const session = (await readSession(cookie, cookies.url))!;
    const before = await whoami(cookies.url, cookie);
    expect(before.status).toBe(200);
    const resultKey = `poison-rf:${await storeKeys.lockResult('refresh', await sha256Base64url(session.refreshToken!))}`;
    redisCli('DEL', resultKey);
    await poison(resultKey);

    const grants = emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000; // past session.revalidateAfter (5m): the next request refreshes
    const after = await whoami(cookies.url, cookie);
    expect(after.status).toBe(200);
    expect(emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
    expect(after.headers?.['x-access-token']?.split('.')).toHaveLength(3);
    expect(after.headers?.['x-access-token']).not.toBe(before.headers?.['x-access-token']);
    expect(after.headers?.['x-access-token']).not.toBe('forged');
    redisCli('DEL', resultKey);
  });
});
