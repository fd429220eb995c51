import { Lru } from '../lru';
import { flatCopy } from '../memo';
import { cookiePairsOf } from './cookie-header';
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

export interface SessionStoreOptions<T = unknown> {
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
  /**
   * What the opened-session cache keeps of a session, and so what `read` answers: by default the
   * whole session. A view may leave out what is large and rarely needed (the refresh token: ~1.8 KB
   * of the ~2.3 KB a Cognito session is); `readWhole` unseals for it, and `write` completes a view
   * from the cookie it was read from.
   */
  cacheView?: SessionCacheView<T>;
}

/** A partial view of sessions for the opened-session cache (see SessionStoreOptions.cacheView). */
export interface SessionCacheView<T> {
  /** What is kept of a whole session: the session itself, or a copy without some fields that says so. */
  of(whole: T): T;
  /** True for a view that left something out (and for a copy of one with other fields changed). */
  isPartial(data: T): boolean;
  /** `data`, a partial view (perhaps with fields changed), with what it left out taken from `whole`. */
  complete(data: T, whole: T): T;
}

export interface SessionStore<T> {
  /**
   * The session, or undefined when absent, malformed, tampered, expired, sealed with a removed secret
   * or missing a chunk. With a `cacheView`, the view (the same object while the cache holds it).
   */
  read(cookieHeader: string | null, requestOrigin: string): Promise<T | undefined>;
  /** The whole session as sealed, for the steps that need what the cache's view leaves out (refresh, logout). Unseals every time. */
  readWhole(cookieHeader: string | null, requestOrigin: string): Promise<T | undefined>;
  /**
   * Set-Cookie values for the session, plus deletions of session cookies it no longer uses. A
   * partial view is completed from the session sealed in `cookieHeader` (the cookie it was read
   * from). Throws SessionTooLargeError.
   */
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
  /** Unseals for the whole session (`readWhole`, and writes of a partial view). */
  reopened: number;
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

export function createSessionStore<T extends object>(opts: SessionStoreOptions<T>): SessionStore<T> {
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
    for (const name of presentGatewayNames(cookiePairsOf(cookieHeader))) {
      if (isSessionCookieName(prefix, name) && !written.has(name)) setCookies.push(gatewayDeleteCookie(name, scope));
    }
    return setCookies;
  };

  // Unsealing costs about half a millisecond; a browser sends the same sealed value on every request
  // until the session is written again. Opened values are kept briefly, under the seal's MAC (see
  // `entryFor` for why that is enough), never past the seal's own expiry. The secrets cannot change
  // under a store (a reload builds a new one), so the only reason to forget an entry sooner is
  // memory, which the LRU bound takes care of.
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
  const stats = { hits: 0, unsealed: 0, reopened: 0, sealed: 0, memoised: 0 };
  const view = opts.cacheView;

  /**
   * The cache entry of a presented sealed value: the entry under its MAC (the key) whose seal had
   * the same length and the same 64-bit fingerprint (every character counts). The entry keeps these
   * instead of the sealed text: ~4 KB less per cached session (and a slice of the value would keep
   * the whole Cookie header it came from alive), for ~1 µs of hashing per look-up (sealFingerprinter).
   *
   * Why that is enough: a value that differs from the authenticated one has another fingerprint,
   * but for one chance in 2^64, unless chosen to collide, which needs the genuine value (and its
   * holder needs no forgery). Even then the answer would be safe: iron's MAC is an HMAC-SHA-256,
   * under a key only this gateway has, over everything before it in the seal; an entry exists only
   * for a seal opened (authenticated) here, so a value carrying its MAC was made from that very seal
   * and gets that seal's session, nothing chosen by whoever built it.
   */
  const fingerprintOf = sealFingerprinter(limitBytes);
  // The entry `read` found or made for the last sealed value it was given: a `write` of the same
  // request (a session whose last-seen time moved) starts from the same cookie and need not hash it
  // again. The same string object, compared by pointer; any other value looks itself up.
  let lastSealed: string | undefined;
  let lastEntry: Opened<T> | undefined;
  const remember = (sealed: string, entry: Opened<T>): void => {
    lastSealed = sealed;
    lastEntry = entry;
  };
  const entryFor = (sealed: string, peek = false): Opened<T> | undefined => {
    const key = cacheKey(sealed);
    const found = peek ? opened.peek(key) : opened.get(key);
    if (found === undefined || found.length !== sealed.length) return undefined;
    const fp = fingerprintOf(sealed);
    return fp !== undefined && fp[0] === found.fp0 && fp[1] === found.fp1 ? found : undefined;
  };
  /** `entryFor(sealed, true)`, answered without hashing when `read` just looked this very value up. */
  const entryForWrite = (sealed: string): Opened<T> | undefined => {
    if (sealed === lastSealed && lastEntry !== undefined && opened.peek(cacheKey(sealed)) === lastEntry) return lastEntry;
    return entryFor(sealed, true);
  };

  /** Unseals: the envelope's session and expiry, or undefined (the reason told to onRejected). */
  const open = async (sealed: string, t: number): Promise<{ data: T; exp: number } | undefined> => {
    const envelope = await sealer.open(sealed, SESSION_PURPOSE, t, (reason) => opts.onRejected?.(reason));
    if (!envelope || typeof envelope.d !== 'object' || envelope.d === null) return undefined;
    return { data: envelope.d as T, exp: envelope.exp };
  };

  /** The sealed value of a Cookie header for this origin, undefined (after onRejected) when absent or unusable. */
  const sealedOf = (cookieHeader: string | null, requestOrigin: string): string | undefined => {
    const sealed = assemble(cookiePairsOf(cookieHeader), scopeFor(requestOrigin));
    if (sealed === 'missing-chunk' || sealed === 'oversized') return reject(sealed);
    return sealed;
  };

  return {
    async read(cookieHeader, requestOrigin) {
      const sealed = sealedOf(cookieHeader, requestOrigin);
      if (sealed === undefined) return undefined;
      const t = now();
      const hit = entryFor(sealed);
      if (hit) {
        if (hit.until > t) {
          stats.hits++;
          remember(sealed, hit);
          return hit.data;
        }
        opened.delete(cacheKey(sealed));
      }
      stats.unsealed++;
      const whole = await open(sealed, t);
      if (!whole) return undefined;
      const data = view ? view.of(whole.data) : whole.data;
      // An opened seal is ASCII and within limitBytes: it has a fingerprint.
      const [fp0, fp1] = fingerprintOf(sealed)!;
      const entry: Opened<T> = { length: sealed.length, fp0, fp1, data, until: Math.min(t + OPENED_MS, whole.exp) };
      opened.set(flatCopy(cacheKey(sealed)), entry);
      remember(sealed, entry);
      return data;
    },

    async readWhole(cookieHeader, requestOrigin) {
      const sealed = sealedOf(cookieHeader, requestOrigin);
      if (sealed === undefined) return undefined;
      stats.reopened++;
      return (await open(sealed, now()))?.data;
    },

    async write(data, cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      // The same unchanged session re-sealed from the same cookie moments ago: nothing new to send.
      const source = assemble(cookiePairsOf(cookieHeader), scope);
      const entry = typeof source === 'string' ? entryForWrite(source) : undefined;
      const t = now();
      if (entry?.rewrite && entry.rewrite.until > t && entry.rewrite.origin === requestOrigin && sameExceptLastSeen(entry.data, data)) {
        stats.memoised++;
        return [];
      }
      let whole = data;
      if (view?.isPartial(data)) {
        // What the view left out is in the cookie it was read from (the same request's).
        stats.reopened++;
        const sealed = typeof source === 'string' ? await open(source, t) : undefined;
        if (!sealed) throw new Error('session store: a partial session view can only be written with the cookie it was read from');
        whole = view.complete(data, sealed.data);
      }
      stats.sealed++;
      const setCookies = await sealAndSplit(whole, cookieHeader, scope);
      if (entry && sameExceptLastSeen(entry.data, view ? view.of(whole) : whole)) entry.rewrite = { origin: requestOrigin, until: t + REWRITE_MEMO_MS };
      return setCookies;
    },

    clear(cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      return presentGatewayNames(cookiePairsOf(cookieHeader)).map((name) => gatewayDeleteCookie(name, scope));
    },

    clearSession(cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      return presentGatewayNames(cookiePairsOf(cookieHeader))
        .filter((name) => isSessionCookieName(prefix, name))
        .map((name) => gatewayDeleteCookie(name, scope));
    },

    cookieNames(cookieHeader) {
      return presentGatewayNames(cookiePairsOf(cookieHeader));
    },

    isGatewayCookie(name) {
      return isOurs(name);
    },

    cacheStats: () => ({ size: opened.size, ...stats }),
  };
}

/**
 * The cache key of a sealed value: its last 64 characters, which hold the seal's MAC (hashing the
 * whole ~4 KB value on every look-up would cost more than the rest of the look-up).
 */
function cacheKey(sealed: string): string {
  return sealed.length > 64 ? sealed.slice(-64) : sealed;
}

/**
 * A 64-bit fingerprint (two int32) of every character of a sealed value of at most `maxLength`
 * ASCII characters; undefined for anything else (never a seal). Not a cryptographic hash: see
 * entryFor for why it need not be. The text is encoded into a reused buffer (native, ~0.1 µs) and
 * mixed in four independent lanes of four bytes (multiply, then xorshift: each step a bijection of
 * its lane, so one changed word always changes the lane, and the shift carries high bits down),
 * ~0.5-1 µs for a 3 KB value where a loop over charCodeAt costs several. The result array is
 * reused: read it before the next call.
 */
function sealFingerprinter(maxLength: number): (sealed: string) => readonly [number, number] | undefined {
  const bytes = new Uint8Array(maxLength + 16);
  const words = new Int32Array(bytes.buffer);
  const encoder = new TextEncoder();
  const out: [number, number] = [0, 0];
  return (sealed) => {
    if (sealed.length > maxLength) return undefined;
    const { read, written } = encoder.encodeInto(sealed, bytes);
    // A character outside ASCII takes more than one byte: no seal has one.
    if (read !== sealed.length || written !== sealed.length) return undefined;
    const end = (written + 15) & ~15;
    bytes.fill(0, written, end);
    let a = 0x9e3779b9 | 0;
    let b = written | 0;
    let c = 0x85ebca6b | 0;
    let d = 0x27d4eb2f | 0;
    for (let i = 0, n = end >>> 2; i < n; i += 4) {
      a = Math.imul(a ^ words[i]!, 0x01000193);
      a ^= a >>> 15;
      b = Math.imul(b ^ words[i + 1]!, 0x5bd1e995);
      b ^= b >>> 13;
      c = Math.imul(c ^ words[i + 2]!, 0x01000193);
      c ^= c >>> 16;
      d = Math.imul(d ^ words[i + 3]!, 0x5bd1e995);
      d ^= d >>> 14;
    }
    // Each lane reaches an output through a bijection (for the others fixed).
    out[0] = Math.imul(a ^ (c >>> 7), 0x85ebca6b) ^ d;
    out[1] = Math.imul(b ^ (d >>> 11), 0xc2b2ae35) ^ c;
    return out;
  };
}

interface Opened<T> {
  /** Length and fingerprint of the seal that was authenticated (see entryFor). */
  length: number;
  fp0: number;
  fp1: number;
  /** The session, or the cache's view of it. */
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
