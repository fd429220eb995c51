import * as oidc from 'openid-client';
import { escapeHtml, type ErrorCode } from '../../http';
import { CLIENT_AUTH_ERRORS, IdpUnavailableError, oauthErrorCode, toIdpError } from '../../oidc/provider';
import { SessionTooLargeError } from '../../session';
import { JwtInvalidError, JwksUnavailableError } from '../../tokens';
import type { Gateway, RequestInfo } from '../context';
import { refuse } from '../refuse';
import { newSession, recordSignIn, writeSession } from '../session-write';
import { CALLBACK_PATH, redirectResponse } from '../sign-in';

/**
 * Completes sign-in: checks the login-state cookie for this `state`, exchanges the code with the
 * PKCE verifier, verifies the ID token (signature via JWKS, iss, aud, exp, token_use, nonce), and
 * writes a brand-new session, replacing whatever session the browser had (no session fixation).
 */
export async function handleCallback(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const incoming = new URL(req.url);
  // openid-client derives redirect_uri from this URL: it must be the public one, as sent on authorize.
  const currentUrl = new URL(`${info.origin}${CALLBACK_PATH}${incoming.search}`);
  const params = currentUrl.searchParams;
  const state = params.get('state');
  const restart = '/_auth/login?rd=%2F';

  const consumed = state ? await gw.loginStates.consume(state, info.cookieHeader, info.origin) : { data: undefined, setCookies: [] };
  const fail = (code: ErrorCode, extra: Record<string, unknown> = {}, ctx: { status?: number; detail?: string } = {}) => {
    gw.metrics.signIns.inc({ outcome: 'failed', reason: code });
    gw.audit({
      type: 'sign-in-failed',
      time: new Date(gw.now()).toISOString(),
      requestId: info.requestId,
      reason: code,
      app: consumed.data?.app,
      clientAddress: info.clientAddress,
      user: typeof extra.user === 'string' ? extra.user : undefined,
    });
    const res = refuse(req, info, code, { ...ctx, retryHref: restart }, extra);
    for (const c of consumed.setCookies) res.headers.append('set-cookie', c);
    return res;
  };

  const idpError = params.get('error');
  if (idpError) {
    return fail('idp_error', { idpError: idpError.slice(0, 64) }, { detail: idpError });
  }
  if (!state || !params.get('code')) {
    return fail('invalid_callback');
  }
  const login = consumed.data;
  // The sealed login state names the realm: its client exchanges the code and is the token's audience.
  const realm = login?.realm === undefined ? gw.realms.default : gw.realms.byName.get(login.realm);
  if (!login || login.state !== state || !realm) {
    return fail('login_expired');
  }

  let tokens: oidc.TokenEndpointResponse;
  try {
    const config = await realm.provider.configuration();
    tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    const err = e instanceof IdpUnavailableError ? e : toIdpError(e, 'code exchange');
    if (err instanceof IdpUnavailableError) {
      return fail('idp_unavailable', { reason: err.message }, { status: err.timeout ? 504 : 503 });
    }
    const code = oauthErrorCode(err);
    if (code && CLIENT_AUTH_ERRORS.has(code)) {
      return fail('idp_rejected_client', { idpError: code });
    }
    if (code) {
      return fail('code_rejected', { idpError: code });
    }
    return fail('invalid_token_response', { reason: (err as Error).message });
  }

  let claims: Record<string, unknown>;
  try {
    claims = await realm.verifier.verifyIdToken(tokens.id_token!, { nonce: login.nonce });
  } catch (e) {
    if (e instanceof JwksUnavailableError) {
      return fail('jwks_unavailable');
    }
    const code = e instanceof JwtInvalidError ? e.code : 'id_token_invalid';
    return fail('id_token_invalid', { reason: code });
  }

  const lookupApp = login.app && realm.samePool && gw.cognito?.lookupApps.has(login.app) ? login.app : undefined;
  const username = typeof claims['cognito:username'] === 'string' ? claims['cognito:username'] : undefined;
  if (lookupApp && username) {
    const lookup = await gw.cognito!.directory.lookup(username, { signIn: true });
    if (lookup.status === 'unavailable') {
      return fail('idp_unavailable', { reason: 'user directory unavailable' });
    }
    if (lookup.status !== 'active') {
      return fail('user_disabled', { user: username });
    }
  }

  const session = newSession(gw, claims, { refreshToken: tokens.refresh_token, accessToken: tokens.access_token, expiresIn: tokens.expires_in }, realm);
  let sessionCookies: string[];
  try {
    sessionCookies = await writeSession(gw, session, info);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError)) throw e;
    return fail('session_too_large', { user: claims['cognito:username'] ?? claims.sub });
  }
  recordSignIn(gw, info, claims, session, login.app, 'session');
  const setCookies = [...consumed.setCookies, ...sessionCookies];
  // The callback is a cross-site navigation (from the IdP), and a redirect keeps it one: a browser
  // would not send a SameSite=Strict session cookie on it and sign-in would loop. A page that moves
  // on by itself makes the next navigation same-site.
  if (gw.config.cookies.sameSite === 'strict') return continuePage(login.returnTo, setCookies);
  return redirectResponse(login.returnTo, setCookies);
}

function continuePage(target: string, setCookies: string[]): Response {
  const href = escapeHtml(target);
  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  for (const c of setCookies) headers.append('set-cookie', c);
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Signed in</title></head><body><p>Signed in. <a href="${href}">Continue</a></p></body></html>`;
  return new Response(body, { status: 200, headers });
}
