/**
 * Revocation checks on a real redis-server keep the store's answer only while change notices are
 * live (pub/sub): a revocation on one instance reaches another at once, the kept answers save the
 * round trip otherwise (counted by Redis itself), and without a live subscription every check asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory';
import { createRedisStore } from '../../src/store/redis';
import { createRevocationList, KEPT_MS } from '../../src/store/revocation';
import type { SharedStore } from '../../src/store/types';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
const opened: SharedStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await redis?.stop();
});

function instance(prefix: string) {
  const shared = createRedisStore({ url: redis.url, keyPrefix: prefix, timeoutMs: 500, tls: false, cluster: false });
  opened.push(shared);
  return { shared, list: createRevocationList({ local: createMemoryStore(), shared, onError: 'closed' }) };
}

/** MGET calls Redis has served so far (INFO commandstats), read over a connection of its own. */
async function mgetCalls(): Promise<number> {
  const { Redis } = await import('ioredis');
  const raw = new Redis(redis.url);
  try {
    const info = await raw.info('commandstats');
    return Number(/cmdstat_mget:calls=(\d+)/.exec(info)?.[1] ?? 0);
  } finally {
    raw.disconnect();
  }
}

const until = async (live: () => boolean) => {
  for (let i = 0; i < 200 && !live(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(live()).toBe(true);
};

describe('revocation checks with change notices', () => {
  it('keeps an answer (no second MGET), and forgets it the moment another instance revokes', async () => {
    const a = instance('n1:');
    const b = instance('n1:');
    await until(() => a.shared.invalidations!.live && b.shared.invalidations!.live);
    const q = { sub: 'u-1', sid: 'sid-1', issuedAt: 100 };
    expect(await b.list.check(q)).toBe('ok');
    const before = await mgetCalls();
    expect(await b.list.check(q)).toBe('ok');
    expect(await mgetCalls(), 'the second check is answered from what b kept').toBe(before);

    expect(await a.list.revoke({ sub: 'u-1', sid: 'sid-1', sessionUntilSec: Math.floor(Date.now() / 1000) + 60, originUntilSec: 0 })).toBe(true);
    // The notice reaches b before PUBLISH answers a; b's next check reads Redis again.
    let verdict = await b.list.check(q);
    for (let i = 0; i < 50 && verdict !== 'revoked'; i++) {
      await new Promise((r) => setTimeout(r, 2));
      verdict = await b.list.check(q);
    }
    expect(verdict).toBe('revoked');
  });

  it('a sign-out-everywhere (not-before time) reaches the kept answers of another instance too', async () => {
    const a = instance('n2:');
    const b = instance('n2:');
    await until(() => a.shared.invalidations!.live && b.shared.invalidations!.live);
    const q = { sub: 'u-2', sid: 'sid-2', issuedAt: 100 };
    expect(await b.list.check(q)).toBe('ok');
    await a.list.revokeUserBefore('u-2', 200, 60);
    await expect.poll(() => b.list.check(q), { timeout: 1000, interval: 5 }).toBe('revoked');
  });

  it('trusts a kept answer for at most KEPT_MS, and not at all without a live subscription', async () => {
    const b = instance('n3:');
    await until(() => b.shared.invalidations!.live);
    const q = { sub: 'u-3', sid: 'sid-3', issuedAt: 100 };
    expect(await b.list.check(q)).toBe('ok');
    const kept = await mgetCalls();
    await new Promise((r) => setTimeout(r, KEPT_MS + 50));
    expect(await b.list.check(q)).toBe('ok');
    expect(await mgetCalls(), 'past KEPT_MS the check asks Redis again').toBe(kept + 1);

    // A store whose notices are not live (here: none at all) is read on every check.
    const plain = createRedisStore({ url: redis.url, keyPrefix: 'n3:', timeoutMs: 500, tls: false, cluster: false });
    opened.push(plain);
    const list = createRevocationList({ local: createMemoryStore(), shared: { ...plain, invalidations: undefined }, onError: 'closed' });
    const start = await mgetCalls();
    expect([await list.check(q), await list.check(q)]).toEqual(['ok', 'ok']);
    expect(await mgetCalls()).toBe(start + 2);
  });
});
