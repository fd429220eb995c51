/**
 * A config reload (SIGHUP, RunningGateway.reload) builds a new gateway on the same Redis client: the
 * new revocation list must still get the change notices of the kept client's pub/sub connection, so
 * a logout on another instance is refused at once, not only after KEPT_MS.
 *
 * The kept answers' clock (performance.now) is held still, so an answer kept
 * before the notice can only go away by the notice: the outcome does not depend on the machine's speed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../../src/store/memory';
import { createRedisStore } from '../../src/store/redis';
import { createRevocationList } from '../../src/store/revocation';
import type { SharedStore } from '../../src/store/types';
import { startStack, type Stack } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

let redis: RunningRedis;
const opened: SharedStore[] = [];
const stacks: Stack[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  for (const s of stacks) await s.close();
  for (const s of opened) await s.close();
  await redis?.stop();
});

async function reloadableStack(edit: (raw: Record<string, any>) => void): Promise<Stack> {
  let config: Stack['config'] | undefined;
  const stack = await startStack({ edit, loadConfig: async () => config! });
  config = stack.config;
  stacks.push(stack);
  return stack;
}

describe('a config reload keeps what the instance knows about revocations', () => {
  it('with Redis: the reloaded gateway still drops a kept answer the moment another instance revokes', async () => {
    const stack = await reloadableStack((raw) => {
      raw.store = { type: 'redis', url: redis.url, keyPrefix: 'reload-n:' };
    });
    const notices = () => stack.gateway.gateway().stores.store.invalidations!;
    await expect.poll(() => notices().live, { timeout: 5000, interval: 10 }).toBe(true);
    expect(await stack.gateway.reload()).toBe(true);
    const revocations = stack.gateway.gateway().stores.revocations;

    // Another instance on the same Redis and prefix.
    const other = createRedisStore({ url: redis.url, keyPrefix: 'reload-n:', timeoutMs: 500, tls: false, cluster: false });
    opened.push(other);
    const otherList = createRevocationList({ local: createMemoryStore(), shared: other, onError: 'closed' });
    await expect.poll(() => other.invalidations!.live, { timeout: 5000, interval: 10 }).toBe(true);

    const frozen = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(frozen);
    const q = { sub: 'reload-user', sid: 'reload-sid', issuedAt: 100 };
    expect(await revocations.check(q)).toBe('ok'); // kept: the clock stands still, so only a notice can drop it
    expect(await otherList.revoke({ sub: q.sub, sid: q.sid, sessionUntilSec: Math.floor(Date.now() / 1000) + 60, originUntilSec: 0 })).toBe(true);
    let verdict = await revocations.check(q);
    for (let i = 0; i < 200 && verdict !== 'revoked'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      verdict = await revocations.check(q);
    }
    expect(verdict, 'the notice reached the gateway built by the reload').toBe('revoked');
  });
});
