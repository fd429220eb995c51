import * as oidc from 'openid-client';
import { signOutEverywhere } from '../../cognito';
import type { Gateway, RequestInfo } from '../context';
import { StoreUnavailableError } from '../../store';
import { revocationHorizonSeconds } from '../authenticate';
import { sessionRealm } from '../realms';
import { chooseRealm } from './realm-choice';
import { refuse } from '../refuse';
import { redirectResponse } from '../sign-in';

/**
 * Signs out: clears every gateway cookie, revokes the refresh token (so the tokens minted from it
 * die too), and sends the browser to the IdP's logout so its own session ends as well. Cognito's
 * /logout takes `client_id` + `logout_uri` (which must be one of the app client's sign-out URLs);
 * other providers get RP-initiated logout with `post_logout_redirect_uri`.
 */
export async function handleLogout(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const url = new URL(req.url);
  // One realm at a time (realm=, prefix=, rd's app, the host's app): the others' sessions stay.
  const choice = chooseRealm(gw, info, url.searchParams, { targetMustMatch: false });
  if (!choice.ok) return refuse(req, info, 'invalid_request', { detail: choice.detail });
  const { realm } = choice;
  const target = new URL(choice.returnTo, info.origin).href;
  // The whole session: its refresh token is revoked below. With server-side sessions and the store
  // unavailable, the record can be neither read (no refresh token to revoke, no revocation to write)
  // nor deleted: clearing the cookies would leave every copy of them a live session once the store
  // answers again. Say so (503) and keep the cookies, so the sign-out can be tried again.
  let read: Awaited<ReturnType<typeof realm.sessions.readWhole>>;
  try {
    read = await realm.sessions.readWhole(info.cookieHeader, info.origin);
  } catch (e) {
    if (e instanceof StoreUnavailableError) return refuse(req, info, 'store_unavailable', {}, { op: 'logout' });
    throw e;
  }
  // A cookie of another realm under this realm's name is no session of it (its cookie is cleared anyway).
  const session = read && sessionRealm(gw, read) === realm.name ? read : undefined;
  const clear = realm.sessions.clear(info.cookieHeader, info.origin);

  let config: oidc.Configuration | undefined;
  try {
    config = await realm.provider.configuration();
  } catch {
    info.log.warn('logout: identity provider unavailable; cleared gateway cookies only');
  }
  // Signing a user out on every device must not be something another site can trigger with a link:
  // a browser marks cross-site navigations in Sec-Fetch-Site, and a cross-site POST carries no Lax cookie.
  const crossSite = req.method === 'GET' && ['cross-site', 'same-site'].includes(req.headers.get('sec-fetch-site') ?? '');
  const asked = url.searchParams.get('everywhere') === '1' || (url.searchParams.get('everywhere') !== '0' && gw.cognito?.signOutEverywhereByDefault === true);
  const everywhere = asked && !crossSite;
  if (asked && crossSite) info.log.warn('sign-out everywhere ignored for a cross-site request; signed out here only');
  const username = typeof session?.claims['cognito:username'] === 'string' ? (session.claims['cognito:username'] as string) : undefined;
  const sub = typeof session?.claims.sub === 'string' ? session.claims.sub : undefined;
  if (session && sub) {
    // Every instance refuses a copy of this cookie from now on, and bearer tokens of this sign-in.
    const nowSec = Math.floor(gw.now() / 1000);
    const horizon = revocationHorizonSeconds(gw);
    const recorded = await gw.stores.revocations.revoke({
      sub,
      sid: session.sid,
      originJti: typeof session.claims.origin_jti === 'string' ? session.claims.origin_jti : undefined,
      sessionUntilSec: session.createdAt + horizon,
      originUntilSec: nowSec + horizon,
    });
    await gw.stores.sessionRecords?.remove(session.sid).catch(() => {});
    if (!recorded)
      info.log.warn('logout: the shared store did not record the revocation; other instances accept a copy of the cookie until revalidation', {
        sid: session.sid,
      });
  }
  if (everywhere && gw.cognito && username && realm.samePool) {
    // Other devices' sessions end at their next revalidation: their refresh tokens are dead now.
    const result = await signOutEverywhere({ admin: gw.cognito.admin, directory: gw.cognito.directory, log: info.log }, username);
    if (!result.ok) info.log.warn('sign-out everywhere failed; signed out here only', { sid: session?.sid });
    // And at once on every instance, not at each session's next revalidation.
    else if (sub) await gw.stores.revocations.revokeUserBefore(sub, Math.floor(gw.now() / 1000), revocationHorizonSeconds(gw));
  }
  if (config && session?.refreshToken && config.serverMetadata().revocation_endpoint) {
    try {
      await oidc.tokenRevocation(config, session.refreshToken, { token_type_hint: 'refresh_token' });
      info.log.info('refresh token revoked', { sid: session.sid });
    } catch (e) {
      info.log.warn('refresh token revocation failed', { sid: session.sid, reason: (e as Error).message });
    }
  }
  info.log.info('signed out', { sid: session?.sid, realm: realm.name });
  if (session) {
    gw.audit({
      type: 'sign-out',
      time: new Date(gw.now()).toISOString(),
      requestId: info.requestId,
      sub: typeof session.claims.sub === 'string' ? session.claims.sub : undefined,
      user: username,
      everywhere,
      clientAddress: info.clientAddress,
    });
  }

  const endSession = config?.serverMetadata().end_session_endpoint;
  if (!config || !endSession) return redirectResponse(target, clear);
  if (realm.idp.type === 'cognito') {
    const logout = new URL(endSession);
    logout.searchParams.set('client_id', realm.idp.clientId);
    logout.searchParams.set('logout_uri', target);
    return redirectResponse(logout.href, clear);
  }
  const end = oidc.buildEndSessionUrl(config, { client_id: realm.idp.clientId, post_logout_redirect_uri: target });
  return redirectResponse(end.href, clear);
}
