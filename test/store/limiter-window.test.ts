/**
 * The window limiter's decrements (a refused attempt given back, `undo()` of an attempt that turned
 * out not to be a failure) on the in-memory store and a real redis-server. A decrement that lands
 * after its window closed (the window expired while Cognito answered, or between the count and the
 * give-back of a refused attempt) must not open a new window below zero: that would let the next
 * window allow more than `max` attempts (a brute-force allowance an attacker can time, since
 * Retry-After tells when the window ends).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, storeKeys, windowLimiter, type SharedStore } from '../../src/store';
import { createRedisStore } from '../../src/store/redis';
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

const MAX = 3;

describe.each([
  ['memory', async () => createMemoryStore() as SharedStore],
  [
    'redis',
    async () => {
      const s = createRedisStore({ url: redis.url, keyPrefix: `lim-${Math.random().toString(36).slice(2)}:`, timeoutMs: 500, tls: false, cluster: false });
      opened.push(s);
      expect(await s.ready(2000)).toBe(true);
      return s as SharedStore;
    },
  ],
])('%s store', (_name, make) => {
  it('a decrement of a counter that no longer exists creates nothing', async () => {
    const s = await make();
    expect(await s.increment('gone', -1, 60_000)).toEqual({ count: 0, resetInMs: 0 });
    expect(await s.get('gone')).toBeUndefined();
    expect((await s.increment('gone', 1, 60_000)).count).toBe(1);
  });

  it('an undo after the window closed leaves the next window at exactly max attempts', async () => {
    const s = await make();
    const limiter = windowLimiter(s, 'pw-user', { max: MAX, windowSeconds: 900 });
    const first = await limiter.attempt('victim');
    expect(first.ok).toBe(true);
    // The window closes while the attempt is under way (its counter expires).
    await s.delete(await storeKeys.counter('pw-user', 'victim'));
    if (first.ok) await first.undo();

    const outcomes: boolean[] = [];
    for (let i = 0; i < MAX + 1; i++) outcomes.push((await limiter.attempt('victim')).ok);
    expect(outcomes).toEqual([true, true, true, false]);
  });

  it('a refused attempt given back after the window closed does not lower the next window', async () => {
    const s = await make();
    const key = await storeKeys.counter('pw-addr', '198.51.100.7');
    const limiter = windowLimiter(s, 'pw-addr', { max: MAX, windowSeconds: 900 });
    for (let i = 0; i < MAX; i++) expect((await limiter.attempt('198.51.100.7')).ok).toBe(true);
    // What the limiter does for a refused attempt, with the window closing between its two steps.
    expect((await s.increment(key, 1, 900_000)).count).toBe(MAX + 1);
    await s.delete(key);
    expect((await s.increment(key, -1, 900_000)).count).toBe(0);

    const outcomes: boolean[] = [];
    for (let i = 0; i < MAX + 1; i++) outcomes.push((await limiter.attempt('198.51.100.7')).ok);
    expect(outcomes).toEqual([true, true, true, false]);
  });
});
