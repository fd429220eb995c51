import { storeKeys } from './keys';
import { StoreUnavailableError, type SharedStore } from './types';

export interface SharedOnceOptions {
  /** How long the lock holds if its owner dies (ms): longer than `run` may take. */
  lockMs: number;
  /** How long the result is kept for the instances that waited (ms). */
  resultMs: number;
  /** How long a waiter waits for another instance's result (ms). */
  waitMs: number;
  pollMs?: number;
  /** The result as stored (sealed: the store must not see tokens) and back. */
  encode(value: unknown): Promise<string>;
  decode(text: string): Promise<unknown>;
}

/** Another instance holds the lock and did not finish in time. */
export class SharedOnceTimeoutError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `run` once across every instance that shares the store: the first takes a short lock and
 * publishes its result; the others wait for that result. When the store cannot answer before a lock
 * is seen, this instance runs `run` itself (fail open: the per-process single flight still holds);
 * once another holds the lock, it waits for that result until `waitMs`.
 */
export async function sharedOnce<T>(
  store: SharedStore,
  name: string,
  subject: string,
  opts: SharedOnceOptions,
  run: () => Promise<T>,
): Promise<{ value: T; shared: boolean }> {
  const lockKey = await storeKeys.lock(name, subject);
  const resultKey = await storeKeys.lockResult(name, subject);
  const owner = crypto.randomUUID();
  const published = async () => {
    const text = await store.get(resultKey);
    if (text === undefined) return undefined;
    // A result this caller cannot open (another token's, or damaged) is no result.
    return ((await opts.decode(text).catch(() => undefined)) as T | undefined) ?? undefined;
  };
  let acquired: boolean;
  try {
    const ready = await published();
    if (ready !== undefined) return { value: ready, shared: true };
    acquired = await store.setIfAbsent(lockKey, owner, opts.lockMs);
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    return { value: await run(), shared: false };
  }
  const runAndPublish = async (): Promise<{ value: T; shared: boolean }> => {
    try {
      // The previous owner may have published and released between our read and our lock.
      const ready = await published().catch(() => undefined);
      if (ready !== undefined) return { value: ready, shared: true };
      const value = await run();
      await store.set(resultKey, await opts.encode(value), opts.resultMs).catch(() => {});
      return { value, shared: false };
    } finally {
      await store.delete(lockKey, owner).catch(() => {});
    }
  };
  if (acquired) return runAndPublish();

  const deadline = performance.now() + opts.waitMs;
  const poll = opts.pollMs ?? 25;
  while (performance.now() < deadline) {
    await sleep(poll);
    try {
      const ready = await published();
      if (ready !== undefined) return { value: ready, shared: true };
      // The owner gave up without a result (its run failed): take the lock and try ourselves.
      if (await store.setIfAbsent(lockKey, owner, opts.lockMs)) return runAndPublish();
    } catch (e) {
      // Someone else holds the lock: a store hiccup now is no reason to run a second time (with
      // rotating refresh tokens that could fail); keep waiting until the deadline.
      if (!(e instanceof StoreUnavailableError)) throw e;
    }
  }
  throw new SharedOnceTimeoutError(`${name}: another instance did not finish within ${opts.waitMs} ms`);
}
