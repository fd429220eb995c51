/**
 * A second-level cache shared between instances (on Workers: the Cache API or KV behind this
 * interface), used for the JWKS document and verified-token entries. Values are strings; `ttlSeconds`
 * bounds how long an entry may be served.
 */
export interface SharedCache {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/** In-memory SharedCache honouring TTLs against an injectable clock (ms). For tests and single-process use. */
export function createMemorySharedCache(opts: { now?: () => number } = {}): SharedCache & {
  size(): number;
  gets: number;
  puts: number;
} {
  const now = opts.now ?? (() => Date.now());
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const cache = {
    gets: 0,
    puts: 0,
    async get(key: string): Promise<string | undefined> {
      cache.gets++;
      const e = entries.get(key);
      if (!e) return undefined;
      if (now() >= e.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    async put(key: string, value: string, ttlSeconds: number): Promise<void> {
      cache.puts++;
      if (!(ttlSeconds > 0)) return;
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    size: () => entries.size,
  };
  return cache;
}
