/**
 * `/_auth/password`: a site's own login form signs in through Cognito's admin API
 * (ADMIN_USER_PASSWORD_AUTH) and gets the same session as the hosted-UI flow.
 *
 * - `GET` hands out a CSRF token (JSON `{ csrf }`) and sets it in a SameSite=Strict cookie.
 * - `POST` form (`username`, `password`, `rd`, `csrf`) or JSON (`{ username, password, rd }`).
 *   Refused when the request is cross-site (Sec-Fetch-Site, Origin); a form must also carry the
 *   token from its cookie (a JSON body cannot be sent cross-site without a CORS preflight).
 * - Only for apps with `cognito.passwordAuth: true` (the app that serves `rd`); rate-limited like
 *   Basic sign-in. A wrong password and an unknown user get the same answer.
 */
import { safeReturnTo } from '../../oidc/redirect';
import { constantTimeEqual, firstCookie, parseCookieHeader, randomToken, serializeSetCookie, SessionTooLargeError } from '../../session';
import { JwksUnavailableError } from '../../tokens';
import type { Gateway, RequestInfo } from '../context';
import { appServing } from '../decide';
import { refuse } from '../refuse';
import { newSession, recordSignIn, writeSession } from '../session-write';
import { redirectResponse } from '../sign-in';

const MAX_BODY_BYTES = 8 * 1024;

function csrfCookieName(gw: Gateway): string {
  return `${gw.config.cookies.namePrefix}_login_csrf`;
}

function csrfCookie(gw: Gateway, info: RequestInfo, value: string, maxAgeSeconds: number): string {
  return serializeSetCookie(csrfCookieName(gw), value, {
    path: '/_auth/password',
    httpOnly: true,
    secure: info.origin.startsWith('https:'),
    sameSite: 'strict',
    maxAgeSeconds,
  });
}

/** Whether the request comes from the gateway's own origin (or an allowed host): the browser says so. */
function sameSite(gw: Gateway, req: Request, info: RequestInfo): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.get('origin');
  if (!origin) return true;
  if (origin === info.origin) return true;
  try {
    const host = new URL(origin).host;
    return gw.config.redirects.allowedHosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h));
  } catch {
    return false;
  }
}

async function readBody(req: Request): Promise<{ json: boolean; fields: Record<string, string> } | undefined> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) return undefined;
  if (type === 'application/json') {
    try {
      const v = JSON.parse(text) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
      const fields: Record<string, string> = {};
      for (const [k, x] of Object.entries(v)) if (typeof x === 'string') fields[k] = x;
      return { json: true, fields };
    } catch {
      return undefined;
    }
  }
  if (type === 'application/x-www-form-urlencoded') return { json: false, fields: Object.fromEntries(new URLSearchParams(text)) };
  return undefined;
}

/** The form's own page (a same-origin Referer) as the retry link of a refusal page. */
function formRetry(req: Request, info: RequestInfo): { retryHref?: string; retryLabel?: string } {
  const referer = req.headers.get('referer');
  if (!referer) return {};
  try {
    const url = new URL(referer);
    if (url.origin !== info.origin) return {};
    return { retryHref: url.pathname + url.search, retryLabel: 'Back to the sign-in form' };
  } catch {
    return {};
  }
}

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
    const expected = firstCookie(parseCookieHeader(info.cookieHeader), csrfCookieName(gw));
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
  if (!result.ok) {
    gw.metrics.signIns.inc({ outcome: 'failed', reason: result.reason });
    gw.audit({
      type: 'sign-in-failed',
      time: new Date(gw.now()).toISOString(),
      requestId: info.requestId,
      app: app.id,
      reason: result.reason,
      authMethod: 'password',
      clientAddress: info.clientAddress,
    });
    switch (result.reason) {
      case 'rate_limited':
        return refuse(req, info, 'rate_limited', {
          ...ctx,
          headers: result.retryAfterSeconds ? new Headers({ 'retry-after': String(result.retryAfterSeconds) }) : undefined,
        });
      case 'user_disabled':
        return refuse(req, info, 'user_disabled', ctx);
      case 'challenge':
        return refuse(req, info, 'challenge_required', { ...ctx, detail: result.challenge ?? 'challenge' });
      case 'unavailable':
        return refuse(req, info, 'idp_unavailable', ctx);
      case 'store_unavailable':
        return refuse(req, info, 'store_unavailable', ctx);
      default:
        return refuse(req, info, 'invalid_credentials', ctx);
    }
  }
  let claims: Record<string, unknown>;
  try {
    claims = await realm.verifier.verifyIdToken(result.tokens.idToken);
  } catch (e) {
    if (e instanceof JwksUnavailableError) return refuse(req, info, 'jwks_unavailable', ctx);
    return refuse(req, info, 'id_token_invalid', ctx);
  }
  const session = newSession(
    gw,
    claims,
    {
      refreshToken: result.tokens.refreshToken,
      accessToken: result.tokens.accessToken,
      expiresIn: result.tokens.expiresIn,
    },
    realm,
  );
  let cookies: string[];
  try {
    cookies = await writeSession(gw, session, info);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError)) throw e;
    return refuse(req, info, 'session_too_large', ctx);
  }
  cookies.push(csrfCookie(gw, info, '', 0));
  recordSignIn(gw, info, claims, session, app.id, 'password');
  if (!body.json) return redirectResponse(returnTo, cookies, 303);
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  for (const c of cookies) headers.append('set-cookie', c);
  const user = claims['cognito:username'];
  return new Response(JSON.stringify({ signedIn: true, username: typeof user === 'string' ? user : null, returnTo }), { status: 200, headers });
}
