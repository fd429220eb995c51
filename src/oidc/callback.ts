import * as oidc from 'openid-client';
import type { Gateway, RequestInfo } from '../gateway/context';
import { escapeHtml, renderError } from '../http';
import { randomToken, SessionTooLargeError } from '../session';
import { writeSession } from '../gateway/session-write';
import { JwtInvalidError, JwksUnavailableError } from '../tokens';
import { CALLBACK_PATH, redirectResponse } from './login';
import { CLIENT_AUTH_ERRORS, IdpUnavailableError, oauthErrorCode, toIdpError } from './provider';
import { sessionClaims, type SessionData } from './session-data';

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
  const fail = (status: number, code: string, title: string, message: string, extra: Record<string, unknown> = {}) => {
    info.log.warn('sign-in failed', { error: code, ...extra });
    const res = renderError(req, { status, code, title, message, requestId: info.requestId, retryHref: restart });
    for (const c of consumed.setCookies) res.headers.append('set-cookie', c);
    return res;
  };

  const idpError = params.get('error');
  if (idpError) {
    const description = (params.get('error_description') ?? '').slice(0, 200);
    return fail(400, 'idp_error', 'Sign-in did not complete', `The identity provider answered: ${idpError}${description ? ` (${description})` : ''}.`, { idpError });
  }
  if (!state || !params.get('code')) {
    return fail(400, 'invalid_callback', 'Sign-in did not complete', 'The sign-in response is missing its code or state. Start again.');
  }
  const login = consumed.data;
  if (!login || login.state !== state) {
    return fail(400, 'login_expired', 'Sign-in expired', 'This sign-in was not started in this browser or took too long. Start again.');
  }

  let tokens: oidc.TokenEndpointResponse;
  try {
    const config = await gw.provider.configuration();
    tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    const err = e instanceof IdpUnavailableError ? e : toIdpError(e, 'code exchange');
    if (err instanceof IdpUnavailableError) {
      return fail(err.timeout ? 504 : 503, 'idp_unavailable', 'Sign-in service unavailable', 'The identity provider did not answer in time. Try again in a moment.', { reason: err.message });
    }
    const code = oauthErrorCode(err);
    if (code && CLIENT_AUTH_ERRORS.has(code)) {
      info.log.error('the identity provider refused the gateway\'s client credentials: check idp.clientId and GATEWAY_CLIENT_SECRET', { error: code });
      return fail(502, 'idp_rejected_client', 'Sign-in is misconfigured', 'The identity provider refused this gateway. The administrator has been told (see the gateway log).', { idpError: code });
    }
    if (code) {
      return fail(400, 'code_rejected', 'Sign-in code rejected', 'The sign-in code was already used or has expired. Start again.', { idpError: code });
    }
    return fail(400, 'invalid_token_response', 'Sign-in failed', 'The identity provider sent a response the gateway cannot accept. Start again.', { reason: (err as Error).message });
  }

  let claims: Record<string, unknown>;
  try {
    claims = await gw.verifier.verifyIdToken(tokens.id_token!, { nonce: login.nonce });
  } catch (e) {
    if (e instanceof JwksUnavailableError) {
      return fail(503, 'jwks_unavailable', 'Sign-in service unavailable', 'The keys to check the sign-in could not be fetched. Try again in a moment.');
    }
    const code = e instanceof JwtInvalidError ? e.code : 'id_token_invalid';
    return fail(400, 'id_token_invalid', 'Sign-in failed', 'The identity token could not be verified. Start again.', { reason: code });
  }

  const lookupApp = login.app && gw.cognito?.lookupApps.has(login.app) ? login.app : undefined;
  const username = typeof claims['cognito:username'] === 'string' ? claims['cognito:username'] : undefined;
  if (lookupApp && username) {
    const lookup = await gw.cognito!.directory.lookup(username, { signIn: true });
    if (lookup.status === 'unavailable') {
      return fail(503, 'idp_unavailable', 'Sign-in service unavailable', 'The user directory could not be reached. Try again in a moment.');
    }
    if (lookup.status !== 'active') {
      return fail(403, 'user_disabled', 'Account not available', 'This account is disabled. Ask your administrator.', { user: username });
    }
  }

  const nowSec = Math.floor(gw.now() / 1000);
  const expiresIn = typeof tokens.expires_in === 'number' ? tokens.expires_in : 3600;
  const exp = typeof claims.exp === 'number' ? claims.exp : nowSec + expiresIn;
  const session: SessionData = {
    v: 1,
    sid: randomToken(12),
    claims: sessionClaims(claims),
    refreshToken: tokens.refresh_token,
    accessToken: gw.keepAccessToken ? tokens.access_token : undefined,
    tokensExpireAt: Math.min(exp, nowSec + expiresIn),
    createdAt: nowSec,
    validatedAt: nowSec,
    lastSeenAt: nowSec,
  };
  let sessionCookies: string[];
  try {
    sessionCookies = await writeSession(gw, session, info);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError)) throw e;
    return fail(400, 'session_too_large', 'Sign-in could not be completed', 'Your account carries more groups or attributes than a browser session can hold. Ask your administrator.', { user: claims['cognito:username'] ?? claims.sub });
  }
  info.log.info('signed in', { sid: session.sid, user: claims['cognito:username'] ?? claims.sub, app: login.app });
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
