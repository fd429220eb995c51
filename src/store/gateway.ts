import type { ResolvedConfig } from '../config/load';
import type { Logger } from '../log';
import type { GatewayMetrics } from '../metrics';
import type { SharedCache } from '../tokens';
import { guardStore } from './guard';
import { storeKeys } from './keys';
import { windowLimiter, type WindowLimiter } from './limiter';
import { createMemoryStore } from './memory';
import { createRevocationList, type RevocationList } from './revocation';
import { StoreUnavailableError, type SharedStore } from './types';

/** What a running gateway keeps in its store, built once per config (src/gateway/app.ts). */
export interface GatewayStores {
  /** The configured store, guarded (time limits, error counting, one log line per interval). */
  store: SharedStore;
  /** True when other instances see it (Redis, Durable Objects). */
  shared: boolean;
  settings: ResolvedConfig['store'];
  revocations: RevocationList;
  /** Sign-in starts per client address (store.signInStarts), when configured. */
  signInStarts?: WindowLimiter;
  /** The store as a second-level cache (user look-ups); failures read as misses. */
  cache?: SharedCache;
  /** With `session.storage: store`: the session records (logout deletes its own). */
  sessionRecords?: { remove(sid: string): Promise<void> };
}

export function createGatewayStores(
  config: ResolvedConfig,
  opts: {
    store?: SharedStore;
    local?: SharedStore;
    log: Logger;
    metrics: GatewayMetrics;
    now: () => number;
    /** Told the store keys of every revocation recorded here or announced by another instance. */
    onRevocation?: (keys: readonly string[]) => void;
  },
): GatewayStores {
  const settings = config.store;
  const local = opts.local ?? createMemoryStore({ now: opts.now });
  const injected = opts.store;
  const store = injected?.shared
    ? guardStore(injected, {
        timeoutMs: settings.timeoutMs,
        log: opts.log,
        onError: (op) => opts.metrics.storeErrors.inc({ op }),
        logIntervalMs: settings.errorLogInterval * 1000,
        now: opts.now,
      })
    : (injected ?? local);
  const shared = store.shared;
  return {
    store,
    shared,
    settings,
    revocations: createRevocationList({
      local,
      shared: shared ? store : undefined,
      onError: settings.onError.revocation,
      now: opts.now,
      onChange: opts.onRevocation,
    }),
    signInStarts: settings.signInStarts
      ? windowLimiter(store, 'start', { max: settings.signInStarts.max, windowSeconds: settings.signInStarts.window })
      : undefined,
    cache: shared
      ? {
          async get(key) {
            try {
              return await store.get(await storeKeys.cache('users', key));
            } catch (e) {
              if (e instanceof StoreUnavailableError) return undefined;
              throw e;
            }
          },
          async put(key, value, ttlSeconds) {
            if (ttlSeconds > 0) await store.set(await storeKeys.cache('users', key), value, ttlSeconds * 1000).catch(() => {});
          },
        }
      : undefined,
  };
}
