/**
 * The Durable Object store in workerd: two instances of the production Worker bundle (two isolates,
 * each with its own memory) share one GatewayStoreObject namespace. A logout through one is refused
 * by the other at once, for the session cookie and for the sign-in's bearer access tokens; sign-out
 * everywhere ends the user's sessions on both; wrong passwords spread over both hit the per-user
 * limit at the configured count; a store type that cannot run on Workers is refused with a clear log line;
 * the object itself never lowers a not-before time (setIfGreater), whichever instance writes it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv } from '../../src/config/load';
import { createDurableObjectStore, type DurableObjectNamespaceLike } from '../../src/store/durable-object';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { TestBrowser } from '../helpers/browser';
import { DEMO_CONFIG, POOL } from '../helpers/stack';
import { COMPATIBILITY_DATE, startMiniflareWorker } from '../helpers/worker-stack';

const PER_USER = 3;
let emulator: RunningEmulator;
let upstream: { url: string; close(): Promise<void> };
let mf: Miniflare;
let origins: string[] = [];
const logs: Array<Record<string, unknown>> = [];

function modules(dir: string) {
  const others = readdirSync(dir).filter((f) => f !== 'worker.js' && (f.endsWith('.js') || f.endsWith('.yaml')));
  return ['worker.js', ...others].map((f) => ({ type: f.endsWith('.yaml') ? 'Text' : 'ESModule', path: join(dir, f) }));
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const raw = interpolateEnv(parseYaml(DEMO_CONFIG), env) as Record<string, any>;
  raw.store = { type: 'durable-object', keyPrefix: 'worker-test:' };
  // The upstream echoes it: the test gets a real access token of a browser sign-in.
  raw.headers.accessToken = 'X-Access-Token';
  raw.cognitoAdmin = { passwordAuth: { perUser: { max: PER_USER, window: '15m' }, perAddress: { max: 100, window: '15m' } } };
  raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
  const vars = {
    ...env,
    GATEWAY_CONFIG: JSON.stringify(raw),
    COGNITO_ENDPOINT: emulator.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  };
  const dir = inject('workerBundleDir');
  const worker = (name: string, durableObjects: Record<string, unknown>) => ({
    name,
    modules: modules(dir),
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: vars,
    durableObjects,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
  });
  mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      workers: [
        worker('gateway-a', { GATEWAY_STORE: 'GatewayStoreObject' }),
        worker('gateway-b', { GATEWAY_STORE: { className: 'GatewayStoreObject', scriptName: 'gateway-a' } }),
      ],
      handleStructuredLogs(log: { level: string; message: string }) {
        for (const line of log.message.split('\n')) {
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            logs.push({ level: log.level, msg: line });
          }
        }
      },
    } as never),
  );
  await mf.ready;
  origins = [(await mf.unsafeGetDirectURL('gateway-a')).origin, (await mf.unsafeGetDirectURL('gateway-b')).origin];
  emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: origins.map((o) => `${o}/_auth/callback`),
    logoutUrls: origins.map((o) => `${o}/`),
  });
});

afterAll(async () => {
  await mf?.dispose();
  await upstream?.close();
  await emulator?.close();
});

const json = { accept: 'application/json' };

describe('two Worker instances on one Durable Object store', () => {
  it('refuses a copied cookie on the other instance as soon as one signed it out', async () => {
    const [a, b] = origins as [string, string];
    const browser = new TestBrowser();
    await browser.signIn(`${a}/`, 'alice', 'Alice-Passw0rd!');
    const copied = browser.cookieHeader(a)!;
    for (const o of origins) expect((await fetch(`${o}/whoami`, { headers: { cookie: copied, ...json } })).status).toBe(200);
    expect((await browser.request(`${a}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    for (const o of [b, a]) {
      const res = await fetch(`${o}/whoami`, { headers: { cookie: copied, ...json }, redirect: 'manual' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
    }
  });

  it('refuses the bearer tokens of a signed-out sign-in on the other instance too (origin_jti)', async () => {
    const [a, b] = origins as [string, string];
    const browser = new TestBrowser();
    await browser.signIn(`${a}/`, 'carol', 'Carol-Passw0rd!');
    const seen = await fetch(`${a}/whoami`, { headers: { cookie: browser.cookieHeader(a)!, ...json } });
    const accessToken = ((await seen.json()) as { headers: Record<string, string> }).headers['x-access-token']!;
    expect(accessToken.split('.')).toHaveLength(3);
    // Verified on both (403: the signed-in policy wants a session, not a token; a bad token would be 401).
    for (const o of origins) expect((await fetch(`${o}/whoami`, { headers: { authorization: `Bearer ${accessToken}`, ...json } })).status).toBe(403);
    expect((await browser.request(`${a}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    for (const o of [b, a]) {
      const res = await fetch(`${o}/whoami`, { headers: { authorization: `Bearer ${accessToken}`, ...json } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
      expect(res.headers.get('www-authenticate')).toContain('the access token has been revoked');
    }
  });

  it('ends every session of a user on both instances with sign-out everywhere (the user not-before time)', async () => {
    const [a, b] = origins as [string, string];
    const laptop = new TestBrowser();
    const phone = new TestBrowser();
    await laptop.signIn(`${a}/`, 'bob', 'Bob-Passw0rd!');
    await phone.signIn(`${b}/`, 'bob', 'Bob-Passw0rd!');
    const phoneCookie = phone.cookieHeader(b)!;
    for (const o of origins) expect((await fetch(`${o}/whoami`, { headers: { cookie: phoneCookie, ...json } })).status).toBe(200);
    // Same-origin POST, as the sign-out button sends it.
    expect((await laptop.request(`${a}/_auth/logout?everywhere=1`, { method: 'POST', redirect: 'manual' })).status).toBe(302);
    for (const o of [b, a]) {
      const res = await fetch(`${o}/whoami`, { headers: { cookie: phoneCookie, ...json }, redirect: 'manual' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
    }
  });

  it('counts wrong passwords across both instances: the per-user limit holds at the configured count', async () => {
    const answers: Array<{ status: number; error: string; retryAfter: string | null }> = [];
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${origins[i % 2]}/whoami`, { headers: { authorization: `Basic ${btoa(`bob:wrong-${i}`)}`, ...json } });
      answers.push({ status: res.status, error: ((await res.json()) as { error: string }).error, retryAfter: res.headers.get('retry-after') });
    }
    expect(answers.slice(0, PER_USER).map((a) => [a.status, a.error])).toEqual(Array(PER_USER).fill([401, 'invalid_credentials']));
    const limited = answers.slice(PER_USER);
    expect(limited.map((a) => [a.status, a.error])).toEqual(Array(9 - PER_USER).fill([429, 'rate_limited']));
    expect(limited.every((a) => Number(a.retryAfter) > 0 && Number(a.retryAfter) <= 900)).toBe(true);
  });

  it('refuses a store it cannot use on Workers, saying why', async () => {
    for (const [store, why] of [
      [{ type: 'redis', url: 'redis://127.0.0.1:6379' }, 'store.type redis is for Node'],
      [{ type: 'durable-object' }, 'needs the GATEWAY_STORE Durable Object binding'],
    ] as const) {
      const raw = interpolateEnv(parseYaml(DEMO_CONFIG), { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url }) as Record<string, any>;
      raw.store = store;
      const w = await startMiniflareWorker({ bundleDir: inject('workerBundleDir'), vars: { GATEWAY_CONFIG: JSON.stringify(raw) } });
      try {
        const res = await fetch(`${w.url}/whoami`, { headers: json });
        expect(res.status).toBe(500);
        expect(((await res.json()) as { error: string }).error).toBe('gateway_misconfigured');
        await expect.poll(() => String(w.logs.find((l) => l.msg === 'gateway config refused')?.error ?? '')).toContain(why);
      } finally {
        await w.close();
      }
    }
  });
});

describe('the Durable Object itself, in workerd', () => {
  it('never lowers a value written with setIfGreater (the user not-before time); a value that is no number is replaced', async () => {
    const namespace = (await mf.getDurableObjectNamespace('GATEWAY_STORE', 'gateway-a')) as unknown as DurableObjectNamespaceLike;
    const store = createDurableObjectStore(namespace, { keyPrefix: 'raise-test:' });
    const key = '{u:skew}:nbf';
    expect(await store.setIfGreater(key, 1000, 60_000)).toBe(true);
    // An instance whose clock is behind writes an earlier time: refused, the later one stays.
    expect(await store.setIfGreater(key, 990, 60_000)).toBe(false);
    expect(await store.setIfGreater(key, 1000, 60_000)).toBe(false);
    expect(await store.get(key)).toBe('1000');
    expect(await store.setIfGreater(key, 1005, 60_000)).toBe(true);
    expect(await store.get(key)).toBe('1005');
    // A plain value that is not a number (never written by the gateway) is replaced.
    await store.set('{u:other}:nbf', 'garbage', 60_000);
    expect(await store.setIfGreater('{u:other}:nbf', 5, 60_000)).toBe(true);
    expect(await store.get('{u:other}:nbf')).toBe('5');
  });
});
