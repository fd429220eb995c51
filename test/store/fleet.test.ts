/**
 * Three gateways behind one real nginx round-robin, sharing one real redis-server: a logout through
 * one instance is refused by all three at once; wrong passwords spread over the fleet hit the
 * per-user limit at the configured count; a burst on an expired session ends with exactly one refresh
 * at the emulator; Redis stopped or hung gives the documented fail-closed answers quickly, and Redis
 * back heals without restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv, resolveConfig } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { TestBrowser } from '../helpers/browser';
import { startNginx, type RunningNginx } from '../helpers/nginx';
import { DEMO_CONFIG, POOL } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

let offset = 0;
const now = () => Date.now() + offset;

interface Instance {
  gateway: RunningGateway;
  logs: ReturnType<typeof createMemoryLogger>['lines'];
  env: Record<string, string>;
}

let redis: RunningRedis;
let emulator: RunningEmulator;
let upstream: { url: string; close(): Promise<void> };
let nginx: RunningNginx;
const fleet: Instance[] = [];
const PER_USER = 5;

beforeAll(async () => {
  redis = await startRedis();
  emulator = await startEmulator({ port: 0, now });
  upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const raw = interpolateEnv(parse(DEMO_CONFIG), env) as Record<string, any>;
  raw.store = { type: 'redis', url: redis.url, keyPrefix: 'fleet-test:', timeoutMs: 1000, errorLogInterval: '1m' };
  raw.cognitoAdmin = { passwordAuth: { perUser: { max: PER_USER, window: '15m' }, perAddress: { max: 100, window: '15m' } } };
  raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
  const config = resolveConfig(raw, env);
  for (let i = 0; i < 3; i++) {
    const logger = createMemoryLogger('debug');
    const gwEnv = { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1', logger, now, env: gwEnv });
    fleet.push({ gateway, logs: logger.lines, env: gwEnv });
  }
  nginx = await startNginx(
    `location / { proxy_pass http://fleet; proxy_set_header Host $http_host; }`,
    `upstream fleet { ${fleet.map((f) => `server 127.0.0.1:${f.gateway.port};`).join(' ')} }`,
  );
  const origins = [nginx.url, ...fleet.map((f) => f.gateway.url)];
  emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: origins.map((o) => `${o}/_auth/callback`),
    logoutUrls: origins.map((o) => `${o}/`),
  });
});

afterAll(async () => {
  for (const f of fleet) {
    await f.gateway.close();
    await closeNodeStore(f.env);
  }
  await nginx?.close();
  await upstream?.close();
  await emulator?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

describe('a fleet of three gateways on one Redis', () => {
  it('refuses a copied cookie on every instance as soon as one of them signed it out', async () => {
    const b = new TestBrowser();
    await b.signIn(`${nginx.url}/`, 'alice', 'Alice-Passw0rd!');
    const copied = b.cookieHeader(nginx.url)!;
    for (const f of fleet) {
      const res = await fetch(`${f.gateway.url}/whoami`, { headers: { cookie: copied, ...json }, redirect: 'manual' });
      expect(res.status).toBe(200);
    }
    const out = await b.request(`${nginx.url}/_auth/logout`, { redirect: 'manual' });
    expect(out.status).toBe(302);
    const signedOutAt = performance.now();
    const statuses = await Promise.all(
      fleet.map(async (f) => {
        const res = await fetch(`${f.gateway.url}/whoami`, { headers: { cookie: copied, ...json }, redirect: 'manual' });
        return { status: res.status, error: ((await res.json()) as { error?: string }).error };
      }),
    );
    expect(performance.now() - signedOutAt).toBeLessThan(1000);
    expect(statuses).toEqual(fleet.map(() => ({ status: 401, error: 'unauthorized' })));
    expect(fleet.every((f) => f.logs.some((l) => l.msg === 'session ended' && l.reason === 'session revoked'))).toBe(true);
  });

  it('counts wrong passwords across the fleet: the per-user limit holds at the configured count', async () => {
    const answers: Array<{ status: number; error?: string; retryAfter: string | null }> = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${nginx.url}/whoami`, { headers: { authorization: basic('bob', `wrong-${i}`), ...json } });
      answers.push({ status: res.status, error: ((await res.json()) as { error?: string }).error, retryAfter: res.headers.get('retry-after') });
    }
    expect(answers.filter((a) => a.error === 'invalid_credentials')).toHaveLength(PER_USER);
    expect(answers.slice(0, PER_USER).map((a) => a.status)).toEqual(Array(PER_USER).fill(401));
    const limited = answers.slice(PER_USER);
    expect(limited.map((a) => a.status)).toEqual(Array(30 - PER_USER).fill(429));
    expect(limited.every((a) => a.error === 'rate_limited' && Number(a.retryAfter) > 0 && Number(a.retryAfter) <= 900)).toBe(true);
    // Round robin spread the attempts: every instance answered some.
    expect(fleet.every((f) => f.logs.some((l) => l.msg === 'password sign-in rate limited'))).toBe(true);
  });

  it('refreshes an expired session once for a burst of 30 parallel requests spread over the fleet', async () => {
    emulator.setClientSettings(POOL, 'demo-gateway', { idTokenValidity: 120, accessTokenValidity: 120 });
    const b = new TestBrowser();
    await b.signIn(`${nginx.url}/`, 'carol', 'Carol-Passw0rd!');
    offset += 3 * 60 * 1000;
    const cookie = b.cookieHeader(nginx.url)!;
    const before = emulator.tokenGrantCount('refresh_token');
    const results = await Promise.all(Array.from({ length: 30 }, () => fetch(`${nginx.url}/burst`, { headers: { cookie, ...json }, redirect: 'manual' })));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(emulator.tokenGrantCount('refresh_token') - before).toBe(1);
    // Every instance served part of the burst, and the ones that did not refresh used the shared result.
    expect(fleet.every((f) => f.logs.some((l) => l.msg === 'session refreshed' || l.msg === 'session refresh shared'))).toBe(true);
  });

  it('fails closed while Redis is down or hung, quickly, and heals when it is back', async () => {
    const b = new TestBrowser();
    await b.signIn(`${nginx.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(nginx.url)!;
    expect((await fetch(`${nginx.url}/whoami`, { headers: { cookie, ...json } })).status).toBe(200);

    // A hung Redis (SIGSTOP): every call gives up after store.timeoutMs (1 s).
    redis.pause();
    try {
      const started = performance.now();
      const hung = await fetch(`${fleet[0]!.gateway.url}/whoami`, { headers: { cookie, ...json } });
      expect(performance.now() - started).toBeLessThan(3000);
      expect(hung.status).toBe(503);
      expect(((await hung.json()) as { error: string }).error).toBe('store_unavailable');
    } finally {
      redis.resume();
    }

    await redis.stop();
    for (const f of fleet) {
      const session = await fetch(`${f.gateway.url}/whoami`, { headers: { cookie, ...json } });
      expect(session.status).toBe(503);
      expect(((await session.json()) as { error: string }).error).toBe('store_unavailable');
      const password = await fetch(`${f.gateway.url}/whoami`, { headers: { authorization: basic('dave', 'whatever'), ...json } });
      expect(password.status).toBe(503);
      expect(((await password.json()) as { error: string }).error).toBe('store_unavailable');
    }
    // Counted by operation, logged once per interval however many calls failed.
    const metrics = fleet[0]!.gateway.gateway().metrics;
    expect(metrics.storeErrors.get({ op: 'get' })).toBeGreaterThanOrEqual(2);
    expect(metrics.storeErrors.get({ op: 'increment' })).toBeGreaterThanOrEqual(1);
    expect(fleet[0]!.logs.filter((l) => l.msg === 'shared store unavailable')).toHaveLength(1);

    await redis.start();
    let healed = 0;
    for (let i = 0; i < 100 && healed !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      healed = (await fetch(`${fleet[0]!.gateway.url}/whoami`, { headers: { cookie, ...json } })).status;
    }
    expect(healed).toBe(200);
    expect(fleet[0]!.logs.some((l) => l.msg === 'shared store reachable again')).toBe(true);
  });
});
