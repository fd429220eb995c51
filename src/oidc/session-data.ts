import type { SessionCacheView } from '../session';

/**
 * What the gateway keeps in the sealed session cookie. Claims, not the raw ID token: they were
 * verified when the token arrived, and they are what headers and policies read. The refresh token is
 * what makes revalidation (and so revocation) possible; the access token is kept only when an app
 * forwards it upstream, because it is the largest item and cookies are scarce.
 */
export interface SessionData {
  v: 1;
  /** Random id for log correlation; a new one on every sign-in (no session fixation). */
  sid: string;
  claims: Record<string, unknown>;
  refreshToken?: string;
  accessToken?: string;
  /** Seconds since epoch: when the tokens behind `claims` expire. */
  tokensExpireAt: number;
  /** Seconds: the sign-in at the gateway; the absolute lifetime counts from here. */
  createdAt: number;
  /** Seconds: last successful sign-in or refresh (revalidation counts from here). */
  validatedAt: number;
  /** Seconds: last request seen (idle timeout); written back at most once a minute. */
  lastSeenAt: number;
  /**
   * The realm (app client) the session was signed in to; absent for the default realm. Checked on
   * every read, so a cookie copied under another realm's name is refused.
   */
  realm?: string;
  /**
   * Never sealed: set on the opened-session cache's view of a session that has a refresh token,
   * which the view leaves out of memory (`sessions.readWhole` has it). See sessionCacheView.
   */
  refreshTokenWithheld?: true;
}

/**
 * The opened-session cache keeps a session without its refresh token (~1.8 KB of a ~2.3 KB Cognito
 * session, needed only to refresh, to sign out and to seal again, all of which read the cookie
 * again): with thousands of active sessions cached, that is most of their memory.
 */
export const sessionCacheView: SessionCacheView<SessionData> = {
  of(whole) {
    if (!whole.refreshToken) return whole;
    const out: Record<string, unknown> = {};
    // Field order kept (the view is written back in the same order when completed).
    for (const [k, v] of Object.entries(whole)) {
      if (k === 'refreshToken') out.refreshTokenWithheld = true;
      else out[k] = v;
    }
    return out as unknown as SessionData;
  },
  isPartial: (data) => data.refreshTokenWithheld === true,
  complete(data, whole) {
    // Only ever the same session (the same request's cookie): never another session's token.
    if (whole.sid !== data.sid) throw new Error('session view completed from another session');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) {
      if (k === 'refreshTokenWithheld') out.refreshToken = whole.refreshToken;
      else out[k] = v;
    }
    return out as unknown as SessionData;
  },
};

/**
 * Claims that only matter at the moment of verification; dropping them keeps the cookie small.
 * `origin_jti` stays: it names the sign-in's token family, which logout revokes (src/store).
 */
const TRANSIENT_CLAIMS = ['at_hash', 'c_hash', 'nonce', 'jti', 'event_id', 'iat', 'sid', 'azp'];

export function sessionClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) if (!TRANSIENT_CLAIMS.includes(k)) out[k] = v;
  return out;
}

export type SessionState = 'valid' | 'needs-refresh' | 'expired';

export interface SessionLimits {
  absoluteLifetime: number;
  idleTimeout: number;
  revalidateAfter: number;
}

/**
 * Decides what a session needs at time `nowSec`. Pure.
 * - expired: past the absolute lifetime or idle for too long (sign in again);
 * - needs-refresh: tokens expired (or expire within `skew`), or revalidation is due;
 * - valid: use as is.
 */
export function sessionState(s: SessionData, limits: SessionLimits, nowSec: number, skew = 30): SessionState {
  if (nowSec >= s.createdAt + limits.absoluteLifetime) return 'expired';
  if (nowSec >= s.lastSeenAt + limits.idleTimeout) return 'expired';
  const refreshable = !!s.refreshToken || s.refreshTokenWithheld === true;
  if (nowSec >= s.tokensExpireAt - skew) return refreshable ? 'needs-refresh' : 'expired';
  if (nowSec >= s.validatedAt + limits.revalidateAfter) return refreshable ? 'needs-refresh' : 'valid';
  return 'valid';
}
