/**
 * What gateway instances must share to keep their promises as a fleet: revocations, rate-limit
 * counters, cached user look-ups, refresh locks. Deliberately small: keys with a time to live,
 * set-if-absent (locks), and windowed counters. Every implementation is strongly consistent per
 * key (in-memory, one Redis primary, one Durable Object).
 *
 * Keys are written by src/store/keys.ts: the part in `{…}` is a Redis Cluster hash tag, and every
 * multi-key call (`getMany`) only ever names keys with the same tag.
 */
export interface SharedStore {
  readonly kind: 'memory' | 'redis' | 'durable-object';
  /** True when other gateway instances see the same data (the limits and revocations are global). */
  readonly shared: boolean;
  get(key: string): Promise<string | undefined>;
  /** Several keys of one hash tag in one round trip. */
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the key only when absent: true when this call set it (a lock). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Sets the key to the number `value` unless it holds a number at least as great (a time that only
   * moves forward, such as a user's not-before time: an instance whose clock is behind, or a late
   * write, cannot lower it). True when this call set it.
   */
  setIfGreater(key: string, value: number, ttlMs: number): Promise<boolean>;
  /** Deletes the key; with `ifValue`, only while it still holds that value (a lock's owner releasing it). */
  delete(key: string, ifValue?: string): Promise<void>;
  /**
   * Adds `by` to a counter whose window opens with its first hit and lasts `windowMs` (a fixed
   * window). Returns the new count and the time left in the window. A decrement (`by` < 0) of a
   * counter that is absent (its window closed) changes nothing and returns `{ count: 0, resetInMs: 0 }`.
   */
  increment(key: string, by: number, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  close(): Promise<void>;
  /** Change notices between instances (Redis pub/sub): lets a reader keep answers until a key changes. */
  readonly invalidations?: InvalidationChannel;
}

/**
 * Instances tell each other which keys they changed. At most once: a reader may trust what it read
 * only while `live` (subscribed and connected, so nothing can have been missed), and forgets all it
 * kept on `onReset` (the subscription broke; notices may have been lost). One reader per channel:
 * a later `subscribe` (a config reload's new revocation list) takes the notices over.
 */
export interface InvalidationChannel {
  readonly live: boolean;
  publish(keys: readonly string[]): Promise<void>;
  subscribe(onKeys: (keys: string[]) => void, onReset: () => void): void;
}

/** A store call that failed or did not answer in time. */
export class StoreUnavailableError extends Error {
  constructor(
    readonly op: string,
    readonly reason: string,
  ) {
    super(`shared store ${op} failed: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}
