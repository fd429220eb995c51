/**
 * Two gateways (in one process, each with its own Redis client) on one real redis-server, and the
 * pub/sub connection that carries change notices between them breaking:
 * - killed (`CLIENT KILL TYPE pubsub`): it comes back by itself and notices flow again;
 * - refused (the ACL takes the channel away: Redis drops the subscribers and refuses SUBSCRIBE):
 *   while it is down a logout on A is refused by B on the next request (nothing kept is trusted),
 *   and once the ACL allows the channel again the subscription comes back without a restart.
 *
 * Where a test shows that a notice (and not the 500 ms bound) made B refuse, the kept answers'
 * clock (performance.now) is held still, so the outcome does not depend on the machine's speed.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import type { RunningRedis } from './redis-server';
import { type FleetInstance, type InProcessFleet, startInProcessFleet } from './in-process-fleet';

let running: InProcessFleet;
let redis: RunningRedis;
let fleet: FleetInstance[];
const PREFIX = 'pubsub-test:';

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
const subscribers = () => Number(redisCli('PUBSUB', 'NUMSUB', `${PREFIX}invalidate`).split('\n')[1]);
const live = (i: number) => fleet[i]!.gateway.gateway().stores.store.invalidations!.live;

beforeAll(async () => {
  running = await startInProcessFleet({
    size: 2,
    keyPrefix: PREFIX,
    edit: (raw, redisUrl) => (raw.store = { type: 'redis', url: redisUrl, keyPrefix: PREFIX, timeoutMs: 500 }),
  });
  ({ redis, fleet } = running);
  for (let i = 0; i < 500 && !(live(0) && live(1)); i++) await new Promise((r) => setTimeout(r, 10));
});

afterEach(() => {
  vi.restoreAllMocks();
  redisCli('ACL', 'SETUSER', 'default', 'allchannels');
});

afterAll(async () => {
  await running?.close();
});

const json = { accept: 'application/json' };
const whoami = async (url: string, cookie: string) => {
  const res = await fetch(`${url}/whoami`, { headers: { cookie, ...json } });
  const body = (await res.json()) as { error?: string; requestId?: string };
  return { status: res.status, error: body.error };
};

/** Signs in on A; the cookie is accepted (and B's answer kept) on both. */
async function signedIn(user: string, password: string) {
  const b = new TestBrowser();
  const a = fleet[0]!.gateway.url;
  await b.signIn(`${a}/`, user, password);
  const cookie = b.cookieHeader(a)!;
  for (const f of fleet) expect((await whoami(f.gateway.url, cookie)).status).toBe(200);
  return { browser: b, cookie };
}

/** With the kept answers' clock held still: B refuses `cookie` once a notice dropped what it kept. */
async function refusedByNotice(cookie: string) {
  const b = fleet[1]!.gateway.url;
  let answer = await whoami(b, cookie);
  for (let i = 0; i < 200 && answer.status === 200; i++) {
    await new Promise((r) => setTimeout(r, 10));
    answer = await whoami(b, cookie);
  }
  return answer;
}

describe('change notices when the pub/sub connection breaks', () => {
  it('a killed subscriber connection comes back by itself, and notices reach B again', async () => {
    expect(subscribers()).toBe(2);
    redisCli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await expect.poll(() => live(0) && live(1) && subscribers() === 2, { timeout: 10_000, interval: 20 }).toBe(true);

    const { browser, cookie } = await signedIn('alice', 'Alice-Passw0rd!');
    const frozen = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(frozen);
    expect((await whoami(fleet[1]!.gateway.url, cookie)).status).toBe(200); // kept by B, for ever on this clock
    expect((await browser.request(`${fleet[0]!.gateway.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    expect(await refusedByNotice(cookie)).toEqual({ status: 401, error: 'unauthorized' });
  });

  it('while the subscription is refused, B reads Redis on every check; when allowed again it comes back without a restart', async () => {
    const first = await signedIn('bob', 'Bob-Passw0rd!');
    // Redis 7 drops subscribers of channels the ACL no longer allows; their SUBSCRIBE is then refused.
    redisCli('ACL', 'SETUSER', 'default', 'resetchannels');
    await expect.poll(() => live(0) || live(1), { timeout: 5000, interval: 10 }).toBe(false);
    // The logout's notice cannot be published (the ACL refuses PUBLISH too): B must not rely on one.
    expect((await first.browser.request(`${fleet[0]!.gateway.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    expect(await whoami(fleet[1]!.gateway.url, first.cookie)).toEqual({ status: 401, error: 'unauthorized' });

    redisCli('ACL', 'SETUSER', 'default', 'allchannels');
    await expect.poll(() => live(0) && live(1) && subscribers() === 2, { timeout: 10_000, interval: 20 }).toBe(true);
    const second = await signedIn('carol', 'Carol-Passw0rd!');
    const frozen = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(frozen);
    expect((await whoami(fleet[1]!.gateway.url, second.cookie)).status).toBe(200);
    expect((await second.browser.request(`${fleet[0]!.gateway.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    expect(await refusedByNotice(second.cookie)).toEqual({ status: 401, error: 'unauthorized' });
  });
});
