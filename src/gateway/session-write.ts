import { sessionClaims, type SessionData } from '../oidc/session-data';
import { randomToken, SessionTooLargeError } from '../session';
import type { Gateway, RequestInfo } from './context';
import type { Realm } from './realms';

/**
 * A brand-new session from freshly verified sign-in tokens (hosted UI callback or password form):
 * a new id every time, so a session that existed before cannot survive a sign-in (no fixation).
 */
export function newSession(
  gw: Gateway,
  claims: Record<string, unknown>,
  tokens: { refreshToken?: string; accessToken?: string; expiresIn?: number },
  realm: Realm = gw.realms.default,
): SessionData {
  const nowSec = Math.floor(gw.now() / 1000);
  const expiresIn = typeof tokens.expiresIn === 'number' ? tokens.expiresIn : 3600;
  const exp = typeof claims.exp === 'number' ? claims.exp : nowSec + expiresIn;
  return {
    v: 1,
    sid: randomToken(12),
    claims: sessionClaims(claims),
    refreshToken: tokens.refreshToken,
    accessToken: gw.keepAccessToken ? tokens.accessToken : undefined,
    tokensExpireAt: Math.min(exp, nowSec + expiresIn),
    createdAt: nowSec,
    validatedAt: nowSec,
    lastSeenAt: nowSec,
    // Sealed with the session: a cookie renamed to another realm's name is refused on read.
    ...(realm.isDefault ? {} : { realm: realm.name }),
  };
}

/**
 * Writes the session cookies. Cookies are scarce (a user in many groups carries them in both tokens):
 * when the session would not fit, the access token (kept only for forwarding upstream) goes first.
 * If it still does not fit, SessionTooLargeError reaches the caller, which answers with a clear page.
 */
export async function writeSession(gw: Gateway, data: SessionData, info: RequestInfo): Promise<string[]> {
  // Each realm writes its own cookies; the sealed realm name says which.
  const sessions = data.realm === undefined ? gw.realms.default.sessions : gw.realms.byName.get(data.realm)?.sessions;
  if (!sessions) throw new Error(`writeSession: no realm ${data.realm}`);
  try {
    return await sessions.write(data, info.cookieHeader, info.origin);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError) || !data.accessToken) throw e;
    info.log.warn('session too large with the access token: kept without it (not forwarded upstream)', { sid: data.sid });
    return sessions.write({ ...data, accessToken: undefined }, info.cookieHeader, info.origin);
  }
}

/** The log line, metric and audit event of a completed sign-in (hosted UI or password form). */
export function recordSignIn(
  gw: Gateway,
  info: RequestInfo,
  claims: Record<string, unknown>,
  session: SessionData,
  app: string | undefined,
  via: 'session' | 'password',
): void {
  const user = typeof claims['cognito:username'] === 'string' ? claims['cognito:username'] : undefined;
  info.log.info('signed in', {
    sid: session.sid,
    user: user ?? claims.sub,
    app,
    ...(session.realm ? { realm: session.realm } : {}),
    ...(via === 'password' ? { via } : {}),
  });
  gw.metrics.signIns.inc({ outcome: 'completed', reason: '' });
  gw.audit({
    type: 'sign-in',
    time: new Date(gw.now()).toISOString(),
    requestId: info.requestId,
    sub: String(claims.sub),
    user,
    authMethod: via,
    app,
    clientAddress: info.clientAddress,
  });
}
