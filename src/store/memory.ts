import type { SharedStore } from './types';

/**
 * The default store: one process (or one Workers isolate) and nothing else sees it — today's
 * behaviour. Bounded: when full, expired entries go first, then the oldest.
 */
export function createMemoryStore(opts: { now?: () => number; maxEntries?: number } = {}): SharedStore {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? 100_000;
  const entries = new Map<string, { value: string; until: number }>();

  const live = (key: string) => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.until <= now()) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  const put = (key: string, value: string, ttlMs: number) => {
    entries.delete(key);
    if (entries.size >= maxEntries) {
      const t = now();
      for (const [k, v] of entries) if (v.until <= t) entries.delete(k);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    }
    entries.set(key, { value, until: now() + Math.max(1, ttlMs) });
  };

  return {
    kind: 'memory',
    shared: false,
    async get(key) {
      return live(key)?.value;
    },
    async getMany(keys) {
      return keys.map((k) => live(k)?.value);
    },
    async set(key, value, ttlMs) {
      put(key, value, ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    async setIfGreater(key, value, ttlMs) {
      const held = Number(live(key)?.value ?? Number.NaN);
      if (held >= value) return false;
      put(key, String(value), ttlMs);
      return true;
    },
    async delete(key, ifValue) {
      if (ifValue === undefined || live(key)?.value === ifValue) entries.delete(key);
    },
    async increment(key, by, windowMs) {
      const e = live(key);
      if (!e) {
        if (by < 0) return { count: 0, resetInMs: 0 }; // the window closed: a decrement opens none
        put(key, String(by), windowMs);
        return { count: by, resetInMs: windowMs };
      }
      e.value = String(Number(e.value) + by);
      return { count: Number(e.value), resetInMs: e.until - now() };
    },
    async close() {
      entries.clear();
    },
  };
}
