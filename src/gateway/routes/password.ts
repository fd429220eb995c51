/**
 * `/_auth/password`: a site's own login form signs in through Cognito (ADMIN_USER_PASSWORD_AUTH, or
 * USER_PASSWORD_AUTH with the realm's `passwordAuthFlow: user`) and gets the same session as the
 * hosted-UI flow.
 *
 * - `GET` hands out a CSRF token (JSON `{ csrf }`) and sets it in a SameSite=Strict cookie.
 * - `POST` form (`username`, `password`, `rd`, `csrf`) or JSON (`{ username, password, rd }`).
 *   Refused when the request is cross-site (Sec-Fetch-Site, Origin); a form must also carry the
 *   token from its cookie (a JSON body cannot be sent cross-site without a CORS preflight).
 * - Only for apps with `cognito.passwordAuth: true` (the app that serves `rd`); rate-limited like
 *   Basic sign-in. A wrong password and an unknown user get the same answer.
 * - When Cognito answers with a challenge (new password, TOTP or SMS code), the answer is the next
 *   step (a page, or JSON) for `POST /_auth/password/challenge` (password-challenge.ts).
 */
import { safeReturnTo } from '../../oidc/redirect';
import { constantTimeEqual, cookiePairsOf, firstCookie, randomToken } from '../../session';
import type { Gateway, RequestInfo } from '../context';
import { appServing } from '../decide';
import { refuse } from '../refuse';
import { challengeStep } from './password-challenge';
import { completeSignIn, csrfCookie, csrfCookieName, formRetry, readBody, sameSite, signInFailed } from './password-form';

export async function handlePassword(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    const csrf = randomToken(24);
    const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    headers.append('set-cookie', csrfCookie(gw, info, csrf, 3600));
    return new Response(req.method === 'HEAD' ? null : JSON.stringify({ csrf }), { status: 200, headers });
  }
  if (!sameSite(gw, req, info)) return refuse(req, info, 'csrf_rejected', {}, { reason: 'cross-site password sign-in' });
  const body = await readBody(req);
  if (!body)
    return refuse(req, info, 'invalid_request', { detail: 'Send username and password as a form (application/x-www-form-urlencoded) or JSON, at most 8 KB.' });
  if (!body.json) {
    const expected = firstCookie(cookiePairsOf(info.cookieHeader), csrfCookieName(gw));
    if (!expected || !body.fields.csrf || !constantTimeEqual(expected, body.fields.csrf))
      return refuse(req, info, 'csrf_rejected', {}, { reason: 'form without its CSRF token' });
  }
  const { username, password } = body.fields;
  if (!username || !password) return refuse(req, info, 'invalid_request', { detail: 'Send username and password.' });

  const returnTo = safeReturnTo(body.fields.rd, { requestOrigin: info.origin, allowedHosts: gw.config.redirects.allowedHosts, fallback: '/' });
  const target = new URL(returnTo, info.origin);
  const app = appServing(gw.compiled, target.host, target.pathname);
  if (!app || !gw.cognito || !gw.compiled.passwordApps.has(app.id)) {
    return refuse(req, info, 'password_sign_in_disabled', { app: app?.name }, { app: app?.id });
  }
  // A browser's form post gets a page it can show (with a way back to the form); a script gets JSON.
  const ctx = body.json
    ? { app: app.name, contact: app.contact }
    : { app: app.name, contact: app.contact, format: 'negotiate' as const, ...formRetry(req, info) };
  // The app's realm: its app client signs in, is the ID token's audience, and owns the session cookie.
  const realm = gw.realms.of(app);
  if (!realm.passwords) return refuse(req, info, 'password_sign_in_disabled', { app: app.name }, { app: app.id, realm: realm.name });
  const result = await realm.passwords.authenticate(username, password, info.clientAddress ?? info.peerAddress ?? '');
  if (!result.ok && result.pending) {
    // Cognito wants a new password or an MFA code: the next step, with the challenge sealed.
    const step = { pending: result.pending, clientId: realm.passwords.clientId, app, returnTo, json: body.json };
    return challengeStep(gw, info, { ...step, formPage: body.json ? undefined : formRetry(req, info).retryHref });
  }
  if (!result.ok) {
    signInFailed(gw, info, app.id, result.reason);
    switch (result.reason) {
      case 'rate_limited':
        return refuse(req, info, 'rate_limited', {
          ...ctx,
          headers: result.retryAfterSeconds ? new Headers({ 'retry-after': String(result.retryAfterSeconds) }) : undefined,
        });
      case 'user_disabled':
        return refuse(req, info, 'user_disabled', ctx);
      case 'challenge':
        // One the gateway cannot answer (PASSWORD_RESET_REQUIRED, MFA_SETUP...): the hosted UI can.
        return refuse(req, info, 'challenge_required', { ...ctx, detail: result.challenge ?? 'challenge' });
      case 'unavailable':
        return refuse(req, info, 'idp_unavailable', ctx);
      case 'store_unavailable':
        return refuse(req, info, 'store_unavailable', ctx);
      default:
        return refuse(req, info, 'invalid_credentials', ctx);
    }
  }
  return completeSignIn(gw, req, info, result.tokens, { app, realm, returnTo, json: body.json });
}
