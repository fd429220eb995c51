/**
 * The store on Cloudflare Workers: Durable Objects, one object per hash tag (`{…}` in the key, see
 * keys.ts), so everything read together lives in one object, and each object is strongly consistent
 * (one thread, transactional storage). Counters and revocations therefore hold across every isolate
 * and location. Workers KV would be eventually consistent (a revocation could take up to a minute to
 * reach other locations), so it is not used for anything here.
 *
 * Web APIs only (no `cloudflare:workers` import): the class follows the classic Durable Object
 * shape, `constructor(state, env)` and `fetch()`.
 */
import type { SharedStore } from './types';

/** What the gateway needs of a Durable Object namespace binding. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: Request | string, init?: RequestInit): Promise<Response> };
}

interface StorageLike {
  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T>(opts?: { limit?: number }): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
}

type Op =
  | { op: 'get'; keys: string[] }
  | { op: 'set'; key: string; value: string; ttlMs: number; onlyIfAbsent?: boolean; onlyIfGreater?: boolean }
  | { op: 'delete'; key: string; ifValue?: string }
  | { op: 'increment'; key: string; by: number; windowMs: number };

interface Entry {
  value: string;
  until: number;
}

const PRUNE_EVERY_MS = 3_600_000;

/** The Durable Object class (export it from the Worker's main module; bind it as GATEWAY_STORE). */
export class GatewayStoreObject {
  private readonly storage: StorageLike;

  constructor(state: { storage: StorageLike }, _env: unknown) {
    this.storage = state.storage;
  }

  private async live(key: string, now: number): Promise<Entry | undefined> {
    const e = await this.storage.get<Entry>(key);
    if (!e) return undefined;
    if (e.until <= now) {
      await this.storage.delete(key);
      return undefined;
    }
    return e;
  }

  private async put(key: string, entry: Entry): Promise<void> {
    await this.storage.put(key, entry);
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(Date.now() + PRUNE_EVERY_MS);
  }

  async fetch(request: Request): Promise<Response> {
    const body = (await request.json()) as Op;
    const now = Date.now();
    switch (body.op) {
      case 'get': {
        const values = [];
        for (const k of body.keys) values.push((await this.live(k, now))?.value ?? null);
        return Response.json({ values });
      }
      case 'set': {
        if (body.onlyIfAbsent && (await this.live(body.key, now))) return Response.json({ set: false });
        if (body.onlyIfGreater && Number((await this.live(body.key, now))?.value ?? Number.NaN) >= Number(body.value)) return Response.json({ set: false });
        await this.put(body.key, { value: body.value, until: now + Math.max(1, body.ttlMs) });
        return Response.json({ set: true });
      }
      case 'delete': {
        const e = await this.live(body.key, now);
        if (e && (body.ifValue === undefined || e.value === body.ifValue)) await this.storage.delete(body.key);
        return Response.json({});
      }
      case 'increment': {
        const e = await this.live(body.key, now);
        // The window closed: a decrement opens none (a new window below zero would allow more than max).
        if (!e && body.by < 0) return Response.json({ count: 0, resetInMs: 0 });
        const next = e ? { value: String(Number(e.value) + body.by), until: e.until } : { value: String(body.by), until: now + Math.max(1, body.windowMs) };
        await this.put(body.key, next);
        return Response.json({ count: Number(next.value), resetInMs: next.until - now });
      }
      default:
        return new Response('unknown op', { status: 400 });
    }
  }

  /** Drops expired entries once an hour while the object holds any. */
  async alarm(): Promise<void> {
    const now = Date.now();
    const all = await this.storage.list<Entry>();
    for (const [k, e] of all) if (e.until <= now) await this.storage.delete(k);
    if (all.size > 0) await this.storage.setAlarm(now + PRUNE_EVERY_MS);
  }
}

/** The hash tag of a key (`{u:abc}:sid:x` → `u:abc`): which object holds it. */
export function tagOfKey(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

/** The SharedStore client over a Durable Object namespace. */
export function createDurableObjectStore(namespace: DurableObjectNamespaceLike, opts: { keyPrefix: string }): SharedStore {
  const call = async <T>(key: string, op: Op): Promise<T> => {
    const stub = namespace.get(namespace.idFromName(`${opts.keyPrefix}${tagOfKey(key)}`));
    const res = await stub.fetch('https://gateway-store/', { method: 'POST', body: JSON.stringify(op), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`durable object answered ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    kind: 'durable-object',
    shared: true,
    async get(key) {
      const { values } = await call<{ values: Array<string | null> }>(key, { op: 'get', keys: [key] });
      return values[0] ?? undefined;
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const { values } = await call<{ values: Array<string | null> }>(keys[0]!, { op: 'get', keys: [...keys] });
      return values.map((v) => v ?? undefined);
    },
    async set(key, value, ttlMs) {
      await call(key, { op: 'set', key, value, ttlMs });
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await call<{ set: boolean }>(key, { op: 'set', key, value, ttlMs, onlyIfAbsent: true })).set;
    },
    async setIfGreater(key, value, ttlMs) {
      return (await call<{ set: boolean }>(key, { op: 'set', key, value: String(value), ttlMs, onlyIfGreater: true })).set;
    },
    async delete(key, ifValue) {
      await call(key, { op: 'delete', key, ifValue });
    },
    async increment(key, by, windowMs) {
      return call<{ count: number; resetInMs: number }>(key, { op: 'increment', key, by, windowMs });
    },
    async close() {},
  };
}
