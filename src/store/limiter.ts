import { storeKeys } from './keys';
import type { SharedStore } from './types';

export interface WindowLimit {
  max: number;
  windowSeconds: number;
}

export type LimitAttempt = { ok: true; undo(): Promise<void> } | { ok: false; retryAfterSeconds: number };

export interface WindowLimiter {
  /** Counts an attempt before its outcome is known (so concurrent attempts cannot overshoot); refused past `max`. */
  attempt(subject: string): Promise<LimitAttempt>;
  /** Forgets the subject's attempts (a success). */
  clear(subject: string): Promise<void>;
}

/**
 * A fixed-window limiter over a store's counters: with a shared store the limit is the fleet's, not
 * each instance's. Throws StoreUnavailableError when the store cannot answer (the caller's
 * fail-closed or fail-open choice).
 */
export function windowLimiter(store: SharedStore, name: string, limit: WindowLimit): WindowLimiter {
  const windowMs = limit.windowSeconds * 1000;
  return {
    async attempt(subject) {
      const key = await storeKeys.counter(name, subject);
      const { count, resetInMs } = await store.increment(key, 1, windowMs);
      if (count > limit.max) {
        // A refused attempt does not count: the window is not pushed out by an attacker's retries.
        await store.increment(key, -1, windowMs);
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000)) };
      }
      let undone = false;
      return {
        ok: true,
        async undo() {
          if (undone) return;
          undone = true;
          await store.increment(key, -1, windowMs);
        },
      };
    },
    async clear(subject) {
      await store.delete(await storeKeys.counter(name, subject));
    },
  };
}
