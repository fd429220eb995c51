/**
 * The request core: builds the request view, lets `decide` (src/gateway/decide.ts) decide, checks
 * the credential the decision asks for, and carries the outcome out — serve an endpoint, forward, or
 * answer from the error catalogue. Every branch ends in a precise status and one access-log line
 * carrying the request id and the decision.
 */
import type { AuditEvent } from '../audit';
import { isoTime } from '../log';
import { statusClass } from '../metrics';
import { IdpUnavailableError } from '../oidc/provider';
import { UpstreamError, type CredentialsRevocation } from '../proxy';
import { withStrippedName } from '../proxy/headers';
import { authenticateBearer, authenticateSession, hasSessionCookie } from './authenticate';
import { authenticateBasic } from './basic-auth';
import type { Gateway, RequestInfo } from './context';
import type { SessionData } from '../oidc/session-data';
import { decide, type AuthResult, type FoundCredentials, type Outcome, type RequestView, type UpstreamEdits } from './decide';
import { stripRulesForApp } from './headers';
import { refuse } from './refuse';
import { startLogin } from './sign-in';

export type Decided = Extract<Outcome, { kind: 'decided' }>;

/** Credentials on the request, found (not checked): the Authorization header and the session cookie. */
export function findCredentials(authorization: string | null, gatewayCookieNames: readonly string[]): FoundCredentials {
  const bearer = authorization ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization)?.[1] : undefined;
  const basic = authorization && /^basic\s/i.test(authorization) ? authorization : undefined;
  return { bearer, basic, session: hasSessionCookie(gatewayCookieNames) };
}

/** The request view for the request itself; forward auth overrides what the proxy reports. */
export function viewOf(gw: Gateway, req: Request, info: RequestInfo, over?: Partial<RequestView>): RequestView {
  const view: RequestView = {
    method: req.method,
    host: info.host,
    rawTarget: info.rawTarget,
    origin: info.origin,
    proto: info.proto,
    headers: req.headers,
    clientAddress: info.clientAddress,
    country: info.country,
    credentials: findCredentials(req.headers.get('authorization'), gw.sessions.cookieNames(info.cookieHeader)),
    canRedirect: true,
  };
  return over === undefined ? view : { ...view, ...over };
}

export type Resolved =
  | {
      kind: 'outcome';
      outcome: Exclude<Outcome, { kind: 'needs-credential' }>;
      setCookies: string[];
      /** Epoch seconds when the credential ends (the session's absolute lifetime, the token's exp). */
      credentialsEndAt?: number;
      /** What a revocation of the credential names (an upgraded connection is closed by one). */
      revocation?: CredentialsRevocation;
    }
  | { kind: 'respond'; res: Response; log: Record<string, unknown> };

/**
 * Decides, checking the credential the first decision asks for. Shared by the proxy and by forward
 * auth, so both decide the same way. `first`: the anonymous decision when the caller already made it.
 */
export async function resolve(gw: Gateway, req: Request, info: RequestInfo, view: RequestView, first = decide(view, gw.compiled)): Promise<Resolved> {
  if (first.kind !== 'needs-credential') return { kind: 'outcome', outcome: first, setCookies: [] };
  const { app, credential } = first;
  let auth: AuthResult;
  let setCookies: string[] = [];
  let credentialsEndAt: number | undefined;
  let revocation: CredentialsRevocation | undefined;
  if (credential === 'basic') {
    const basic = await authenticateBasic(gw, app, view.credentials.basic!, info.clientAddress ?? info.peerAddress ?? '');
    if (basic.kind === 'refused') {
      const res = refuse(req, info, basic.code, {
        app: app.name,
        contact: app.contact,
        detail: basic.detail,
        wwwAuthenticate: basic.code === 'rate_limited' || basic.code === 'idp_unavailable' ? undefined : `Basic realm="${app.id}", charset="UTF-8"`,
        headers: basic.retryAfterSeconds ? new Headers({ 'retry-after': String(basic.retryAfterSeconds) }) : undefined,
      });
      return { kind: 'respond', res, log: { app: app.id, decision: 'deny', reason: basic.code } };
    }
    auth = { credential, identity: basic.identity };
    // Basic sign-ins answer to the user's not-before time only (basic-auth.ts).
    const sub = basic.identity.claims.sub;
    const iat = basic.identity.claims.iat;
    if (typeof sub === 'string' && sub !== '') revocation = { sub, issuedAt: typeof iat === 'number' ? iat : 0 };
  } else {
    const checked =
      credential === 'bearer' ? await authenticateBearer(gw, view.credentials.bearer!, gw.realms.of(app)) : await authenticateSession(gw, info, app);
    if (checked.kind === 'bearer-invalid') {
      const res = refuse(req, info, 'invalid_token', {
        app: app.name,
        contact: app.contact,
        detail: checked.description,
        wwwAuthenticate: `Bearer realm="${app.id}", error="invalid_token", error_description="${checked.description.replace(/["\\]/g, '')}"`,
      });
      return { kind: 'respond', res, log: { app: app.id, decision: 'deny', reason: checked.code } };
    }
    if (checked.kind === 'unavailable') {
      const res = refuse(
        req,
        info,
        checked.code ?? 'idp_unavailable',
        { app: app.name, contact: app.contact, status: checked.status },
        { reason: checked.message },
      );
      return { kind: 'respond', res: withCookies(res, checked.setCookies), log: { app: app.id, reason: checked.message } };
    }
    setCookies = checked.setCookies;
    auth = checked.kind === 'identity' ? { credential, identity: checked.identity, accessToken: checked.accessToken } : { credential };
    if (checked.kind === 'identity') {
      credentialsEndAt = checked.session
        ? checked.session.createdAt + (app.session?.absoluteLifetime ?? gw.config.session.absoluteLifetime)
        : typeof checked.identity.claims.exp === 'number'
          ? checked.identity.claims.exp
          : undefined;
      revocation = revocationOf(checked.session?.claims ?? checked.identity.claims, checked.session);
    }
  }
  const outcome = decide(view, gw.compiled, auth, first) as Exclude<Outcome, { kind: 'needs-credential' }>;
  return { kind: 'outcome', outcome, setCookies, credentialsEndAt, revocation };
}

/** The names the revocation check used for a session or bearer token (src/gateway/authenticate.ts). */
function revocationOf(claims: Record<string, unknown>, session: SessionData | undefined): CredentialsRevocation | undefined {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') return undefined;
  const originJti = typeof claims.origin_jti === 'string' ? claims.origin_jti : undefined;
  if (session) return { sub, sid: session.sid, originJti, issuedAt: session.createdAt };
  return { sub, originJti, issuedAt: typeof claims.iat === 'number' ? claims.iat : 0 };
}

/** The access-log fields of an outcome. */
export function outcomeLog(outcome: Exclude<Outcome, { kind: 'needs-credential' }>): Record<string, unknown> {
  if (outcome.kind === 'endpoint') return { endpoint: outcome.endpoint };
  if (outcome.kind === 'preflight') return { app: outcome.app.id, answer: 'preflight' };
  if (outcome.kind === 'refused') return { error: outcome.refusal.code, reason: outcome.reason };
  const { app, decision, identity } = outcome;
  return {
    app: app.id,
    decision: decision.effect,
    answer: outcome.answer,
    policy: decision.policy,
    rule: decision.rule,
    auth: outcome.credential,
    user: identity ? (identity.username ?? identity.sub) : undefined,
    sub: identity?.sub,
    error: outcome.refusal?.code,
  };
}

/** The answer for an outcome decided before any app (bad path, reserved near-miss, no app). */
export function refusedResponse(req: Request, info: RequestInfo, outcome: Extract<Outcome, { kind: 'refused' }>): Response {
  const { refusal } = outcome;
  return refuse(req, info, refusal.code, {
    status: refusal.status,
    headers: outcome.allow ? new Headers({ allow: outcome.allow }) : undefined,
  });
}

/** The answer for deny, sign-in and 401 outcomes. */
export async function refusalResponse(gw: Gateway, req: Request, info: RequestInfo, outcome: Decided): Promise<Response> {
  const { app, identity } = outcome;
  if (outcome.answer === 'sign-in') {
    try {
      return await startLogin(gw, info, { returnTo: outcome.returnTo!, app });
    } catch (e) {
      if (!(e instanceof IdpUnavailableError)) throw e;
      return refuse(req, info, 'idp_unavailable', { app: app.name, contact: app.contact }, { reason: e.message });
    }
  }
  const refusal = outcome.refusal!;
  const session = identity?.authMethod === 'session';
  return refuse(req, info, refusal.code, {
    app: app.name,
    contact: app.contact,
    detail: refusal.detail,
    wwwAuthenticate: refusal.wwwAuthenticate,
    status: refusal.status,
    user: refusal.code === 'access_denied' && identity && identity.authMethod !== 'bearer' ? (identity.username ?? identity.email ?? identity.sub) : undefined,
    // A person signed in with the wrong account can switch without signing out first.
    retryHref:
      refusal.code === 'access_denied' && session
        ? `/_auth/login?prompt=login&rd=${encodeURIComponent(outcome.returnTo ?? outcome.path + outcome.query)}`
        : undefined,
    retryLabel: 'Sign in as someone else',
  });
}

/**
 * The identity headers with the assertion, per identity-headers object for the last assertion signed
 * for it. The merge is a function of that object (frozen: one per identity and header config, see
 * src/proxy/identity-headers.ts), the assertion header's name and the assertion: together the key.
 * One entry per object, held weakly: it goes with the identity.
 */
const withAssertion = new WeakMap<object, { header: string; jwt: string; headers: Readonly<Record<string, string>> }>();

/**
 * The headers the gateway adds upstream for an allowed identity: mapped claims plus the assertion.
 * Read-only. A promise only when the assertion must be signed (about once per identity, app and half
 * ttl): the forwarded request otherwise goes on without waiting a turn.
 */
export function identityHeadersFor(
  gw: Gateway,
  outcome: Decided,
  edits: UpstreamEdits,
): Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>> {
  if (!edits.assertion || !gw.signer) return edits.identityHeaders;
  const { header, identity } = edits.assertion;
  const reused = gw.signer.reusable(identity, outcome.app.id);
  if (reused !== undefined) return withAssertionHeader(edits.identityHeaders, header, reused);
  return gw.signer.sign(identity, outcome.app.id).then((jwt) => withAssertionHeader(edits.identityHeaders, header, jwt));
}

/** The mapped headers with the assertion header added last (remembered, see withAssertion). */
function withAssertionHeader(base: Readonly<Record<string, string>>, header: string, jwt: string): Readonly<Record<string, string>> {
  const frozen = Object.isFrozen(base);
  const known = frozen ? withAssertion.get(base) : undefined;
  if (known !== undefined && known.jwt === jwt && known.header === header) return known.headers;
  const headers = Object.freeze({ ...base, [header]: jwt });
  if (frozen) withAssertion.set(base, { header, jwt, headers });
  return headers;
}

/**
 * The proxied path: decide, then forward (allow, bypass) or answer. Not async itself: a forwarded
 * request then has one async frame (forwardDecided) rather than two; what it throws still arrives
 * as a rejection.
 */
export function handleProxied(gw: Gateway, req: Request, info: RequestInfo, resolved: Resolved): Promise<Response> {
  try {
    if (resolved.kind === 'respond') return Promise.resolve(done(gw, info, req, resolved.res, resolved.log));
    const { outcome, setCookies } = resolved;
    if (outcome.kind === 'refused')
      return Promise.resolve(done(gw, info, req, withCookies(refusedResponse(req, info, outcome), setCookies), outcomeLog(outcome)));
    if (outcome.kind === 'preflight') {
      const res = new Response(null, { status: 204, headers: { ...outcome.headers, 'cache-control': 'no-store' } });
      return Promise.resolve(done(gw, info, req, res, { app: outcome.app.id, answer: 'preflight', granted: 'access-control-allow-origin' in outcome.headers }));
    }
    if (outcome.kind !== 'decided') throw new Error(`handleProxied: unexpected ${outcome.kind}`);
    // Credentials a browser sends by itself (the cookie, remembered Basic ones): an upgrade must say from where.
    const ambient = outcome.credential === 'session' || outcome.credential === 'basic';
    if (outcome.upstream && ambient && req.headers.has('upgrade') && !upgradeOriginTrusted(req, info, outcome)) {
      const res = refuse(req, info, 'cross_origin_upgrade', {}, { app: outcome.app.id, origin: req.headers.get('origin') });
      return Promise.resolve(done(gw, info, req, withCookies(res, setCookies), { ...outcomeLog(outcome), answer: 'refused', error: 'cross_origin_upgrade' }));
    }
    // The forwarder adds the session cookies and CORS headers itself (on Node it writes the response).
    if (outcome.upstream)
      return forwardDecided(
        gw,
        req,
        info,
        outcome,
        outcome.upstream,
        setCookies,
        outcome.identity ? resolved.credentialsEndAt : undefined,
        outcome.identity ? resolved.revocation : undefined,
      );
    return answerDecided(gw, req, info, outcome, setCookies);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Whether an upgrade (WebSocket) authenticated by the session cookie or Basic credentials may use
 * them: a browser sends the cookie (SameSite=None, or Lax from a sibling host of the same site) and
 * the Basic credentials it remembers with a WebSocket opened by any page, and only Origin tells
 * (cross-site WebSocket hijacking). A bearer token is never sent by the browser on its own. Trusted: no Origin (not a
 * browser), the gateway's own host, and origins the app's CORS settings let send credentials.
 */
function upgradeOriginTrusted(req: Request, info: RequestInfo, outcome: Decided): boolean {
  const origin = req.headers.get('origin');
  if (origin === null || origin === info.origin) return true;
  // The same host under another scheme too: behind a TLS terminator the gateway may see http.
  if (URL.canParse(origin) && new URL(origin).host === info.host.toLowerCase()) return true;
  return outcome.cors?.['access-control-allow-origin'] !== undefined && outcome.cors['access-control-allow-credentials'] === 'true';
}

/** Deny, sign-in and 401: the answer, its CORS headers, the audit event and the access-log line. */
async function answerDecided(gw: Gateway, req: Request, info: RequestInfo, outcome: Decided, setCookies: string[]): Promise<Response> {
  let res = await refusalResponse(gw, req, info, outcome);
  if (outcome.cors) res = withHeaders(res, outcome.cors);
  auditDecision(gw, info, outcome, res.status);
  return done(gw, info, req, withCookies(res, setCookies), outcomeLog(outcome));
}

/** Allow and bypass: forward (or the catalogue's page when the upstream fails), then audit and log. */
async function forwardDecided(
  gw: Gateway,
  req: Request,
  info: RequestInfo,
  outcome: Decided,
  edits: UpstreamEdits,
  setCookies: readonly string[],
  credentialsEndAt: number | undefined,
  revocation: CredentialsRevocation | undefined,
): Promise<Response> {
  const { app } = outcome;
  const requestStarted = gw.now();
  let bytes: number | undefined;
  const headersOrSigning = identityHeadersFor(gw, outcome, edits);
  const identityHeaders = headersOrSigning instanceof Promise ? await headersOrSigning : headersOrSigning;
  const base = stripRulesForApp(gw, app);
  const strip = edits.dropAuthorization ? withStrippedName(base, 'authorization') : base;
  const started = gw.now();
  let res: Response;
  try {
    res = await gw.deps.forward(req, {
      upstream: app.upstreamUrl,
      path: edits.path,
      query: edits.query,
      identityHeaders,
      strip,
      traceparent: info.trace.added ? info.trace.traceparent : undefined,
      isGatewayCookie: gatewayCookieTest(gw),
      clientAddress: info.clientAddress ?? info.peerAddress ?? '',
      proto: info.proto,
      host: info.host,
      trustedForwardedFor: info.peerTrusted ? (req.headers.get('x-forwarded-for') ?? undefined) : undefined,
      requestId: info.requestId,
      timeoutMs: gw.config.upstreamTimeout * 1000,
      setCookies,
      onResponseHead: (head) => (bytes = head.contentLength),
      responseHeaders: outcome.cors,
      closeAfterMs: credentialsEndAt !== undefined ? credentialsEndAt * 1000 - gw.now() : undefined,
      revocation,
    });
    gw.metrics.upstreamDuration.observe({ app: app.id }, (gw.now() - started) / 1000);
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    gw.metrics.upstreamErrors.inc({ app: app.id, kind: e.kind });
    const page = refuse(
      req,
      info,
      e.kind === 'timeout' ? 'upstream_timeout' : 'upstream_unreachable',
      { app: app.name, contact: app.contact },
      { app: app.id, kind: e.kind },
    );
    res = withCookies(outcome.cors ? withHeaders(page, outcome.cors) : page, setCookies);
  }
  auditDecision(gw, info, outcome, res.status);
  // Bytes of the body when its length is known (Content-Length); a chunked answer's is not.
  const length = bytes ?? Number(res.headers.get('content-length') ?? Number.NaN);
  return doneForwarded(gw, info, req, res, outcome, gw.now() - requestStarted, Number.isFinite(length) ? length : undefined);
}

/** The response with headers set (CORS); a copy when its headers are immutable (straight from fetch). */
export function withHeaders(res: Response, headers: Record<string, string>): Response {
  const out = new Response(res.body, res);
  for (const [k, v] of Object.entries(headers)) out.headers.set(k, v);
  return out;
}

export function withCookies(res: Response, setCookies: readonly string[]): Response {
  if (setCookies.length === 0) return res;
  const out = new Response(res.body, res);
  for (const c of setCookies) out.headers.append('set-cookie', c);
  return out;
}

const gatewayCookieTests = new WeakMap<Gateway, (name: string) => boolean>();

/** `isGatewayCookie` of the gateway's session stores, one function per gateway (not one per request). */
function gatewayCookieTest(gw: Gateway): (name: string) => boolean {
  let test = gatewayCookieTests.get(gw);
  if (test === undefined) {
    const sessions = gw.sessions;
    test = (name) => sessions.isGatewayCookie(name);
    gatewayCookieTests.set(gw, test);
  }
  return test;
}

/** The access-log path: the raw target without its query. */
function logPath(rawTarget: string): string {
  const query = rawTarget.indexOf('?');
  return query === -1 ? rawTarget : rawTarget.slice(0, query);
}

/** One access-log line per request, and the request metrics. */
export function done(gw: Gateway, info: RequestInfo, req: Request, res: Response, fields: Record<string, unknown>): Response {
  const ms = gw.now() - info.startedAt;
  const app = typeof fields.app === 'string' ? fields.app : '';
  const answer = typeof fields.answer === 'string' ? fields.answer : fields.endpoint ? 'endpoint' : 'refused';
  gw.metrics.requests.inc({ app, answer, status_class: statusClass(res.status) });
  gw.metrics.requestDuration.observe({ app }, ms / 1000);
  info.log.info('request', {
    method: req.method,
    path: logPath(info.rawTarget),
    status: res.status,
    ms,
    client: info.clientAddress,
    traceId: info.trace?.traceId,
    ...fields,
  });
  return res;
}

/**
 * `done` for a forwarded answer, with the fields `outcomeLog(outcome)` and then `upstreamMs` and
 * `bytes` would give, in that order, written as one object literal: the same line (and metrics)
 * without the intermediate object and the spread (test/gateway/access-line.test.ts compares both).
 */
export function doneForwarded(
  gw: Gateway,
  info: RequestInfo,
  req: Request,
  res: Response,
  outcome: Decided,
  upstreamMs: number,
  bytes: number | undefined,
): Response {
  const ms = gw.now() - info.startedAt;
  const { app, decision, identity } = outcome;
  gw.metrics.requests.inc({ app: app.id, answer: outcome.answer, status_class: statusClass(res.status) });
  gw.metrics.requestDuration.observe({ app: app.id }, ms / 1000);
  info.log.info('request', {
    method: req.method,
    path: logPath(info.rawTarget),
    status: res.status,
    ms,
    client: info.clientAddress,
    traceId: info.trace?.traceId,
    app: app.id,
    decision: decision.effect,
    answer: outcome.answer,
    policy: decision.policy,
    rule: decision.rule,
    auth: outcome.credential,
    user: identity ? (identity.username ?? identity.sub) : undefined,
    sub: identity?.sub,
    error: outcome.refusal?.code,
    upstreamMs,
    bytes,
  });
  return res;
}

/** An audit event for a decision that used an identity (who, which app and policy, the answer, why). */
export function auditDecision(gw: Gateway, info: RequestInfo, outcome: Decided, status: number, extra?: Record<string, unknown>): void {
  const { identity } = outcome;
  if (!identity) return;
  const event: AuditEvent = {
    type: 'decision',
    time: isoTime(gw.now()),
    requestId: info.requestId,
    sub: identity.sub,
    user: identity.username,
    authMethod: identity.authMethod,
    app: outcome.app.id,
    policy: outcome.decision.policy,
    decision: outcome.answer,
    reason: outcome.decision.reason,
    status,
    clientAddress: info.clientAddress,
  };
  // As a spread at the end would: a key of extra replaces the field in its place.
  if (extra) Object.assign(event, extra);
  gw.audit(event);
}
