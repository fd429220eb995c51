/**
 * The store contract, run against the in-memory store and a real redis-server: TTLs, set-if-absent
 * locks with owner-only release, fixed-window counters, multi-key reads, key prefixes; and the
 * features built on it (revocation list, window limiter, one run across callers) including what they
 * do when Redis is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log';
import { createGatewayMetrics } from '../../src/metrics/prometheus';
import {
  createMemoryStore,
  createRevocationList,
  guardStore,
  sharedOnce,
  StoreUnavailableError,
  storeKeys,
  windowLimiter,
  type SharedStore,
} from '../../src/store';
import { createRedisStore } from '../../src/store/redis';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
const opened: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await redis?.stop();
});

const quiet = createLogger({ level: 'error', sink: () => {} });

async function redisStore(prefix = 'contract:') {
  const s = createRedisStore({ url: redis.url, keyPrefix: prefix, timeoutMs: 300, tls: false, cluster: false });
  opened.push(s);
  expect(await s.ready(2000)).toBe(true);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['memory', async () => createMemoryStore() as SharedStore],
  ['redis', async () => (await redisStore(`contract-${Math.random().toString(36).slice(2)}:`)) as SharedStore],
])('%s store', (_name, make) => {
  it('keeps values for their time to live only', async () => {
    const s = await make();
    // A second to live: the reads right after the write must not depend on the shared machine
    // answering within a fraction of it.
    await s.set('a', 'one', 1000);
    expect(await s.get('a')).toBe('one');
    expect(await s.getMany(['a', 'missing'])).toEqual(['one', undefined]);
    await sleep(1300);
    expect(await s.get('a')).toBeUndefined();
  });

  it('locks with set-if-absent and releases only for the owner', async () => {
    const s = await make();
    expect(await s.setIfAbsent('lock', 'me', 5000)).toBe(true);
    expect(await s.setIfAbsent('lock', 'you', 5000)).toBe(false);
    await s.delete('lock', 'you');
    expect(await s.get('lock')).toBe('me');
    await s.delete('lock', 'me');
    expect(await s.setIfAbsent('lock', 'you', 5000)).toBe(true);
  });

  it('moves a number only forward with set-if-greater (a not-before time)', async () => {
    const s = await make();
    expect(await s.setIfGreater('nbf', 1000, 5000)).toBe(true);
    expect(await s.setIfGreater('nbf', 990, 5000)).toBe(false);
    expect(await s.setIfGreater('nbf', 1000, 5000)).toBe(false);
    expect(await s.get('nbf')).toBe('1000');
    expect(await s.setIfGreater('nbf', 1005, 5000)).toBe(true);
    expect(await s.get('nbf')).toBe('1005');
    // Something that is not a number is replaced.
    await s.set('other', 'not a number', 5000);
    expect(await s.setIfGreater('other', 1, 5000)).toBe(true);
    expect(await s.get('other')).toBe('1');
  });

  it('keeps the later not-before time when an instance whose clock is behind writes an earlier one', async () => {
    const s = await make();
    const list = createRevocationList({ local: createMemoryStore(), shared: s, onError: 'closed' });
    await list.revokeUserBefore('skewed-user', 1000, 3600);
    await list.revokeUserBefore('skewed-user', 990, 3600);
    const fresh = createRevocationList({ local: createMemoryStore(), shared: s, onError: 'closed' });
    expect(await fresh.check({ sub: 'skewed-user', sid: 'between', issuedAt: 995 })).toBe('revoked');
    expect(await fresh.check({ sub: 'skewed-user', sid: 'after', issuedAt: 1001 })).toBe('ok');
  });

  it('counts in a window that opens with the first hit', async () => {
    const s = await make();
    // A one-second window: the three hits inside it must not depend on the machine's speed.
    expect((await s.increment('c', 1, 1000)).count).toBe(1);
    const second = await s.increment('c', 1, 1000);
    expect(second.count).toBe(2);
    expect(second.resetInMs).toBeGreaterThan(0);
    expect(second.resetInMs).toBeLessThanOrEqual(1000);
    expect((await s.increment('c', -1, 1000)).count).toBe(1);
    await sleep(1300);
    expect((await s.increment('c', 1, 1000)).count).toBe(1);
  });

  it('limits attempts and says when to retry; a refused attempt does not count', async () => {
    const s = await make();
    const limiter = windowLimiter(s, 'test', { max: 2, windowSeconds: 60 });
    const a = await limiter.attempt('u');
    const b = await limiter.attempt('u');
    expect([a.ok, b.ok]).toEqual([true, true]);
    const c = await limiter.attempt('u');
    expect(c).toEqual({ ok: false, retryAfterSeconds: 60 });
    if (a.ok) await a.undo();
    expect((await limiter.attempt('u')).ok).toBe(true);
    await limiter.clear('u');
    expect((await limiter.attempt('u')).ok).toBe(true);
  });

  it('runs once for concurrent callers and hands the others its result', async () => {
    const s = await make();
    let runs = 0;
    const opts = {
      lockMs: 5000,
      resultMs: 5000,
      waitMs: 3000,
      encode: async (v: unknown) => JSON.stringify(v),
      decode: async (t: string) => JSON.parse(t) as unknown,
    };
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        sharedOnce(s, 'once', 'subject', opts, async () => {
          runs++;
          await sleep(100);
          return 'value';
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(results.map((r) => r.value)).toEqual(Array(5).fill('value'));
    expect(results.filter((r) => r.shared)).toHaveLength(4);
  });
});

describe('keys', () => {
  it('tag everything about one user alike and hash what is not plainly safe', async () => {
    expect(await storeKeys.revokedSession('77aa-01', 'sid_A-b')).toBe('{u:77aa-01}:sid:sid_A-b');
    expect(await storeKeys.notBefore('77aa-01')).toBe('{u:77aa-01}:nbf');
    expect(await storeKeys.revokedSession('a}b{c', 'x')).toMatch(/^\{u:h\.[0-9a-f]{32}\}:sid:x$/);
  });

  it('carry the configured prefix in Redis', async () => {
    const s = await redisStore('prefix-check:');
    await s.set('k', 'v', 5000);
    const other = await redisStore('');
    expect(await other.get('prefix-check:k')).toBe('v');
  });
});

describe('revocation list and guard when Redis is gone', () => {
  it('fails closed or open as configured; what this instance revoked stays refused', async () => {
    const r2 = await startRedis();
    const metrics = createGatewayMetrics();
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'debug', sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const raw = createRedisStore({ url: r2.url, keyPrefix: 'g:', timeoutMs: 200, tls: false, cluster: false });
    opened.push(raw);
    expect(await raw.ready(2000)).toBe(true);
    const store = guardStore(raw, { timeoutMs: 200, log, onError: (op) => metrics.storeErrors.inc({ op }) });
    const local = createMemoryStore();
    const closed = createRevocationList({ local, shared: store, onError: 'closed' });
    const open = createRevocationList({ local: createMemoryStore(), shared: store, onError: 'open' });
    const until = Math.floor(Date.now() / 1000) + 3600;
    expect(await closed.revoke({ sub: 's1', sid: 'gone', sessionUntilSec: until, originUntilSec: until })).toBe(true);
    expect(await open.check({ sub: 's1', sid: 'gone', issuedAt: 0 })).toBe('revoked');

    await r2.stop();
    expect(await closed.check({ sub: 's1', sid: 'other', issuedAt: 0 })).toBe('unavailable');
    expect(await open.check({ sub: 's1', sid: 'other', issuedAt: 0 })).toBe('ok');
    // Known locally: refused without the store.
    expect(await closed.check({ sub: 's1', sid: 'gone', issuedAt: 0 })).toBe('revoked');
    expect(await closed.revoke({ sub: 's1', sid: 'later', sessionUntilSec: until, originUntilSec: until })).toBe(false);
    expect(await closed.check({ sub: 's1', sid: 'later', issuedAt: 0 })).toBe('revoked');
    await expect(store.increment('x', 1, 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(metrics.storeErrors.get({ op: 'get' })).toBe(2);
    expect(metrics.storeErrors.get({ op: 'set' })).toBe(1);
    expect(metrics.storeErrors.get({ op: 'increment' })).toBe(1);
    expect(lines.filter((l) => l.msg === 'shared store unavailable')).toHaveLength(1);
  });

  it('takes an answer that waited while this process stalled past the time limit: the limit is for the store, not the gateway', async () => {
    const raw = await redisStore('stall:');
    await raw.set('k', 'v', 60_000);
    const store = guardStore(raw, { timeoutMs: 100, log: quiet });
    const read = store.get('k');
    // Let the command leave (auto-pipelined writes go out after I/O), then block the event loop for
    // five time limits, as a long GC pause or a starved CPU would: Redis answers meanwhile.
    await new Promise((r) => setImmediate(r));
    const until = performance.now() + 500;
    while (performance.now() < until) {
      /* a stalled gateway */
    }
    expect(await read).toBe('v');
  });

  it('gives up on a hung Redis after the time limit', async () => {
    const r3 = await startRedis();
    const raw = createRedisStore({ url: r3.url, keyPrefix: 'h:', timeoutMs: 150, tls: false, cluster: false });
    opened.push(raw);
    expect(await raw.ready(2000)).toBe(true);
    const store = guardStore(raw, { timeoutMs: 150, log: quiet });
    r3.pause();
    try {
      // The guard's own limit gave up (its reason), not the Redis client's command timeout
      // (2 × timeoutMs + 1 s, which would say "Command timed out"); a store that never gave up would
      // hang this test to its timeout.
      const failure = await store.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(failure).toMatchObject({ op: 'get', reason: 'no answer within 150 ms' });
    } finally {
      r3.resume();
      await r3.stop();
    }
  });
});
