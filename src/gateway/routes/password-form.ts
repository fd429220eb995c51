/**
 * What both password endpoints (`/_auth/password`, `/_auth/password/challenge`) share: the form's
 * CSRF cookie, the same-site check, reading the body, and turning Cognito's tokens into a session.
 */
import type { AuthTokens } from '../../cognito/client';
import type { CompiledApp } from '../../policy';
import { serializeSetCookie, SessionTooLargeError } from '../../session';
import { JwksUnavailableError } from '../../tokens';
import type { Gateway, RequestInfo } from '../context';
import type { Realm } from '../realms';
import { refuse } from '../refuse';
import { newSession, recordSignIn, writeSession } from '../session-write';
import { redirectResponse } from '../sign-in';

const MAX_BODY_BYTES = 8 * 1024;

export function csrfCookieName(gw: Gateway): string {
  return `${gw.config.cookies.namePrefix}_login_csrf`;
}

export function csrfCookie(gw: Gateway, info: RequestInfo, value: string, maxAgeSeconds: number): string {
  return serializeSetCookie(csrfCookieName(gw), value, {
    path: '/_auth/password',
    httpOnly: true,
    secure: info.origin.startsWith('https:'),
    sameSite: 'strict',
    maxAgeSeconds,
  });
}

/** Whether the request comes from the gateway's own origin (or an allowed host): the browser says so. */
export function sameSite(gw: Gateway, req: Request, info: RequestInfo): boolean {
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

export async function readBody(req: Request): Promise<{ json: boolean; fields: Record<string, string> } | undefined> {
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
export function formRetry(req: Request, info: RequestInfo): { retryHref?: string; retryLabel?: string } {
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

/** The metric and audit event of a refused password sign-in or challenge answer. */
export function signInFailed(gw: Gateway, info: RequestInfo, app: string, reason: string): void {
  gw.metrics.signIns.inc({ outcome: 'failed', reason });
  gw.audit({
    type: 'sign-in-failed',
    time: new Date(gw.now()).toISOString(),
    requestId: info.requestId,
    app,
    reason,
    authMethod: 'password',
    clientAddress: info.clientAddress,
  });
}

/**
 * Tokens from Cognito (the password, or the last challenge answer) become the same session as the
 * hosted-UI flow: a form is sent on to its return target (303), JSON hears `{ signedIn, username, returnTo }`.
 */
export async function completeSignIn(
  gw: Gateway,
  req: Request,
  info: RequestInfo,
  tokens: AuthTokens,
  step: { app: CompiledApp; realm: Realm; returnTo: string; json: boolean },
): Promise<Response> {
  const ctx = { app: step.app.name, contact: step.app.contact };
  let claims: Record<string, unknown>;
  try {
    claims = await step.realm.verifier.verifyIdToken(tokens.idToken);
  } catch (e) {
    if (e instanceof JwksUnavailableError) return refuse(req, info, 'jwks_unavailable', ctx);
    return refuse(req, info, 'id_token_invalid', ctx);
  }
  const session = newSession(gw, claims, { refreshToken: tokens.refreshToken, accessToken: tokens.accessToken, expiresIn: tokens.expiresIn }, step.realm);
  let cookies: string[];
  try {
    cookies = await writeSession(gw, session, info);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError)) throw e;
    return refuse(req, info, 'session_too_large', ctx);
  }
  cookies.push(csrfCookie(gw, info, '', 0));
  recordSignIn(gw, info, claims, session, step.app.id, 'password');
  if (!step.json) return redirectResponse(step.returnTo, cookies, 303);
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  for (const c of cookies) headers.append('set-cookie', c);
  const user = claims['cognito:username'];
  return new Response(JSON.stringify({ signedIn: true, username: typeof user === 'string' ? user : null, returnTo: step.returnTo }), {
    status: 200,
    headers,
  });
}
