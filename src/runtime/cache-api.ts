/**
 * SharedCache over the Workers Cache API (`caches.default`): the second level behind each isolate's
 * in-memory caches for the JWKS document and verified tokens. Entries live under synthetic
 * `https://cache.internal/...` keys and expire through `Cache-Control: max-age`.
 *
 * The Cache API is per data centre, best effort, and a no-op on `*.workers.dev` hostnames: a miss or
 * an error here only means the first level (or the IdP) answers. It never throws.
 */
import type { SharedCache } from '../tokens';

/** The part of the Workers `Cache` interface this module uses. */
export interface CacheLike {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
  delete?(request: Request): Promise<boolean>;
}

export interface CacheApiSharedCacheOptions {
  /** The cache to use; default `caches.default`. */
  cache?: CacheLike;
  /** Key namespace, so several gateways (or config generations) on one zone do not share entries. */
  namespace?: string;
  /** Called when the Cache API fails (logged, never thrown). */
  onError?: (op: 'get' | 'put', error: unknown) => void;
}

export const CACHE_KEY_ORIGIN = 'https://cache.internal';

/** `caches.default` when running in workerd, else undefined (Node has no Cache API). */
export function defaultWorkersCache(): CacheLike | undefined {
  const storage = (globalThis as { caches?: { default?: CacheLike } }).caches;
  return storage?.default;
}

export function cacheKeyUrl(namespace: string, key: string): string {
  return `${CACHE_KEY_ORIGIN}/${encodeURIComponent(namespace)}/${encodeURIComponent(key)}`;
}

export function createCacheApiSharedCache(opts: CacheApiSharedCacheOptions = {}): SharedCache | undefined {
  const cache = opts.cache ?? defaultWorkersCache();
  if (!cache) return undefined;
  const namespace = opts.namespace ?? 'cognito-gateway/v1';
  const request = (key: string) => new Request(cacheKeyUrl(namespace, key), { method: 'GET' });
  return {
    async get(key) {
      try {
        const res = await cache.match(request(key));
        if (!res?.ok) return undefined;
        return await res.text();
      } catch (e) {
        opts.onError?.('get', e);
        return undefined;
      }
    },
    async put(key, value, ttlSeconds) {
      const ttl = Math.floor(ttlSeconds);
      if (!(ttl >= 1)) return;
      try {
        await cache.put(
          request(key),
          new Response(value, {
            status: 200,
            headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': `max-age=${ttl}` },
          }),
        );
      } catch (e) {
        opts.onError?.('put', e);
      }
    },
  };
}
