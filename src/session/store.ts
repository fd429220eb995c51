import { Lru } from '../lru';
import { parseCookieHeader } from './cookie-header';
import type { CookiePair } from './cookie-header';
import { assertCookieSettings, resolveCookieScope } from './cookie-settings';
import type { CookieScope, CookieSettings } from './cookie-settings';
import { gatewayDeleteCookie, gatewaySetCookie } from './gateway-cookies';
import { isGatewayCookieName, isSessionCookieName, sessionChunkIndex, sessionChunkName, sessionCookieName } from './names';
import { createSealer } from './seal';
import type { UnsealFailure } from './seal';

/**
 * The browser session: one sealed value in `<base>_session`, or split across `<base>_session_0..n`
 * when it would not fit one cookie. Anything unreadable is "no session"; reads never throw.
 */

export const SESSION_PURPOSE = 'session';

export type SessionRejection = UnsealFailure | 'missing-chunk' | 'oversized';

export interface SessionStoreOptions {
  cookie: CookieSettings;
  /** Newest first; the first seals, all unseal. Each at least 32 characters. */
  secrets: string[];
  /** Cookie Max-Age, and the seal's own lifetime. The session's absolute expiry belongs in the data. */
  maxAgeSeconds: number;
  /** Largest cookie value per chunk, in bytes. Default 3800 (browsers cap name + value at 4096). */
  chunkSize?: number;
  /** Most chunks a session may use. Default 5. */
  maxChunks?: number;
  /** Clock in ms; defaults to Date.now. */
  now?: () => number;
  /** Told why a present cookie was not accepted (never its value), e.g. to log probing or a bad rotation. */
  onRejected?: (reason: SessionRejection) => void;
  /**
   * Opened sessions kept in memory (least recently used evicted first), so an active user's
   * cookie is unsealed about once a minute rather than on every request. Default 10,000: size it
   * for the users active within a minute. Per process.
   */
  cacheSize?: number;
}

export interface SessionStore<T> {
  /** The session, or undefined when absent, malformed, tampered, expired, sealed with a removed secret or missing a chunk. */
  read(cookieHeader: string | null, requestOrigin: string): Promise<T | undefined>;
  /** Set-Cookie values for the session, plus deletions of session cookies it no longer uses. Throws SessionTooLargeError. */
  write(data: T, cookieHeader: string | null, requestOrigin: string): Promise<string[]>;
  /** Set-Cookie values deleting every gateway cookie present (session chunks and login state). */
  clear(cookieHeader: string | null, requestOrigin: string): string[];
  /** Set-Cookie values deleting only the session cookies present, leaving sign-ins in progress in other tabs alone. */
  clearSession(cookieHeader: string | null, requestOrigin: string): string[];
  /** Every gateway-owned cookie name present (to strip before forwarding). */
  cookieNames(cookieHeader: string | null): readonly string[];
  isGatewayCookie(name: string): boolean;
  /** Counters of the opened-session cache (per process), for tests and diagnostics. */
  cacheStats(): SessionCacheStats;
}

export interface SessionCacheStats {
  size: number;
  /** Reads answered from the cache. */
  hits: number;
  /** Reads that had to unseal. */
  unsealed: number;
  /** Writes that had to seal. */
  sealed: number;
  /** Writes skipped: the same unchanged session was re-sealed from the same cookie moments ago. */
  memoised: number;
}

/** The sealed session needs more than `maxChunks` cookies; drop optional fields and write again. */
export class SessionTooLargeError extends Error {
  override readonly name = 'SessionTooLargeError';
  constructor(
    readonly sealedBytes: number,
    readonly limitBytes: number,
  ) {
    super(`sealed session is ${sealedBytes} bytes; the cookie limit is ${limitBytes} bytes (chunkSize x maxChunks)`);
  }
}

const DEFAULT_CHUNK_SIZE = 3800;
const DEFAULT_MAX_CHUNKS = 5;

export function createSessionStore<T extends object>(opts: SessionStoreOptions): SessionStore<T> {
  assertCookieSettings(opts.cookie);
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const maxChunks = opts.maxChunks ?? DEFAULT_MAX_CHUNKS;
  if (!Number.isInteger(chunkSize) || chunkSize < 200 || chunkSize > 4000) {
    throw new Error(`session chunkSize ${chunkSize} must be an integer from 200 to 4000 bytes`);
  }
  if (!Number.isInteger(maxChunks) || maxChunks < 1 || maxChunks > 50) {
    throw new Error(`session maxChunks ${maxChunks} must be an integer from 1 to 50`);
  }
  if (!(opts.maxAgeSeconds > 0)) throw new Error(`session maxAgeSeconds must be > 0, got ${opts.maxAgeSeconds}`);
  const sealer = createSealer(opts.secrets);
  const now = opts.now ?? Date.now;
  const prefix = opts.cookie.namePrefix;
  const limitBytes = chunkSize * maxChunks;
  const reject = (reason: SessionRejection) => {
    opts.onRejected?.(reason);
    return undefined;
  };

  // The cookie scope depends only on the request origin (parsing it costs a URL per request).
  const scopes = new Map<string, CookieScope>();
  const scopeFor = (requestOrigin: string): CookieScope => {
    let scope = scopes.get(requestOrigin);
    if (!scope) {
      scope = resolveCookieScope(opts.cookie, requestOrigin);
      if (scopes.size >= 256) scopes.delete(scopes.keys().next().value!);
      scopes.set(requestOrigin, scope);
    }
    return scope;
  };

  // The same Cookie header is parsed by several steps of one request: keep the last parse. The
  // identity check is a pointer comparison for the same string, a memcmp for an equal copy.
  let lastHeader: string | null | undefined;
  let lastPairs: CookiePair[] = [];
  const parsePairs = (cookieHeader: string | null): CookiePair[] => {
    if (cookieHeader !== lastHeader) {
      lastPairs = parseCookieHeader(cookieHeader);
      lastHeader = cookieHeader;
    }
    return lastPairs;
  };
  // Cookie names are few per deployment but client-chosen: a bounded memo of the name check.
  const gatewayNames = new Map<string, boolean>();
  const isOurs = (name: string): boolean => {
    let ours = gatewayNames.get(name);
    if (ours === undefined) {
      ours = isGatewayCookieName(prefix, name);
      if (gatewayNames.size >= 1000) gatewayNames.clear();
      gatewayNames.set(name, ours);
    }
    return ours;
  };

  const presentGatewayNames = (pairs: readonly CookiePair[]): readonly string[] => {
    if (pairs === lastNamesOf) return lastNames;
    const names: string[] = [];
    for (const { name } of pairs) if (isOurs(name) && !names.includes(name)) names.push(name);
    lastNamesOf = pairs;
    lastNames = Object.freeze(names);
    return lastNames;
  };
  // The names of the last parse (the request core asks several times per request).
  let lastNamesOf: readonly CookiePair[] | undefined;
  let lastNames: readonly string[] = [];

  // The session cookie's names under a scope's base name (a few per deployment: with and without
  // the host prefix), so a read compares names instead of building them per cookie.
  const sessionNames = new Map<string, { whole: string; chunk: string }>();
  const namesFor = (baseName: string) => {
    let names = sessionNames.get(baseName);
    if (!names) {
      names = { whole: sessionCookieName(baseName), chunk: `${baseName}_session_` };
      if (sessionNames.size >= 16) sessionNames.clear();
      sessionNames.set(baseName, names);
    }
    return names;
  };

  /** The sealed value from this scope's cookies, 'missing-chunk'/'oversized' when unusable, undefined when absent. */
  const assemble = (pairs: readonly CookiePair[], scope: CookieScope): string | SessionRejection | undefined => {
    const names = namesFor(scope.baseName);
    let chunks: Map<number, string> | undefined;
    let whole: string | undefined;
    for (const { name, value } of pairs) {
      // First occurrence wins: browsers send the most specific cookie first.
      if (name === names.whole) whole ??= value;
      else if (name.startsWith(names.chunk)) {
        const index = sessionChunkIndex(scope.baseName, name);
        if (index === undefined) continue;
        chunks ??= new Map();
        if (!chunks.has(index)) chunks.set(index, value);
      }
    }
    if (chunks === undefined) {
      if (whole === undefined) return undefined;
      return whole.length > limitBytes ? 'oversized' : whole;
    }
    if (chunks.size > maxChunks) return 'oversized';
    const parts: string[] = [];
    for (let i = 0; i < chunks.size; i++) {
      const part = chunks.get(i);
      if (part === undefined) return 'missing-chunk';
      parts.push(part);
    }
    const joined = parts.join('');
    return joined.length > limitBytes ? 'oversized' : joined;
  };

  const sealAndSplit = async (data: T, cookieHeader: string | null, scope: CookieScope): Promise<string[]> => {
    const sealed = await sealer.seal({ p: SESSION_PURPOSE, exp: now() + opts.maxAgeSeconds * 1000, d: data }, opts.maxAgeSeconds);
    if (sealed.length > limitBytes) throw new SessionTooLargeError(sealed.length, limitBytes);

    const written = new Map<string, string>();
    if (sealed.length <= chunkSize) {
      written.set(sessionCookieName(scope.baseName), sealed);
    } else {
      for (let i = 0; i * chunkSize < sealed.length; i++) {
        written.set(sessionChunkName(scope.baseName, i), sealed.slice(i * chunkSize, (i + 1) * chunkSize));
      }
    }
    const setCookies = [...written].map(([name, value]) => gatewaySetCookie(name, value, opts.maxAgeSeconds, scope));
    // Stale chunks, the other layout, and other scope variants would otherwise linger and be sent forever.
    for (const name of presentGatewayNames(parsePairs(cookieHeader))) {
      if (isSessionCookieName(prefix, name) && !written.has(name)) setCookies.push(gatewayDeleteCookie(name, scope));
    }
    return setCookies;
  };

  // Unsealing costs about half a millisecond; a browser sends the same sealed value on every request
  // until the session is written again. Opened values are kept briefly, keyed by the exact sealed
  // text (which was authenticated when it was first opened), never past the seal's own expiry.
  // The secrets cannot change under a store (a reload builds a new one), so the only reason to
  // forget an entry sooner is memory, which the LRU bound takes care of.
  // src/lru.ts: O(1) per hit and per eviction, whatever the size (a Map re-inserted on every hit
  // cost a busy user ~21 µs per request once 5,000 sessions were cached).
  const opened = new Lru<Opened<T>>(opts.cacheSize ?? 10_000);
  const OPENED_MS = 10 * 60_000;
  // A client that never stores the re-sealed cookie (a script replaying one cookie, requests in
  // flight together with the old cookie) would otherwise cost a seal and a ~4 KB Set-Cookie on
  // every request once the session's last-seen time is due to move. For this long after an
  // unchanged session was re-sealed from a cookie, that cookie gets no new Set-Cookie: the client
  // already has one on its way. Its idle timer is then at most this much behind.
  const REWRITE_MEMO_MS = 30_000;
  const stats = { hits: 0, unsealed: 0, sealed: 0, memoised: 0 };

  return {
    async read(cookieHeader, requestOrigin) {
      const pairs = parsePairs(cookieHeader);
      const sealed = assemble(pairs, scopeFor(requestOrigin));
      if (sealed === undefined) return undefined;
      if (sealed === 'missing-chunk' || sealed === 'oversized') return reject(sealed);
      const t = now();
      const key = cacheKey(sealed);
      const found = opened.get(key);
      const hit = found?.sealed === sealed ? found : undefined;
      if (hit) {
        if (hit.until > t) {
          stats.hits++;
          return hit.data;
        }
        opened.delete(key);
      }
      stats.unsealed++;
      const envelope = await sealer.open(sealed, SESSION_PURPOSE, t, (reason) => opts.onRejected?.(reason));
      if (!envelope || typeof envelope.d !== 'object' || envelope.d === null) return undefined;
      opened.set(key, { sealed, data: envelope.d as T, until: Math.min(t + OPENED_MS, envelope.exp) });
      return envelope.d as T;
    },

    async write(data, cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      // The same unchanged session re-sealed from the same cookie moments ago: nothing new to send.
      const source = assemble(parsePairs(cookieHeader), scope);
      const found = typeof source === 'string' ? opened.peek(cacheKey(source)) : undefined;
      const entry = found?.sealed === source ? found : undefined;
      const t = now();
      if (entry?.rewrite && entry.rewrite.until > t && entry.rewrite.origin === requestOrigin && sameExceptLastSeen(entry.data, data)) {
        stats.memoised++;
        return [];
      }
      stats.sealed++;
      const setCookies = await sealAndSplit(data, cookieHeader, scope);
      if (entry && sameExceptLastSeen(entry.data, data)) entry.rewrite = { origin: requestOrigin, until: t + REWRITE_MEMO_MS };
      return setCookies;
    },

    clear(cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      return presentGatewayNames(parsePairs(cookieHeader)).map((name) => gatewayDeleteCookie(name, scope));
    },

    clearSession(cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      return presentGatewayNames(parsePairs(cookieHeader))
        .filter((name) => isSessionCookieName(prefix, name))
        .map((name) => gatewayDeleteCookie(name, scope));
    },

    cookieNames(cookieHeader) {
      return presentGatewayNames(parsePairs(cookieHeader));
    },

    isGatewayCookie(name) {
      return isOurs(name);
    },

    cacheStats: () => ({ size: opened.size, ...stats }),
  };
}

/**
 * The cache key of a sealed value: its last 64 characters, which hold the seal's MAC (hashing the
 * whole ~4 KB value on every look-up would cost more than the rest of the look-up). An entry is
 * used only when its full sealed text is equal, so a forged value with a known suffix is a miss.
 */
function cacheKey(sealed: string): string {
  return sealed.length > 64 ? sealed.slice(-64) : sealed;
}

interface Opened<T> {
  /** The exact sealed text that was authenticated. */
  sealed: string;
  data: T;
  until: number;
  /** When this session, unchanged but for lastSeenAt, was last re-sealed (and for which origin). */
  rewrite?: { origin: string; until: number };
}

/** Shallow equality of two sessions, ignoring `lastSeenAt` (the only field a touch moves). */
function sameExceptLastSeen(a: object, b: object): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (k === 'lastSeenAt') continue;
    if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  }
  return true;
}
