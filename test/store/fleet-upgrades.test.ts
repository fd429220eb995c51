/**
 * Open WebSockets across a fleet: two gateways (in one process, each with its own Redis client) on
 * one real redis-server, a `ws` upstream, the `ws` client. A logout on instance A closes the
 * WebSocket the same session holds on instance B (the revocation notice over pub/sub); a
 * revocation written to Redis with no notice at all is found by B's periodic re-check of its open
 * upgrades (300 ms here, 30 s by default); a logout on the instance holding the WebSocket closes it
 * once although its own notice comes back; a hung Redis (SIGSTOP) closes nothing.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { openSocket, startWsUpstream, type OpenSocket, type WsUpstream } from '../proxy/ws-peers';
import { type FleetInstance, type InProcessFleet, startInProcessFleet } from './in-process-fleet';

const PREFIX = 'ws-fleet:';
let up: WsUpstream;
let running: InProcessFleet;
let fleet: FleetInstance[];

const live = (i: number) => fleet[i]!.gateway.gateway().stores.store.invalidations!.live;

beforeAll(async () => {
  up = await startWsUpstream();
  running = await startInProcessFleet({
    size: 2,
    keyPrefix: PREFIX,
    upgradeRecheckMs: 300,
    edit: (raw, redisUrl) => {
      raw.store = { type: 'redis', url: redisUrl, keyPrefix: PREFIX, timeoutMs: 200 };
      raw.apps.find((a: { id: string }) => a.id === 'demo').upstream = up.url;
    },
  });
  fleet = running.fleet;
  for (let i = 0; i < 500 && !(live(0) && live(1)); i++) await new Promise((r) => setTimeout(r, 10));
});
afterAll(async () => {
  await running?.close();
  await up?.close();
});

const STILL_OPEN = -1;
/** The close code, or STILL_OPEN when the socket is still open after `ms` (a generous deadline, not a timing claim). */
const closeCode = (s: OpenSocket, ms = 5000) => Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(STILL_OPEN), ms))]);
const closeLines = (f: FleetInstance) => f.logs.filter((l) => l.msg === 'upgraded connections closed: credentials revoked');
const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(running.redis.port), ...args], { encoding: 'utf8' }).trim();

async function signedInOnA(user: string, password: string) {
  const b = new TestBrowser();
  const a = fleet[0]!.gateway.url;
  await b.signIn(`${a}/`, user, password);
  return { b, cookie: b.cookieHeader(a)! };
}

async function openOnB(cookie: string, on = 1) {
  const before = up.connections.length;
  const s = await openSocket(`${fleet[on]!.gateway.url.replace('http:', 'ws:')}/chat`, { cookie });
  expect(await s.echo('hi')).toBe('echo:hi');
  return { s, upstream: up.connections[before]! };
}

describe('open WebSockets on a fleet sharing Redis', () => {
  it('a logout on instance A closes the WebSocket the session holds on instance B', async () => {
    expect([live(0), live(1)]).toEqual([true, true]);
    const alice = await signedInOnA('alice', 'Alice-Passw0rd!');
    const onB = await openOnB(alice.cookie);
    const res = await alice.b.request(`${fleet[0]!.gateway.url}/_auth/logout?rd=/`);
    expect(res.status).toBe(302);
    expect(await closeCode(onB.s)).toBe(1008);
    expect(await onB.upstream.closed).toBe(1006);
    expect(closeLines(fleet[1]!).map((l) => [l.count, l.trigger])).toEqual([[1, 'revocation']]);
    // A held nothing of it: nothing closed there.
    expect(closeLines(fleet[0]!)).toEqual([]);
  });

  it("a revocation written to Redis without a notice is found by B's periodic re-check", async () => {
    const bob = await signedInOnA('bob', 'Bob-Passw0rd!');
    const me = (await (await fetch(`${fleet[0]!.gateway.url}/_auth/me`, { headers: { cookie: bob.cookie } })).json()) as { sub: string };
    const onB = await openOnB(bob.cookie);
    // The user's not-before time, set by hand: no PUBLISH, so no instance is told.
    expect(redisCli('SET', `${PREFIX}{u:${me.sub}}:nbf`, String(Math.floor(Date.now() / 1000)), 'PX', '60000')).toBe('OK');
    expect(await closeCode(onB.s)).toBe(1008);
    expect(await onB.upstream.closed).toBe(1006);
    expect(closeLines(fleet[1]!).at(-1)).toMatchObject({ count: 1, trigger: 'periodic' });
  });

  it('a logout on the instance that holds the WebSocket closes it once, with the close frame (its own notice comes back too)', async () => {
    const carol = await signedInOnA('carol', 'Carol-Passw0rd!');
    const onA = await openOnB(carol.cookie, 0);
    const before = closeLines(fleet[0]!).length;
    expect((await carol.b.request(`${fleet[0]!.gateway.url}/_auth/logout?rd=/`)).status).toBe(302);
    expect(await closeCode(onA.s)).toBe(1008);
    expect(await onA.s.reason).toBe('revoked');
    expect(await onA.upstream.closed).toBe(1006);
    // The notice A published reaches A's own subscription as well: give it time to arrive.
    await new Promise((r) => setTimeout(r, 200));
    expect(
      closeLines(fleet[0]!)
        .slice(before)
        .map((l) => l.count),
    ).toEqual([1]);
  });

  it('a store that cannot answer closes nothing: the periodic re-check fails and the WebSocket goes on', async () => {
    const alice = await signedInOnA('alice', 'Alice-Passw0rd!');
    const onB = await openOnB(alice.cookie);
    const before = closeLines(fleet[1]!).length;
    const warnings = () => fleet[1]!.logs.filter((l) => l.msg === 'shared store unavailable').length;
    const warned = warnings();
    running.redis.pause();
    try {
      // B's re-check (every 300 ms) meets the hung store and says so.
      for (let i = 0; i < 400 && warnings() === warned; i++) await new Promise((r) => setTimeout(r, 10));
      expect(warnings()).toBeGreaterThan(warned);
      expect(await onB.s.echo('during')).toBe('echo:during');
    } finally {
      running.redis.resume();
    }
    expect(await onB.s.echo('after')).toBe('echo:after');
    expect(closeLines(fleet[1]!).length).toBe(before);
    onB.s.ws.close();
  });
});
