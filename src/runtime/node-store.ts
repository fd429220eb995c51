/**
 * Builds the shared store for the Node runtime from `store:` and the environment
 * (GATEWAY_REDIS_URL, GATEWAY_REDIS_USERNAME, GATEWAY_REDIS_PASSWORD). One client per running
 * gateway (keyed by the environment object it was started with) and setting, kept across config
 * reloads; a reload that changes the settings closes the old client. The Redis client's module is
 * imported on first use.
 */
import type { ResolvedConfig } from '../config/load';
import type { Logger } from '../log';
import type { SharedStore } from '../store';

const clients = new WeakMap<object, { key: string; store: SharedStore }>();

export async function nodeStoreFor(config: ResolvedConfig, env: Record<string, string | undefined>, log: Logger): Promise<SharedStore | undefined> {
  const s = config.store;
  if (s.type !== 'redis') return undefined;
  const url = env.GATEWAY_REDIS_URL || s.url;
  if (!url) throw new Error('store.type redis needs store.url or the GATEWAY_REDIS_URL environment variable');
  const options = {
    url,
    keyPrefix: s.keyPrefix,
    timeoutMs: s.timeoutMs,
    tls: s.tls,
    cluster: s.cluster,
    username: env.GATEWAY_REDIS_USERNAME || undefined,
    password: env.GATEWAY_REDIS_PASSWORD || undefined,
  };
  const key = JSON.stringify(options);
  const current = clients.get(env);
  if (current?.key === key) return current.store;
  await current?.store.close();
  // ioredis is loaded only by a gateway that uses it (~1.4 MB of heap a memory-store gateway keeps).
  const { createRedisStore } = await import('../store/redis');
  const store = createRedisStore(options);
  clients.set(env, { key, store });
  // Wait briefly for the first connection; a Redis that is down at start is a degraded start, not a failed one.
  if (!(await store.ready(Math.max(1000, s.timeoutMs))))
    log.warn('shared store not reachable at start; retrying in the background', {
      store: 'redis',
      host: new URL(url).host,
      reason: store.connectionError() ?? 'no answer yet',
    });
  return store;
}

/** Closes the Node store (tests and shutdown). */
export async function closeNodeStore(env: Record<string, string | undefined>): Promise<void> {
  await clients.get(env)?.store.close();
  clients.delete(env);
}
