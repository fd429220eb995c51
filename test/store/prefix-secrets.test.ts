/**
 * Several gateways on one real redis-server, told apart by `store.keyPrefix` only, one prefix a prefix
 * of the other (`a` and `ab`): neither reads the other's server-side sessions, counters or
 * revocations, and every key each writes starts with its own prefix and a hash tag. Then the whole
 * Redis is read back with a plain client after sign-ins, a refresh, password sign-ins (wrong and
 * right), sign-in starts and logouts: no token, cookie value, cookie secret or password is in it in
 * clear, in a key or a value.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv, resolveConfig } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { TestBrowser } from '../helpers/browser';
import { DEMO_CONFIG, POOL } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';
import { gatewaySessions } from '../helpers/gateway-sessions';

let redis: RunningRedis;
let emulator: RunningEmulator;
let upstream: { url: string; close(): Promise<void> };
let a: RunningGateway; // prefix "a", server-side sessions
let ab: RunningGateway; // prefix "ab", server-side sessions
let c: RunningGateway; // prefix "c:", sealed-cookie sessions
const envs: Array<Record<string, string>> = [];
let offset = 0;
const now = () => Date.now() + offset;
const STARTS = 2;
const PER_USER = 3;

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
const keysOf = (pattern: string) => redisCli('--scan', '--pattern', pattern).split('\n').filter(Boolean);

beforeAll(async () => {
  redis = await startRedis();
  emulator = await startEmulator({ port: 0 });
  upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const base = interpolateEnv(parse(DEMO_CONFIG), env) as Record<string, any>;
  base.headers.accessToken = 'X-Access-Token';
  base.cognitoAdmin = { passwordAuth: { perUser: { max: PER_USER, window: '15m' }, perAddress: { max: 100, window: '15m' } } };
  base.apps.find((x: { id: string }) => x.id === 'demo').cognito = { passwordAuth: true };
  const start = (prefix: string, storage: 'store' | 'cookie') => {
    const raw = structuredClone(base);
    raw.store = { type: 'redis', url: redis.url, keyPrefix: prefix, signInStarts: { max: STARTS, window: '1m' } };
    raw.session.storage = storage;
    const gwEnv = { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    envs.push(gwEnv);
    return startNodeGateway({ config: resolveConfig(raw, env), port: 0, host: '127.0.0.1', logger: createMemoryLogger('error'), env: gwEnv, now });
  };
  a = await start('a', 'store');
  ab = await start('ab', 'store');
  c = await start('c:', 'cookie');
  emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [a, ab, c].map((g) => `${g.url}/_auth/callback`),
    logoutUrls: [a, ab, c].map((g) => `${g.url}/`),
  });
});

afterAll(async () => {
  for (const g of [a, ab, c]) await g?.close();
  for (const e of envs) await closeNodeStore(e);
  await upstream?.close();
  await emulator?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
async function whoami(url: string, headers: Record<string, string>) {
  const res = await fetch(`${url}/whoami`, { headers: { ...headers, ...json } });
  const body = (await res.json()) as { error?: string; headers?: Record<string, string> };
  return { status: res.status, error: body.error, user: body.headers?.['x-auth-user'], accessToken: body.headers?.['x-access-token'] };
}
const starts = async (url: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/_auth/login?rd=%2F`, { redirect: 'manual' });
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
};

/** Everything seen in the clear during the test, that Redis must not hold in the clear. */
const secrets = new Set<string>();

describe('store.keyPrefix "a" and "ab" on one Redis', () => {
  it('keep their sessions, counters and keys apart', async () => {
    const alice = new TestBrowser();
    await alice.signIn(`${a.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = alice.cookieHeader(a.url)!;
    const onA = await whoami(a.url, { cookie });
    expect({ status: onA.status, user: onA.user }).toEqual({ status: 200, user: 'alice' });
    secrets.add(onA.accessToken!);
    for (const part of cookie.split('; ')) secrets.add(part.slice(part.indexOf('=') + 1));
    // Same secrets, so ab opens the cookie's pointer; the record lives under a's prefix only.
    expect(await whoami(ab.url, { cookie })).toMatchObject({ status: 401, error: 'unauthorized' });

    const aRecords = keysOf('a{c:session:*');
    expect(aRecords).toHaveLength(1);
    expect(keysOf('ab*').filter((k) => k.includes('session'))).toEqual([]);

    // Sign-in starts: each prefix its own counter for the one client address. ab's is used up; a's
    // has counted alice's sign-in only.
    expect(await starts(ab.url, STARTS + 1)).toEqual([...Array(STARTS).fill(302), 429]);
    expect(await starts(a.url, STARTS)).toEqual([...Array(STARTS - 1).fill(302), 429]);

    // Logout on ab with a's cookie removes nothing of a's.
    expect((await fetch(`${ab.url}/_auth/logout`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
    expect(keysOf('a{c:session:*')).toEqual(aRecords);
    expect((await whoami(a.url, { cookie })).user).toBe('alice');
    expect((await alice.request(`${a.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    expect(keysOf('a{c:session:*')).toEqual([]);
    expect(await whoami(a.url, { cookie })).toMatchObject({ status: 401, error: 'unauthorized' });

    // Every key: its gateway's prefix, then a hash tag; "a" keys never start with "ab".
    const all = keysOf('*');
    expect(all.length).toBeGreaterThan(0);
    for (const k of all) expect(k, k).toMatch(/^(a|ab|c:)\{[^{}]+\}/);
    const tagOf = (k: string) => k.slice(0, k.indexOf('{'));
    expect(new Set(all.map(tagOf))).toEqual(new Set(['a', 'ab']));
  });
});

describe('what Redis holds', () => {
  it('has no token, cookie value, cookie secret or password in clear after sign-ins, a refresh, password sign-ins and logouts', async () => {
    const config = c.gateway().config;
    for (const s of config.session.secrets) secrets.add(s);
    const sessions = gatewaySessions(config);

    // A cookie session on c, refreshed once (the shared refresh stores its sealed result).
    const carol = new TestBrowser();
    await carol.signIn(`${c.url}/`, 'carol', 'Carol-Passw0rd!');
    const first = carol.cookieHeader(c.url)!;
    const session = (await sessions.read(first, c.url))!;
    for (const t of [session.refreshToken, session.accessToken]) if (t) secrets.add(t);
    const grants = emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000; // past session.revalidateAfter
    const refreshed = await carol.request(`${c.url}/whoami`, { headers: json });
    expect(refreshed.status).toBe(200);
    const seen = ((await refreshed.json()) as { headers: Record<string, string> }).headers;
    expect(emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
    expect(seen['x-access-token']).not.toBe(session.accessToken);
    secrets.add(seen['x-access-token']!);
    const renewed = (await sessions.read(carol.cookieHeader(c.url)!, c.url))!;
    for (const t of [renewed.refreshToken, renewed.accessToken]) if (t) secrets.add(t);
    expect(keysOf('c:{lk:refresh:*}:result')).toHaveLength(1);

    // Password sign-ins: wrong ones (counted in Redis) and a right one.
    for (const pw of ['Wrong-Passw0rd-1', 'Wrong-Passw0rd-2']) {
      secrets.add(pw);
      expect((await whoami(c.url, { authorization: `Basic ${btoa(`bob:${pw}`)}` })).status).toBe(401);
    }
    secrets.add('Bob-Passw0rd!');
    const basic = await whoami(c.url, { authorization: `Basic ${btoa('bob:Bob-Passw0rd!')}` });
    expect({ status: basic.status, user: basic.user }).toEqual({ status: 200, user: 'bob' });
    if (basic.accessToken) secrets.add(basic.accessToken);
    expect(keysOf('c:{rl:pw-*').length).toBeGreaterThan(0);

    // A logout: the revocation keys are written.
    expect((await carol.request(`${c.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    expect(keysOf('c:{u:*}:sid:*')).toHaveLength(1);

    // Read everything back with a plain client.
    const plain = new Redis(redis.url);
    try {
      const dump: string[] = [];
      for (const k of await plain.keys('*')) {
        dump.push(k);
        const type = await plain.type(k);
        if (type === 'string') dump.push((await plain.get(k))!);
        else dump.push(JSON.stringify(await plain.dump(k)));
      }
      const text = dump.join('\n');
      expect(secrets.size).toBeGreaterThanOrEqual(10);
      for (const s of secrets) {
        expect(s.length).toBeGreaterThanOrEqual(8);
        expect(text.includes(s), `Redis holds a secret in clear (${s.slice(0, 12)}…)`).toBe(false);
        // Also no token's signature-free part (header.payload) and no password in base64 (a Basic header).
        const dot = s.lastIndexOf('.');
        if (s.split('.').length === 3) expect(text.includes(s.slice(0, dot))).toBe(false);
        expect(text.includes(btoa(s))).toBe(false);
      }
    } finally {
      plain.disconnect();
    }
  });
});
