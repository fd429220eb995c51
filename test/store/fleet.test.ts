/**
 * Three gateway processes (`serve`, each its own Node process with its own Redis client and clock)
 * behind one real nginx round-robin upstream, sharing one real redis-server: after a logout through
 * one instance, a copy of the cookie is refused by all three from the first request on; wrong
 * passwords spread over the fleet hit the per-user limit at the configured count; a burst of
 * parallel requests on an expired session ends with exactly one refresh at the emulator; Redis hung
 * or stopped gives the documented fail-closed and fail-open answers, and Redis back heals every
 * process without a restart.
 *
 * Processes share no clock with the test, so lifetimes are real and short (the emulator mints
 * 34-second tokens for the burst: the gateway refreshes 30 s before expiry) and every wait polls a
 * condition with a bound. Which instance answered is read from each process's access log.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv, resolveConfig } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { SessionData } from '../../src/oidc/session-data';
import { KEPT_MS } from '../../src/store/revocation';
import { TestBrowser } from '../helpers/browser';
import { type GatewayProcess, type LogLine, scrapeMetrics, startGatewayProcess } from '../helpers/gateway-process';
import { startNginx, type RunningNginx } from '../helpers/nginx';
import { DEMO_CONFIG, POOL } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';
import { gatewaySessions } from '../helpers/gateway-sessions';

let redis: RunningRedis;
let emulator: RunningEmulator;
let upstream: { url: string; close(): Promise<void> };
let nginx: RunningNginx;
let fleet: GatewayProcess[] = [];
let readSession: (cookie: string) => Promise<SessionData | undefined>;
const PER_USER = 5;
const TIMEOUT_MS = 1000;

beforeAll(async () => {
  [redis, emulator, upstream] = await Promise.all([startRedis(), startEmulator({ port: 0, log: false }), startDemoUpstream(0)]);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const raw = interpolateEnv(parse(DEMO_CONFIG), env) as Record<string, any>;
  raw.logLevel = 'debug';
  raw.admin = { listen: { port: 0 } };
  raw.store = {
    type: 'redis',
    url: redis.url,
    keyPrefix: 'fleet-test:',
    timeoutMs: TIMEOUT_MS,
    errorLogInterval: '1m',
    signInStarts: { max: 100, window: '1m' },
  };
  raw.cognitoAdmin = { passwordAuth: { perUser: { max: PER_USER, window: '15m' }, perAddress: { max: 100, window: '15m' } } };
  raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
  const config = resolveConfig(structuredClone(raw), env);
  const sessions = gatewaySessions(config);
  readSession = (cookie) => sessions.read(cookie, nginx.url);
  // The admin API (password sign-in) goes to the emulator with dummy credentials (it accepts any signature).
  const gatewayEnv = { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  fleet = await Promise.all([0, 1, 2].map(() => startGatewayProcess({ config: raw, env: gatewayEnv })));
  nginx = await startNginx(
    'location / { proxy_pass http://fleet; proxy_set_header Host $http_host; }',
    `upstream fleet { ${fleet.map((f) => `server ${new URL(f.url).host};`).join(' ')} }`,
  );
  const origins = [nginx.url, ...fleet.map((f) => f.url)];
  emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: origins.map((o) => `${o}/_auth/callback`),
    logoutUrls: origins.map((o) => `${o}/`),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(fleet.map((f) => f.close()));
  await nginx?.close();
  await upstream?.close();
  await emulator?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();

async function answer(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const text = await res.text();
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as { error?: string };
  return { status: res.status, error: body.error, retryAfter: res.headers.get('retry-after'), location: res.headers.get('location') };
}

/** Where each process's log stands now, to count what it answers from here on. */
const mark = () => fleet.map((f) => f.logs().length);

/**
 * How many access-log lines matching `match` each process wrote since `marks`, once they add up to
 * `total` (log lines arrive over a pipe, after the responses).
 */
async function servedSince(marks: number[], total: number, match: (l: LogLine) => boolean): Promise<number[]> {
  const count = () =>
    fleet.map(
      (f, i) =>
        f
          .logs()
          .slice(marks[i])
          .filter((l) => l.msg === 'request' && match(l)).length,
    );
  for (let i = 0; i < 250 && count().reduce((a, b) => a + b, 0) < total; i++) await sleep(20);
  return count();
}

/** A series summed over the fleet's /metrics. */
async function fleetMetric(series: string): Promise<number[]> {
  return Promise.all(fleet.map(async (f) => (await scrapeMetrics(f.adminUrl!)).get(series) ?? 0));
}

describe('three gateway processes behind nginx on one Redis', () => {
  it('refuses a copied cookie on all three from the first request after a logout through one of them', async () => {
    const b = new TestBrowser();
    expect((await b.signIn(`${nginx.url}/`, 'alice', 'Alice-Passw0rd!')).res.status).toBe(200);
    const copied = b.cookieHeader(nginx.url)!;
    for (const f of fleet) expect(await answer(`${f.url}/whoami`, { cookie: copied, ...json })).toMatchObject({ status: 200 });

    const before = mark();
    expect((await b.request(`${nginx.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    // The logout answered after Redis took its revocation and its change notice (PUBLISH answers once
    // Redis has queued the notice for every subscriber). One round trip of our own to Redis after that
    // answer comes back only once Redis has written those notices to the other instances' sockets,
    // so the request below reaches each instance after its notice did.
    expect(redisCli('PING')).toBe('PONG');
    // Then the first request each instance gets with the copied cookie is refused: no instance
    // still answers from what it kept of Redis before the logout, nor from anything else.
    const refusals = await Promise.all(fleet.map((f) => answer(`${f.url}/whoami`, { cookie: copied, ...json })));
    expect(refusals.map(({ status, error }) => ({ status, error }))).toEqual(fleet.map(() => ({ status: 401, error: 'unauthorized' })));
    // One instance served the logout; the two others learnt it from Redis alone.
    expect((await servedSince(before, 1, (l) => l.path === '/_auth/logout')).sort()).toEqual([0, 0, 1]);
    for (const f of fleet) await f.waitForLogs((l) => l.msg === 'session ended' && l.reason === 'session revoked');
  });

  it('counts 30 wrong passwords spread over the fleet: the per-user limit holds at the configured count, not three times it', async () => {
    const before = mark();
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await answer(`${nginx.url}/whoami`, { authorization: basic('bob', `wrong-${i}`), ...json }));
    expect(answers.slice(0, PER_USER).map((a) => `${a.status} ${a.error}`)).toEqual(Array(PER_USER).fill('401 invalid_credentials'));
    const limited = answers.slice(PER_USER);
    expect(limited.map((a) => `${a.status} ${a.error}`)).toEqual(Array(30 - PER_USER).fill('429 rate_limited'));
    expect(limited.every((a) => Number(a.retryAfter) > 0 && Number(a.retryAfter) <= 900)).toBe(true);
    // nginx really round-robins: each process answered a third of the attempts, and refused some.
    expect(await servedSince(before, 30, (l) => l.path === '/whoami')).toEqual([10, 10, 10]);
    for (const f of fleet) await f.waitForLogs((l) => l.msg === 'password sign-in rate limited');
  });

  it('refreshes an expired session once for a burst of 30 parallel requests spread over the fleet', async () => {
    // Tokens of this sign-in live 34 s: the gateway refreshes 30 s before expiry, so 4 s after sign-in
    // (the sign-in's own last hop, within those 4 s, must not refresh yet).
    emulator.setClientSettings(POOL, 'demo-gateway', { idTokenValidity: 34, accessTokenValidity: 34 });
    const b = new TestBrowser();
    try {
      expect((await b.signIn(`${nginx.url}/`, 'carol', 'Carol-Passw0rd!')).res.status).toBe(200);
    } finally {
      emulator.setClientSettings(POOL, 'demo-gateway', { idTokenValidity: 3600, accessTokenValidity: 3600 });
    }
    const cookie = b.cookieHeader(nginx.url)!;
    const session = (await readSession(cookie))!;
    expect(session.tokensExpireAt - session.createdAt).toBeLessThanOrEqual(34);
    // Wait (on the clock the processes share with us) until the session is due for its refresh.
    const due = (session.tokensExpireAt - 30) * 1000;
    while (Date.now() < due) await sleep(Math.min(100, due - Date.now() + 1));

    const before = mark();
    const grantsBefore = emulator.tokenGrantCount('refresh_token');
    const [okBefore, sharedBefore] = await Promise.all([
      fleetMetric('cognito_gateway_refreshes_total{outcome="ok"}'),
      fleetMetric('cognito_gateway_refreshes_total{outcome="shared"}'),
    ]);
    const results = await Promise.all(Array.from({ length: 30 }, () => answer(`${nginx.url}/burst`, { cookie, ...json })));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(emulator.tokenGrantCount('refresh_token') - grantsBefore).toBe(1);
    expect(await servedSince(before, 30, (l) => l.path === '/burst')).toEqual([10, 10, 10]);
    // One instance refreshed; every other request, on every instance, used that one result.
    const [okAfter, sharedAfter] = await Promise.all([
      fleetMetric('cognito_gateway_refreshes_total{outcome="ok"}'),
      fleetMetric('cognito_gateway_refreshes_total{outcome="shared"}'),
    ]);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(okAfter) - sum(okBefore)).toBe(1);
    expect(sum(sharedAfter) - sum(sharedBefore)).toBe(29);
    expect(sharedAfter.every((n, i) => n - sharedBefore[i]! >= 9)).toBe(true);
  });

  it('fails closed (revocation, password limits) and open (sign-in starts) while Redis is hung or stopped, and heals without restarts', async () => {
    const b = new TestBrowser();
    expect((await b.signIn(`${nginx.url}/`, 'alice', 'Alice-Passw0rd!')).res.status).toBe(200);
    const cookie = b.cookieHeader(nginx.url)!;
    for (const f of fleet) expect(await answer(`${f.url}/whoami`, { cookie, ...json })).toMatchObject({ status: 200 });

    // A hung Redis (SIGSTOP): every instance gives up after store.timeoutMs and refuses to vouch.
    redis.pause();
    try {
      // What an instance read from Redis is trusted for KEPT_MS while its change notices are live
      // (a hung Redis keeps the subscription open): past that, every check asks Redis again.
      await new Promise((r) => setTimeout(r, KEPT_MS + 100));
      const hung = await Promise.all(fleet.map((f) => answer(`${f.url}/whoami`, { cookie, ...json })));
      expect(hung.map((a) => `${a.status} ${a.error}`)).toEqual(fleet.map(() => '503 store_unavailable'));
    } finally {
      redis.resume();
    }
    for (const f of fleet) {
      const [line] = await f.waitForLogs((l) => l.msg === 'shared store unavailable');
      expect(line!.reason).toBe(`no answer within ${TIMEOUT_MS} ms`);
    }

    await redis.stop();
    for (const f of fleet) {
      // Fail closed: a session (revocation check) and a password sign-in (its rate limit) answer 503.
      expect(await answer(`${f.url}/whoami`, { cookie, ...json })).toMatchObject({ status: 503, error: 'store_unavailable' });
      expect(await answer(`${f.url}/whoami`, { authorization: basic('dave', 'whatever'), ...json })).toMatchObject({
        status: 503,
        error: 'store_unavailable',
      });
      // Fail open: the sign-in-start limit does not stop a sign-in; public pages need no store.
      const start = await answer(`${f.url}/_auth/login?rd=/`, { accept: 'text/html' });
      expect(start.status).toBe(302);
      expect(start.location).toMatch(new RegExp(`^${emulator.hostedUiBase}/oauth2/authorize\\?`));
      expect((await answer(`${f.url}/public/x`, json)).status).toBe(200);
    }
    // Counted by operation on each process (the hung read, the stopped read; the two counters), one log line per interval.
    expect(await fleetMetric('cognito_gateway_store_errors_total{op="get"}')).toEqual([2, 2, 2]);
    expect(await fleetMetric('cognito_gateway_store_errors_total{op="increment"}')).toEqual([2, 2, 2]);
    expect(fleet.map((f) => f.logs().filter((l) => l.msg === 'shared store unavailable').length)).toEqual([1, 1, 1]);

    await redis.start();
    const healed = await Promise.all(
      fleet.map(async (f) => {
        let a = await answer(`${f.url}/whoami`, { cookie, ...json });
        for (let i = 0; i < 100 && a.status !== 200; i++) {
          await sleep(100);
          a = await answer(`${f.url}/whoami`, { cookie, ...json });
        }
        return a.status;
      }),
    );
    expect(healed).toEqual([200, 200, 200]);
    for (const f of fleet) {
      expect(await answer(`${f.url}/whoami`, { authorization: basic('carol', 'wrong'), ...json })).toMatchObject({ status: 401, error: 'invalid_credentials' });
      await f.waitForLogs((l) => l.msg === 'shared store reachable again');
    }
    // The same processes throughout: none exited or started again.
    expect(fleet.map((f) => f.running())).toEqual([true, true, true]);
    expect(fleet.map((f) => f.logs().filter((l) => l.msg === 'gateway listening').length)).toEqual([1, 1, 1]);
  });
});
