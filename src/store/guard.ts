import type { Logger } from '../log';
import { StoreUnavailableError, type SharedStore } from './types';

export interface StoreGuardOptions {
  /** Each call's time limit (ms): the gateway never waits longer on the store. */
  timeoutMs: number;
  log: Logger;
  /** Counts failures by operation (store_errors_total{op}). */
  onError?: (op: string) => void;
  /** One log line per this many ms however many calls fail (default 60 s). */
  logIntervalMs?: number;
  now?: () => number;
}

/**
 * Wraps a shared store so that every call either answers within `timeoutMs` or throws
 * StoreUnavailableError, and failures are counted and logged at most once per interval.
 */
export function guardStore(inner: SharedStore, opts: StoreGuardOptions): SharedStore {
  const now = opts.now ?? Date.now;
  const interval = opts.logIntervalMs ?? 60_000;
  let lastLog = -Infinity;
  let suppressed = 0;
  let failing = false;

  const call = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          // Node runs due timers before it reads sockets: after a stall of this process (GC, a busy
          // machine) the answer may be waiting unread. A second, zero-delay timer fires only after
          // the next socket reads, so the limit measures the store, not the gateway's own stall.
          timer = setTimeout(() => {
            timer = setTimeout(() => reject(new StoreUnavailableError(op, `no answer within ${opts.timeoutMs} ms`)), 0);
          }, opts.timeoutMs);
        }),
      ]);
      if (failing) {
        failing = false;
        opts.log.info('shared store reachable again', { store: inner.kind });
      }
      return result;
    } catch (e) {
      const err = e instanceof StoreUnavailableError ? e : new StoreUnavailableError(op, (e as Error).message);
      opts.onError?.(op);
      failing = true;
      const t = now();
      if (t - lastLog >= interval) {
        opts.log.warn('shared store unavailable', { store: inner.kind, op, reason: err.reason, suppressed });
        lastLog = t;
        suppressed = 0;
      } else suppressed++;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    kind: inner.kind,
    shared: inner.shared,
    get: (key) => call('get', () => inner.get(key)),
    getMany: (keys) => call('get', () => inner.getMany(keys)),
    set: (key, value, ttlMs) => call('set', () => inner.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => call('lock', () => inner.setIfAbsent(key, value, ttlMs)),
    setIfGreater: (key, value, ttlMs) => call('set', () => inner.setIfGreater(key, value, ttlMs)),
    delete: (key, ifValue) => call('delete', () => inner.delete(key, ifValue)),
    increment: (key, by, windowMs) => call('increment', () => inner.increment(key, by, windowMs)),
    close: () => inner.close(),
    invalidations: inner.invalidations,
  };
}
