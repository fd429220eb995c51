/**
 * store.onError set to `open`: with Redis stopped, a session is accepted on what this instance knows
 * (and a session this instance revoked stays refused), password sign-in counts on this instance, and
 * every failure is counted in store_errors_total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
let stack: Stack;
const PER_USER = 2;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    edit: (raw) => {
      raw.store = { type: 'redis', url: redis.url, onError: { revocation: 'open', passwordRateLimits: 'open' } };
      raw.cognitoAdmin = { passwordAuth: { perUser: { max: PER_USER, window: '15m' } } };
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
    },
  });
});
afterAll(async () => {
  await stack?.gateway.gateway().stores.store.close();
  await stack?.close();
  await redis?.stop();
});

const json = { accept: 'application/json' };

describe('store.onError: open', () => {
  it('falls back to this instance while Redis is down', async () => {
    const kept = new TestBrowser();
    await kept.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const signedOut = new TestBrowser();
    await signedOut.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const copied = signedOut.cookieHeader(stack.url)!;
    expect((await signedOut.request(`${stack.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);

    await redis.stop();
    expect((await kept.request(`${stack.url}/whoami`, { headers: json })).status).toBe(200);
    // Revoked here before Redis went away: this instance still knows.
    expect((await fetch(`${stack.url}/whoami`, { headers: { cookie: copied, ...json } })).status).toBe(401);

    const answers: string[] = [];
    for (let i = 0; i < PER_USER + 2; i++) {
      const res = await fetch(`${stack.url}/whoami`, { headers: { authorization: `Basic ${btoa(`carol:wrong-${i}`)}`, ...json } });
      answers.push(`${res.status} ${((await res.json()) as { error: string }).error}`);
    }
    expect(answers).toEqual([...Array(PER_USER).fill('401 invalid_credentials'), '429 rate_limited', '429 rate_limited']);
    const metrics = stack.gateway.gateway().metrics;
    // One failed read (the kept session); the revoked one was refused from memory without asking Redis.
    expect(metrics.storeErrors.get({ op: 'get' })).toBe(1);
    expect(metrics.storeErrors.get({ op: 'increment' })).toBe(PER_USER + 2);
  });
});
