/**
 * The Redis store for Node fleets (ioredis). Node only: imported by src/runtime/node-store.ts, never
 * by code that also runs in workerd. Commands fail fast instead of queueing while Redis is away
 * (`enableOfflineQueue: false`), each has a time limit, and the client reconnects by itself, so a
 * Redis that comes back heals the gateway without a restart.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { InvalidationChannel, SharedStore } from './types';

export interface RedisStoreOptions {
  url: string;
  /** Prepended to every key (several gateways or environments on one Redis). */
  keyPrefix: string;
  /** Each command's time limit (ms). */
  timeoutMs: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** Redis Cluster: `url` is one seed node; keys carry hash tags so multi-key reads stay in one slot. */
  cluster: boolean;
}

// Fixed-window counter: the window opens with the first hit (PEXPIRE only when the key has none).
// A decrement of a counter that is gone (its window closed meanwhile) creates nothing: a new window
// must not open below zero.
const INCREMENT = `if tonumber(ARGV[1]) < 0 and redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local c = redis.call('INCRBY', KEYS[1], ARGV[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); t = tonumber(ARGV[2]) end
return {c, t}`;
// Sets a number unless the key holds one at least as great (a not-before time only moves forward).
const SET_IF_GREATER = `local held = tonumber(redis.call('GET', KEYS[1]))
if held and held >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
// Deletes a lock only while it still holds its owner's token.
const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A time to live as Redis takes it: whole milliseconds, at least one. */
const px = (ms: number) => Math.max(1, Math.ceil(ms));

type Client = Redis & {
  gatewayIncrement(key: string, by: number, windowMs: number): Promise<[number, number]>;
  gatewayDeleteIf(key: string, value: string): Promise<number>;
  gatewaySetIfGreater(key: string, value: number, ttlMs: number): Promise<number>;
};

export function createRedisStore(opts: RedisStoreOptions): SharedStore & { ready(timeoutMs: number): Promise<boolean>; connectionError(): string | undefined } {
  const url = new URL(opts.url);
  const tls = opts.tls || url.protocol === 'rediss:';
  const common: RedisOptions = {
    keyPrefix: opts.keyPrefix,
    // The time limit callers see is the guard's (src/store/guard.ts), which does not count the
    // gateway's own event-loop stalls; this one only keeps a command from waiting for ever.
    commandTimeout: 2 * opts.timeoutMs + 1000,
    // Commands issued in one event-loop turn (the revocation reads of concurrent requests) leave in
    // one socket write. The Lua scripts stay out: a pipeline with scripts first asks SCRIPT EXISTS.
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: ['gatewayIncrement', 'gatewayDeleteIf'],
    connectTimeout: Math.max(opts.timeoutMs, 1000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect for ever, backing off to 2 s: the store coming back heals the gateway.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    username: opts.username ?? (decodeURIComponent(url.username) || undefined),
    password: opts.password ?? (decodeURIComponent(url.password) || undefined),
    tls: tls ? { servername: url.hostname } : undefined,
  };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 6379);
  const db = Number(url.pathname.slice(1) || 0);
  const client = (opts.cluster
    ? new Cluster([{ host, port }], {
        redisOptions: common,
        keyPrefix: opts.keyPrefix,
        enableOfflineQueue: false,
        clusterRetryStrategy: (t) => Math.min(t * 100, 2000),
      })
    : new Redis({ ...common, host, port, db })) as unknown as Client;
  // Errors surface on each command; the client's own 'error' events would otherwise be unhandled.
  // The last one is the cause a failing command is given (a wrong password, a refused connection),
  // which the command's own error ("Stream isn't writeable …") does not say.
  let connectionError: string | undefined;
  client.on('error', (e: Error) => {
    connectionError = e.message;
  });
  client.on('ready', () => {
    connectionError = undefined;
  });
  const explained = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      if (connectionError && (client as unknown as { status: string }).status !== 'ready')
        throw new Error(`${(e as Error).message} (connection: ${connectionError})`);
      throw e;
    }
  };
  client.defineCommand('gatewayIncrement', { numberOfKeys: 1, lua: INCREMENT });
  client.defineCommand('gatewayDeleteIf', { numberOfKeys: 1, lua: DELETE_IF });
  client.defineCommand('gatewaySetIfGreater', { numberOfKeys: 1, lua: SET_IF_GREATER });

  return {
    kind: 'redis',
    shared: true,
    invalidations: redisInvalidations(client, `${opts.keyPrefix}invalidate`),
    get: (key) => explained(async () => (await client.get(key)) ?? undefined),
    getMany: (keys) =>
      explained(async () => {
        if (keys.length === 0) return [];
        return (await client.mget(...keys)).map((v) => v ?? undefined);
      }),
    set: (key, value, ttlMs) =>
      explained(async () => {
        await client.set(key, value, 'PX', px(ttlMs));
      }),
    setIfAbsent: (key, value, ttlMs) => explained(async () => (await client.set(key, value, 'PX', px(ttlMs), 'NX')) === 'OK'),
    setIfGreater: (key, value, ttlMs) => explained(async () => (await client.gatewaySetIfGreater(key, value, px(ttlMs))) === 1),
    delete: (key, ifValue) =>
      explained(async () => {
        if (ifValue === undefined) await client.del(key);
        else await client.gatewayDeleteIf(key, ifValue);
      }),
    increment: (key, by, windowMs) =>
      explained(async () => {
        const [count, resetInMs] = await client.gatewayIncrement(key, by, px(windowMs));
        return { count: Number(count), resetInMs: Number(resetInMs) };
      }),
    async close() {
      subscribers.get(client)?.disconnect();
      client.disconnect();
    },
    connectionError: () => connectionError,
    async ready(timeoutMs) {
      if ((client as unknown as { status: string }).status === 'ready') return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        client.once('ready', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}

/** Each store's subscriber connection (a connection in subscribe mode can send nothing else). */
const subscribers = new WeakMap<object, Redis | Cluster>();

/**
 * Change notices over Redis pub/sub, on a second connection opened at the first subscribe. `live`
 * only from the moment the SUBSCRIBE is confirmed until that connection closes: a notice published
 * meanwhile cannot be missed (Redis delivers to every connected subscriber before PUBLISH answers).
 */
function redisInvalidations(client: Client, channel: string): InvalidationChannel {
  let live = false;
  // One reader per client: a config reload keeps the client and builds a new revocation list, which
  // takes the notices over (the old one forgets what it kept; it serves only requests in flight).
  let reader: { onKeys: (keys: string[]) => void; onReset: () => void } | undefined;
  return {
    get live() {
      return live;
    },
    async publish(keys) {
      if (keys.length) await client.publish(channel, JSON.stringify(keys));
    },
    subscribe(onKeys, onReset) {
      reader?.onReset();
      reader = { onKeys, onReset };
      if (subscribers.has(client)) return;
      const sub = (client as unknown as Redis).duplicate();
      subscribers.set(client, sub);
      sub.on('error', () => {});
      const reset = () => {
        if (live) reader?.onReset();
        live = false;
      };
      sub.on('close', reset);
      sub.on('end', reset);
      sub.on('ready', () => {
        sub.subscribe(channel).then(
          () => {
            reader?.onReset(); // anything kept before this subscription may have missed notices
            live = true;
          },
          () => reset(),
        );
      });
      sub.on('message', (ch: string, message: string) => {
        if (ch !== channel) return;
        try {
          const keys = JSON.parse(message) as unknown;
          if (Array.isArray(keys)) reader?.onKeys(keys.filter((k): k is string => typeof k === 'string'));
        } catch {
          reader?.onReset();
        }
      });
    },
  };
}
