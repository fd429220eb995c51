import { cookiePairsOf } from './cookie-header';
import { assertCookieSettings, resolveCookieScope } from './cookie-settings';
import type { CookieScope, CookieSettings } from './cookie-settings';
import { constantTimeEqual } from './crypto';
import { gatewayDeleteCookie, gatewaySetCookie } from './gateway-cookies';
import { loginCookieName, parseLoginCookieName } from './names';
import type { LoginCookieRef } from './names';
import { createSealer } from './seal';

/**
 * One short-lived sealed cookie per sign-in attempt, keyed by the OAuth `state`, so parallel sign-ins
 * (two tabs) each find their own verifier and nonce. At most `maxPending` are kept: creating one evicts
 * the oldest by the creation time in their names, so many tabs never grow the Cookie header to a 431.
 */

export const LOGIN_PURPOSE = 'login';

export interface LoginStateOptions {
  cookie: CookieSettings;
  /** Newest first, as for the session store (the seal's purpose keeps the two apart). */
  secrets: string[];
  /** Lifetime of one attempt. Default 600 (10 minutes). */
  ttlSeconds?: number;
  /** Most attempts kept at once. Default 5. */
  maxPending?: number;
  /** Largest sealed value per attempt. Default 3000 bytes; keep `returnTo` under ~2 KB. */
  maxValueBytes?: number;
  /** Budget for all login-state cookies in the Cookie header together; older attempts are evicted to stay under it. Default 4096. */
  maxTotalBytes?: number;
  /** Clock in ms; defaults to Date.now. */
  now?: () => number;
}

export interface ConsumedLoginState<T> {
  /** The attempt's data when its cookie was present, authentic, for exactly this state and unexpired. */
  data?: T;
  /** Deletions: this attempt's cookie (always) and any expired ones. */
  setCookies: string[];
}

export interface LoginStateStore<T> {
  create(state: string, data: T, cookieHeader: string | null, requestOrigin: string): Promise<string[]>;
  consume(state: string, cookieHeader: string | null, requestOrigin: string): Promise<ConsumedLoginState<T>>;
}

export class LoginStateTooLargeError extends Error {
  override readonly name = 'LoginStateTooLargeError';
  constructor(
    readonly sealedBytes: number,
    readonly limitBytes: number,
  ) {
    super(`sealed login state is ${sealedBytes} bytes; the limit is ${limitBytes} (shorten returnTo)`);
  }
}

interface PendingCookie extends LoginCookieRef {
  value: string;
}

/** Bytes a cookie adds to the Cookie header (`name=value; `). */
function headerBytes(name: string, value: string): number {
  return name.length + value.length + 3;
}

// base64url, long enough to be unguessable; the first 8 characters go into the cookie name.
const STATE_FORMAT = /^[A-Za-z0-9_-]{16,512}$/;

export function createLoginStateStore<T>(opts: LoginStateOptions): LoginStateStore<T> {
  assertCookieSettings(opts.cookie);
  const ttlSeconds = opts.ttlSeconds ?? 600;
  const maxPending = opts.maxPending ?? 5;
  const maxValueBytes = opts.maxValueBytes ?? 3000;
  const maxTotalBytes = opts.maxTotalBytes ?? 4096;
  if (maxValueBytes > maxTotalBytes) throw new Error(`login state maxValueBytes ${maxValueBytes} must not exceed maxTotalBytes ${maxTotalBytes}`);
  if (!(ttlSeconds > 0)) throw new Error(`login state ttlSeconds must be > 0, got ${ttlSeconds}`);
  if (!Number.isInteger(maxPending) || maxPending < 1 || maxPending > 20) {
    throw new Error(`login state maxPending ${maxPending} must be an integer from 1 to 20`);
  }
  const sealer = createSealer(opts.secrets);
  const now = opts.now ?? Date.now;
  const ttlMs = ttlSeconds * 1000;

  const scopeFor = (requestOrigin: string): CookieScope => {
    const scope = resolveCookieScope(opts.cookie, requestOrigin);
    // The callback arrives as a cross-site navigation from the IdP: a Strict cookie would not be sent.
    return { ...scope, sameSite: scope.sameSite === 'none' ? 'none' : 'lax' };
  };

  const pendingIn = (cookieHeader: string | null, scope: CookieScope): PendingCookie[] => {
    const seen = new Set<string>();
    const refs: PendingCookie[] = [];
    for (const { name, value } of cookiePairsOf(cookieHeader)) {
      const ref = parseLoginCookieName(scope.baseName, name);
      if (ref && !seen.has(name)) {
        seen.add(name);
        refs.push({ ...ref, value });
      }
    }
    return refs;
  };

  const isExpired = (ref: LoginCookieRef, nowMs: number) => ref.createdAtMs + ttlMs <= nowMs;

  return {
    async create(state, data, cookieHeader, requestOrigin) {
      if (!STATE_FORMAT.test(state)) throw new TypeError('login state: `state` must be 16-512 base64url characters');
      const scope = scopeFor(requestOrigin);
      const nowMs = now();
      const name = loginCookieName(scope.baseName, nowMs, state);
      const sealed = await sealer.seal({ p: LOGIN_PURPOSE, s: state, exp: nowMs + ttlMs, d: data }, ttlSeconds);
      if (sealed.length > maxValueBytes) throw new LoginStateTooLargeError(sealed.length, maxValueBytes);

      const others = pendingIn(cookieHeader, scope).filter((ref) => ref.name !== name);
      const expired = others.filter((ref) => isExpired(ref, nowMs));
      const live = others.filter((ref) => !isExpired(ref, nowMs)).sort((a, b) => b.createdAtMs - a.createdAtMs);
      // Walk newest first, keeping while both the count and the byte budget allow (the new attempt
      // counts first); everything older goes, so long return URLs cannot add up to a 431 either.
      let bytes = headerBytes(name, sealed);
      let kept = 1;
      const evicted: LoginCookieRef[] = [];
      for (const ref of live) {
        const size = headerBytes(ref.name, ref.value);
        if (evicted.length === 0 && kept < maxPending && bytes + size <= maxTotalBytes) {
          kept++;
          bytes += size;
        } else {
          evicted.push(ref);
        }
      }
      return [gatewaySetCookie(name, sealed, ttlSeconds, scope), ...[...expired, ...evicted].map((ref) => gatewayDeleteCookie(ref.name, scope))];
    },

    async consume(state, cookieHeader, requestOrigin) {
      const scope = scopeFor(requestOrigin);
      const nowMs = now();
      const pending = pendingIn(cookieHeader, scope);
      const validState = typeof state === 'string' && STATE_FORMAT.test(state);
      const statePrefix = validState ? state.slice(0, 8) : undefined;
      const toDelete = new Set<string>();
      let data: T | undefined;

      for (const ref of pending) {
        if (ref.statePrefix !== statePrefix) {
          if (isExpired(ref, nowMs)) toDelete.add(ref.name);
          continue;
        }
        const envelope = await sealer.open(ref.value, LOGIN_PURPOSE, nowMs);
        const forThisState = envelope?.s !== undefined && constantTimeEqual(envelope.s, state);
        // A readable cookie for another state that merely shares the 8-character prefix is left alone.
        if (envelope && !forThisState && !isExpired(ref, nowMs)) continue;
        toDelete.add(ref.name);
        if (forThisState && data === undefined) data = envelope.d as T;
      }
      return { ...(data === undefined ? {} : { data }), setCookies: [...toDelete].map((name) => gatewayDeleteCookie(name, scope)) };
    },
  };
}
