/**
 * User look-ups through AdminGetUser with a retention period: at sign-in (always asks Cognito), then at
 * most once per `retentionSeconds` per user. A bounded in-memory LRU is the first level; an optional
 * SharedCache (Workers: Cache API/KV) the second. Concurrent look-ups of one user share one call.
 *
 * When Cognito cannot be reached, the last known entry is served with `stale: true` (within
 * `maxStaleSeconds`); without one the answer is `{ status: 'unavailable' }` and the caller decides
 * whether to fail closed. Web-API only.
 */
import type { Logger } from '../log';
import { Lru } from '../lru';
import type { SharedCache } from '../tokens/shared-cache';
import type { CognitoAdmin } from './client';
import { CognitoAdminError, toCognitoAdminError } from './errors';

export type { SharedCache } from '../tokens/shared-cache';

export type UserState =
  | { status: 'active'; username: string; attributes: Record<string, string>; userStatus: string }
  | { status: 'disabled'; username: string }
  | { status: 'deleted'; username: string };

/** Where an answer came from. */
export type LookupSource = 'cognito' | 'memory' | 'shared' | 'stale';

export type UserLookup =
  | (UserState & {
      /** ms (directory clock) when Cognito gave this answer. */
      fetchedAt: number;
      source: LookupSource;
      /** True when Cognito was unreachable and an expired entry is served instead. */
      stale: boolean;
    })
  | { status: 'unavailable'; username: string; error: CognitoAdminError };

export interface UserDirectoryOptions {
  admin: Pick<CognitoAdmin, 'getUser' | 'userPoolId'>;
  /** How long an answer is trusted (the `userCacheRetention` setting), seconds. */
  retentionSeconds: number;
  /** Bound on the in-memory cache. Default 10,000 users. */
  maxEntries?: number;
  /** Optional second level shared between isolates/instances. */
  sharedCache?: SharedCache;
  /** How long past its retention an entry may be served while Cognito is unreachable. Default 1 h. */
  maxStaleSeconds?: number;
  /**
   * After Cognito was unreachable, look-ups that may be answered stale skip Cognito for this long,
   * so an outage does not make every request wait for time-outs. Sign-in look-ups always ask. Default 5 s.
   */
  outageCooldownSeconds?: number;
  /** ms clock. Default Date.now. */
  now?: () => number;
  log?: Logger;
}

export interface UserDirectoryStats {
  /** AdminGetUser calls made (after coalescing). */
  calls: number;
  memoryHits: number;
  sharedHits: number;
  staleServed: number;
  unavailable: number;
}

export interface UserDirectory {
  /**
   * The user's state. `signIn: true` (at sign-in) always asks Cognito; otherwise a cached answer younger
   * than the retention period is used.
   */
  lookup(username: string, opts?: { signIn?: boolean }): Promise<UserLookup>;
  /** Forgets a user (e.g. after a sign-out everywhere). Memory only; the shared entry ages out. */
  forget(username: string): void;
  readonly stats: UserDirectoryStats;
}

interface Entry {
  state: UserState;
  fetchedAt: number;
}

const SHARED_PREFIX = 'cgw:user:v1:';

function parseShared(text: string | undefined): Entry | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Entry;
    if (!v || typeof v.fetchedAt !== 'number' || !v.state || typeof v.state.username !== 'string') return undefined;
    if (v.state.status === 'active') {
      if (!v.state.attributes || typeof v.state.attributes !== 'object' || typeof v.state.userStatus !== 'string') return undefined;
    } else if (v.state.status !== 'disabled' && v.state.status !== 'deleted') return undefined;
    return v;
  } catch {
    return undefined;
  }
}

export function createUserDirectory(opts: UserDirectoryOptions): UserDirectory {
  if (!(opts.retentionSeconds > 0)) throw new RangeError('userCacheRetention must be > 0 seconds');
  const now = opts.now ?? (() => Date.now());
  const retentionMs = opts.retentionSeconds * 1000;
  const maxStaleMs = (opts.maxStaleSeconds ?? 3600) * 1000;
  const cooldownMs = (opts.outageCooldownSeconds ?? 5) * 1000;
  const memory = new Lru<Entry>(opts.maxEntries ?? 10_000);
  const inflight = new Map<string, Promise<UserLookup>>();
  const stats: UserDirectoryStats = { calls: 0, memoryHits: 0, sharedHits: 0, staleServed: 0, unavailable: 0 };
  let outageUntil = 0;

  const sharedKey = (username: string) => `${SHARED_PREFIX}${opts.admin.userPoolId}:${encodeURIComponent(username)}`;
  const fresh = (e: Entry) => now() - e.fetchedAt < retentionMs;
  const answer = (e: Entry, source: LookupSource): UserLookup => ({ ...e.state, fetchedAt: e.fetchedAt, source, stale: source === 'stale' });

  async function fetchFromCognito(username: string): Promise<UserLookup> {
    stats.calls++;
    let state: UserState;
    try {
      const user = await opts.admin.getUser(username);
      state = user.enabled
        ? { status: 'active', username: user.username, attributes: user.attributes, userStatus: user.userStatus }
        : { status: 'disabled', username: user.username };
    } catch (e) {
      const err = toCognitoAdminError('AdminGetUser', e);
      if (err.name === 'UserNotFoundException') {
        state = { status: 'deleted', username };
      } else {
        if (err.retryable) outageUntil = now() + cooldownMs;
        return unavailable(username, err);
      }
    }
    outageUntil = 0;
    const entry: Entry = { state, fetchedAt: now() };
    memory.set(username, entry);
    if (opts.sharedCache) {
      try {
        await opts.sharedCache.put(sharedKey(username), JSON.stringify(entry), opts.retentionSeconds);
      } catch (e) {
        opts.log?.warn('shared user cache put failed', { error: (e as Error).message });
      }
    }
    return answer(entry, 'cognito');
  }

  /** Cognito failed: the last known entry (if not too old), else `unavailable`. */
  function unavailable(username: string, err: CognitoAdminError): UserLookup {
    const last = memory.get(username);
    if (last && now() - last.fetchedAt < retentionMs + maxStaleMs) {
      stats.staleServed++;
      opts.log?.warn('cognito unreachable; serving a stale user entry', {
        operation: err.operation,
        error: err.name,
        ageSeconds: Math.round((now() - last.fetchedAt) / 1000),
      });
      return answer(last, 'stale');
    }
    stats.unavailable++;
    opts.log?.warn('cognito user look-up failed', { operation: err.operation, error: err.name });
    return { status: 'unavailable', username, error: err };
  }

  async function resolve(username: string, signIn: boolean): Promise<UserLookup> {
    if (!signIn) {
      const hit = memory.get(username);
      if (hit && fresh(hit)) {
        stats.memoryHits++;
        return answer(hit, 'memory');
      }
      if (opts.sharedCache) {
        let shared: Entry | undefined;
        try {
          shared = parseShared(await opts.sharedCache.get(sharedKey(username)));
        } catch (e) {
          opts.log?.warn('shared user cache get failed', { error: (e as Error).message });
        }
        if (shared && fresh(shared) && shared.state.username.length > 0) {
          stats.sharedHits++;
          memory.set(username, shared);
          return answer(shared, 'shared');
        }
      }
      if (now() < outageUntil) {
        return unavailable(
          username,
          new CognitoAdminError({
            name: 'NetworkError',
            operation: 'AdminGetUser',
            detail: 'Cognito was unreachable moments ago; not asking again yet',
            retryable: true,
          }),
        );
      }
    }
    return fetchFromCognito(username);
  }

  return {
    stats,
    lookup(username, lookupOpts = {}) {
      const signIn = lookupOpts.signIn === true;
      // Coalesce per user and kind: a sign-in must not be answered from a cache-driven look-up.
      const key = `${signIn ? 's' : 'c'}:${username}`;
      const pending = inflight.get(key);
      if (pending) return pending;
      const p = resolve(username, signIn).finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
    forget(username) {
      memory.delete(username);
    },
  };
}
