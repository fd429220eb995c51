import { identityFromClaims, type AuthMethod, type Identity } from '../identity';
import { CLIENT_AUTH_ERRORS, IdpUnavailableError } from '../oidc/provider';
import { RefreshRejectedError } from '../oidc/refresh';
import { sessionClaims, sessionState, type SessionData, type SessionLimits } from '../oidc/session-data';
import type { CompiledApp } from '../policy';
import { JwksUnavailableError, JwtInvalidError } from '../tokens';
import { applyLookup } from './cognito';
import type { Gateway, RequestInfo } from './context';
import { sessionRealm, type Realm } from './realms';
import { writeSession } from './session-write';
import { SessionTooLargeError } from '../session';
import { StoreUnavailableError } from '../store';

/**
 * Finds out who is calling: a bearer access token if the request carries one, else the sealed
 * session cookie (refreshed when its tokens expired or revalidation is due). Never throws for bad
 * input: the outcome says what happened so the request core (handle.ts) can answer precisely.
 */
export type AuthOutcome =
  | { kind: 'anonymous'; setCookies: string[] }
  | { kind: 'identity'; identity: Identity; accessToken?: string; session?: SessionData; setCookies: string[] }
  | { kind: 'bearer-invalid'; code: string; description: string }
  | { kind: 'unavailable'; status: 503 | 504; message: string; setCookies: string[]; code?: 'store_unavailable' };

/**
 * The Identity of verified claims, built once per claims object: a bearer token's claims come from
 * the verified-token cache (deep-frozen, one object per token) and a session's from the opened-session
 * cache (one object per sealed value; a refresh or a look-up makes new claims, never edits them), so
 * the claims object, the method and the groups claim are everything the Identity depends on. The
 * same frozen Identity for every request of a session lets the identity headers and the assertion
 * key be remembered on it. A WeakMap: an entry lives only as long as its claims.
 */
const identities = new WeakMap<object, { authMethod: AuthMethod; groupsClaim: string | undefined; identity: Identity }>();

export function identityOfVerified(claims: Record<string, unknown>, authMethod: AuthMethod, groupsClaim: string | undefined): Identity {
  const known = identities.get(claims);
  if (known !== undefined && known.authMethod === authMethod && known.groupsClaim === groupsClaim) return known.identity;
  const identity = identityFromClaims(claims, authMethod, { groupsClaim });
  Object.freeze(identity.groups);
  Object.freeze(identity.scopes);
  Object.freeze(identity.identityProviders);
  Object.freeze(identity);
  identities.set(claims, { authMethod, groupsClaim, identity });
  return identity;
}

const claimText = (claims: Record<string, unknown>, name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : undefined);

/**
 * How long a revocation must be remembered: until every session that could carry it has expired
 * (the longest absolute lifetime), and at least a day (Cognito's longest access-token validity).
 */
export function revocationHorizonSeconds(gw: Gateway): number {
  return Math.max(86_400, gw.config.session.absoluteLifetime, ...gw.config.apps.map((a) => a.session?.absoluteLifetime ?? 0));
}

const STORE_UNAVAILABLE = {
  kind: 'unavailable',
  status: 503,
  message: 'shared store unavailable (revocation check)',
  setCookies: [],
  code: 'store_unavailable',
} as const;

/** How often an unchanged session is written back just to move its idle timer (seconds). */
const LAST_SEEN_WRITE_INTERVAL = 60;

/** Whether any of the gateway's cookies present is a session cookie (login-state cookies are not). */
export function hasSessionCookie(gatewayCookieNames: readonly string[]): boolean {
  for (let i = 0; i < gatewayCookieNames.length; i++) if (!gatewayCookieNames[i]!.includes('_login_')) return true;
  return false;
}

export function sessionLimits(gw: Gateway, app?: CompiledApp): SessionLimits {
  return {
    absoluteLifetime: app?.session?.absoluteLifetime ?? gw.config.session.absoluteLifetime,
    idleTimeout: app?.session?.idleTimeout ?? gw.config.session.idleTimeout,
    revalidateAfter: gw.config.session.revalidateAfter,
  };
}

export async function authenticateBearer(gw: Gateway, token: string, realm: Realm = gw.realms.default): Promise<AuthOutcome> {
  try {
    const claims = await realm.verifier.verifyAccessToken(token);
    const sub = claimText(claims, 'sub');
    if (sub) {
      // Logout revokes the sign-in's token family; sign-out everywhere and a disabled user, every token issued before.
      const verdict = await gw.stores.revocations.check({
        sub,
        originJti: claimText(claims, 'origin_jti'),
        issuedAt: typeof claims.iat === 'number' ? claims.iat : 0,
      });
      if (verdict === 'unavailable') return { ...STORE_UNAVAILABLE, setCookies: [] };
      if (verdict === 'revoked') return { kind: 'bearer-invalid', code: 'token_revoked', description: 'the access token has been revoked' };
    }
    return {
      kind: 'identity',
      identity: identityOfVerified(claims, 'bearer', gw.config.idp.groupsClaim),
      accessToken: token,
      setCookies: [],
    };
  } catch (e) {
    if (e instanceof JwksUnavailableError) return { kind: 'unavailable', status: 503, message: 'token keys unavailable', setCookies: [] };
    if (e instanceof JwtInvalidError) return { kind: 'bearer-invalid', code: e.code, description: e.description };
    return { kind: 'bearer-invalid', code: 'token_invalid', description: 'the access token is invalid' };
  }
}

/** A session that cannot go on: logged, and its cookies cleared (a function, not a closure per request). */
function endSession(info: RequestInfo, realm: Realm, session: SessionData | undefined, why: string): AuthOutcome {
  info.log.info('session ended', { sid: session?.sid, reason: why });
  return { kind: 'anonymous', setCookies: realm.sessions.clearSession(info.cookieHeader, info.origin) };
}

export async function authenticateSession(gw: Gateway, info: RequestInfo, app?: CompiledApp, realm: Realm = gw.realms.of(app)): Promise<AuthOutcome> {
  const hasGatewayCookies = hasSessionCookie(realm.sessions.cookieNames(info.cookieHeader));
  if (!hasGatewayCookies) return { kind: 'anonymous', setCookies: [] };
  let session: SessionData | undefined;
  try {
    session = await realm.sessions.read(info.cookieHeader, info.origin);
  } catch (e) {
    // session.storage: store, and the store cannot answer.
    if (e instanceof StoreUnavailableError) return { ...STORE_UNAVAILABLE, message: 'shared store unavailable (session record)', setCookies: [] };
    throw e;
  }
  if (session?.v !== 1) return endSession(info, realm, session, 'unreadable session cookie');
  if (sessionRealm(gw, session) !== realm.name)
    return endSession(info, realm, session, `session of realm ${sessionRealm(gw, session)} under realm ${realm.name}'s cookie`);

  const sub = claimText(session.claims, 'sub');
  if (sub) {
    const verdict = await gw.stores.revocations.check({
      sub,
      sid: session.sid,
      originJti: claimText(session.claims, 'origin_jti'),
      issuedAt: session.createdAt,
    });
    if (verdict === 'unavailable') return { ...STORE_UNAVAILABLE, setCookies: [] };
    if (verdict === 'revoked') return endSession(info, realm, session, 'session revoked');
  }

  const nowSec = Math.floor(gw.now() / 1000);
  const state = sessionState(session, sessionLimits(gw, app), nowSec);
  if (state === 'expired') return endSession(info, realm, session, 'session lifetime or idle timeout reached');

  let next: SessionData | undefined;
  if (state === 'needs-refresh') {
    // The cache's view has no refresh token: the cookie has it.
    const whole = session.refreshTokenWithheld ? await realm.sessions.readWhole(info.cookieHeader, info.origin) : session;
    if (whole?.v !== 1) return endSession(info, realm, session, 'unreadable session cookie');
    const refreshed = await refreshSession(gw, info, realm, whole, nowSec);
    if ('done' in refreshed) return refreshed.done;
    next = refreshed.next;
  } else if (nowSec - session.lastSeenAt >= LAST_SEEN_WRITE_INTERVAL) {
    next = { ...session, lastSeenAt: nowSec };
  }

  const current = next ?? session;
  let identity = identityOfVerified(current.claims, 'session', gw.config.idp.groupsClaim);
  if (app && gw.cognito?.lookupApps.has(app.id) && identity.username) {
    // At most one AdminGetUser per user per userCacheRetention: a disabled or deleted user is cut
    // off within it, and current attributes reach the headers.
    const looked = applyLookup(identity, await gw.cognito.directory.lookup(identity.username), gw.config.idp.groupsClaim);
    if (!looked.ok) {
      if (looked.reason === 'unavailable') {
        return { kind: 'unavailable', status: 503, message: 'user directory unavailable', setCookies: [] };
      }
      // Every instance learns it at once: the user's sessions and tokens issued until now are refused.
      if (sub) await gw.stores.revocations.revokeUserBefore(sub, nowSec, revocationHorizonSeconds(gw));
      return endSession(info, realm, session, `user ${looked.reason} in Cognito`);
    }
    identity = looked.identity;
  }
  let setCookies: string[] = [];
  if (next) {
    try {
      setCookies = await writeSession(gw, next, info);
    } catch (e) {
      if (!(e instanceof SessionTooLargeError)) throw e;
      info.log.error('session no longer fits in cookies (too many groups or claims); ended', { sid: session.sid });
      return endSession(info, realm, session, 'session too large');
    }
  }
  return {
    kind: 'identity',
    identity,
    accessToken: current.accessToken,
    session: current,
    setCookies,
  };
}

/**
 * The refresh of a session due for one (its own function: the common path's async frame stays
 * small). `next`: the session to write back (and to take the identity from); `done`: the answer.
 */
async function refreshSession(
  gw: Gateway,
  info: RequestInfo,
  realm: Realm,
  session: SessionData,
  nowSec: number,
): Promise<{ next?: SessionData } | { done: AuthOutcome }> {
  let next: SessionData | undefined;
  try {
    const r = await realm.refresher.refresh(session.refreshToken!);
    let verified: Record<string, unknown> | undefined;
    try {
      verified = r.idToken ? sessionClaims(await realm.verifier.verifyIdToken(r.idToken)) : undefined;
    } catch (e) {
      if (!(e instanceof JwksUnavailableError)) throw e;
      // The refresh went through (with rotation the old refresh token is now dying), but the new
      // ID token cannot be checked: keep the rotated refresh token and the claims we already
      // trust, and try again on the next request.
      next = { ...session, refreshToken: r.refreshToken, lastSeenAt: nowSec };
      throw e;
    }
    const claims = verified ?? session.claims;
    // Without a new ID token (some providers send none on refresh) the access token's lifetime rules.
    const exp = verified && typeof verified.exp === 'number' ? Math.min(verified.exp, r.expiresAt) : r.expiresAt;
    next = {
      ...session,
      claims,
      refreshToken: r.refreshToken,
      accessToken: gw.keepAccessToken ? r.accessToken : undefined,
      tokensExpireAt: exp,
      validatedAt: nowSec,
      lastSeenAt: nowSec,
    };
    gw.metrics.refreshes.inc({ outcome: r.shared ? 'shared' : 'ok' });
    if (r.shared) info.log.debug('session refresh shared', { sid: session.sid });
    else info.log.info('session refreshed', { sid: session.sid, rotated: r.refreshToken !== session.refreshToken });
    return { next };
  } catch (e) {
    if (e instanceof RefreshRejectedError) {
      gw.metrics.refreshes.inc({ outcome: 'rejected' });
      gw.audit({
        type: 'refresh-failed',
        time: new Date(gw.now()).toISOString(),
        requestId: info.requestId,
        sub: typeof session.claims.sub === 'string' ? session.claims.sub : undefined,
        user: typeof session.claims['cognito:username'] === 'string' ? (session.claims['cognito:username'] as string) : undefined,
        reason: e.error,
        clientAddress: info.clientAddress,
      });
      if (CLIENT_AUTH_ERRORS.has(e.error)) {
        info.log.error("the identity provider refused the gateway's client credentials: check idp.clientId and GATEWAY_CLIENT_SECRET", { error: e.error });
      }
      return { done: endSession(info, realm, session, `refresh refused (${e.error})`) };
    }
    const unavailable = e instanceof IdpUnavailableError || e instanceof JwksUnavailableError;
    if (unavailable) gw.metrics.refreshes.inc({ outcome: 'unavailable' });
    if (!unavailable) {
      if (e instanceof JwtInvalidError) return { done: endSession(info, realm, session, `refreshed ID token invalid (${e.code})`) };
      throw e;
    }
    // The IdP is down. Tokens that have not expired yet stay good until they do: revalidation
    // is retried on the next request. Expired tokens cannot be vouched for.
    if (nowSec < session.tokensExpireAt) {
      info.log.warn('revalidation postponed: identity provider unavailable', { sid: session.sid });
      return { next };
    } else {
      const timeout = e instanceof IdpUnavailableError && e.timeout;
      const keep = next
        ? await writeSession(gw, next, info).catch((err: unknown) => {
            if (err instanceof SessionTooLargeError) return [];
            throw err;
          })
        : [];
      return { done: { kind: 'unavailable', status: timeout ? 504 : 503, message: 'identity provider unavailable', setCookies: keep } };
    }
  }
}
