import { authenticateBearer, authenticateSession } from '../authenticate';
import type { Gateway, RequestInfo } from '../context';
import { findCredentials, withCookies } from '../handle';
import { chooseRealm } from './realm-choice';
import { refuse } from '../refuse';

/**
 * `/_auth/me`: the caller's identity as JSON (bearer token or session); 401 when signed out. About
 * one realm: `realm=`, `prefix=` or `rd=` name it like /_auth/login, else the app serving this host's root.
 */
export async function handleMe(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const choice = chooseRealm(gw, info, new URL(req.url).searchParams, { targetMustMatch: false });
  if (!choice.ok) return refuse(req, info, 'invalid_request', { detail: choice.detail });
  const { realm } = choice;
  const found = findCredentials(req.headers.get('authorization'), realm.sessions.cookieNames(info.cookieHeader));
  const auth = found.bearer ? await authenticateBearer(gw, found.bearer, realm) : await authenticateSession(gw, info, undefined, realm);
  if (auth.kind !== 'identity') {
    const res = refuse(req, info, 'unauthorized', { detail: 'not signed in', wwwAuthenticate: 'Bearer realm="cognito-gateway"' }, { session: found.session });
    return withCookies(res, auth.kind === 'anonymous' || auth.kind === 'unavailable' ? auth.setCookies : []);
  }
  const id = auth.identity;
  const body = {
    realm: realm.name,
    username: id.username ?? null,
    sub: id.sub,
    email: id.email ?? null,
    emailVerified: id.emailVerified,
    groups: id.groups,
    identityProviders: id.identityProviders,
    authMethod: id.authMethod,
    scopes: id.scopes,
    clientId: id.clientId ?? null,
    // The claims the assertion carries beyond its own (assertion.claims).
    claims: Object.fromEntries(gw.config.assertion.claims.filter((c) => id.claims[c] !== undefined).map((c) => [c, id.claims[c]])),
    sessionExpiresAt: auth.session ? new Date((auth.session.createdAt + gw.config.session.absoluteLifetime) * 1000).toISOString() : null,
    tokensExpireAt: auth.session
      ? new Date(auth.session.tokensExpireAt * 1000).toISOString()
      : typeof id.claims.exp === 'number'
        ? new Date(id.claims.exp * 1000).toISOString()
        : null,
  };
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  for (const cookie of auth.setCookies) headers.append('set-cookie', cookie);
  return new Response(req.method === 'HEAD' ? null : JSON.stringify(body), { status: 200, headers });
}
