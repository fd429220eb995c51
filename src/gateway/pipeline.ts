import type { Identity } from '../identity';
import { gatewayError, prefersJson, renderError } from '../http';
import { startLogin } from '../oidc/login';
import { IdpUnavailableError } from '../oidc/provider';
import { evaluate, matchApp, normalizePath, type CompiledApp, type Decision } from '../policy';
import { mapIdentityHeaders, UpstreamError } from '../proxy';
import { authenticateBearer, authenticateSession, bearerToken, type AuthOutcome } from './authenticate';
import { authenticateBasic } from './cognito';
import type { Gateway, RequestInfo } from './context';
import { clientHeaderStripRules, headersFor } from './headers';

/** What the policy pipeline concluded for one request, before anything is forwarded. */
export type Guarded =
  | { kind: 'respond'; res: Response; log: Record<string, unknown> }
  | {
      kind: 'decided';
      app: CompiledApp;
      path: string;
      query: string;
      decision: Decision;
      identity?: Identity;
      accessToken?: string;
      setCookies: string[];
      /** Epoch seconds when the credentials end: the session's absolute lifetime or the token's exp. */
      credentialsEndAt?: number;
      log: Record<string, unknown>;
    };

/**
 * Normalise the path, find the app, authenticate when the decision can depend on who is asking,
 * and decide. Shared by the proxy and by forward auth, so both decide the same way.
 * `target` is the raw request target (path + query) and `method` the method being decided on.
 */
export async function decideGuarded(gw: Gateway, req: Request, info: RequestInfo, method: string, rawTarget: string): Promise<Guarded> {
  // A fragment is never part of a request; some clients send one anyway. It neither matches nor travels.
  const hash = rawTarget.indexOf('#');
  const target = hash === -1 ? rawTarget : rawTarget.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);

  const norm = normalizePath(rawPath);
  if (!norm.ok) {
    const res = renderError(req, { status: 400, code: 'bad_path', title: 'Bad request', message: 'The address contains characters or encodings the gateway does not accept.', requestId: info.requestId });
    return { kind: 'respond', res, log: { reason: norm.reason } };
  }
  const path = norm.path;
  if (path === '/_auth' || path.startsWith('/_auth/')) {
    // Reserved for the gateway on every host: a near-miss of one of its endpoints is not an app path.
    const res = renderError(req, { status: 404, code: 'not_found', title: 'Not found', message: 'No such gateway endpoint.', requestId: info.requestId });
    return { kind: 'respond', res, log: { path } };
  }
  const app = matchApp(gw.apps, info.host, path);
  if (!app) {
    const status = gw.config.unmatched;
    const res = renderError(req, { status, code: 'no_app', title: status === 404 ? 'Not found' : 'Access denied', message: 'No application is served at this address.', requestId: info.requestId });
    return { kind: 'respond', res, log: { path } };
  }
  const request = { method, path, host: info.host, clientAddress: info.clientAddress, country: info.country };

  // First decide as if anonymous: bypass and unconditional blocks need no credentials at all, so a
  // public page costs no token check and a bad cookie cannot break it.
  let decision = evaluate(app, request, undefined);
  let auth: AuthOutcome = { kind: 'anonymous', setCookies: [] };
  if (decision.effect !== 'bypass' && decision.effect !== 'deny') {
    const authorization = req.headers.get('authorization');
    const token = bearerToken(req);
    if (authorization && /^basic\s/i.test(authorization) && gw.cognito?.passwordApps.has(app.id)) {
      const basic = await authenticateBasic(gw, app, authorization, info.clientAddress ?? info.peerAddress ?? '');
      if (basic.kind === 'refused') {
        const res = renderError(req, {
          status: basic.status,
          code: basic.code,
          title: basic.status === 429 ? 'Too many attempts' : 'Sign-in required',
          message: basic.message,
          requestId: info.requestId,
          wwwAuthenticate: basic.status === 401 ? `Basic realm="${app.id}", charset="UTF-8"` : undefined,
          headers: basic.retryAfterSeconds ? new Headers({ 'retry-after': String(basic.retryAfterSeconds) }) : undefined,
          json: true,
        });
        return { kind: 'respond', res, log: { app: app.id, decision: 'deny', reason: basic.code } };
      }
      auth = { kind: 'identity', identity: basic.identity, setCookies: [] };
    } else {
      auth = token ? await authenticateBearer(gw, token) : await authenticateSession(gw, info, app);
    }
    if (auth.kind === 'bearer-invalid') {
      const res = renderError(req, {
        status: 401,
        code: 'invalid_token',
        title: 'Sign-in required',
        message: auth.description,
        requestId: info.requestId,
        wwwAuthenticate: `Bearer realm="${app.id}", error="invalid_token", error_description="${auth.description.replace(/["\\]/g, '')}"`,
        json: true,
      });
      return { kind: 'respond', res, log: { app: app.id, decision: 'deny', reason: auth.code } };
    }
    if (auth.kind === 'unavailable') {
      const res = renderError(req, { ...gatewayError('idp_unavailable', { requestId: info.requestId, app: app.name }), status: auth.status });
      return { kind: 'respond', res: withCookies(res, auth.setCookies), log: { app: app.id, reason: auth.message } };
    }
    if (auth.kind === 'identity') decision = evaluate(app, request, auth.identity);
  }
  const identity = auth.kind === 'identity' ? auth.identity : undefined;
  return {
    kind: 'decided',
    app,
    path,
    query,
    decision,
    identity,
    accessToken: auth.kind === 'identity' ? auth.accessToken : undefined,
    setCookies: auth.setCookies,
    credentialsEndAt: auth.kind === 'identity' ? credentialsEndAt(gw, app, auth.identity, auth.session) : undefined,
    log: { app: app.id, decision: decision.effect, policy: decision.policy, rule: decision.rule, user: identity ? userLabel(identity) : undefined },
  };
}

/**
 * The answer for `deny` and `authenticate` decisions. A browser without a session is sent to sign
 * in when `redirect` allows it; API clients, bearer-only routes and signed-in users get 401 JSON.
 */
export async function refusal(gw: Gateway, req: Request, info: RequestInfo, g: Extract<Guarded, { kind: 'decided' }>, returnTo: string, redirect: boolean): Promise<Response> {
  const { app, decision, identity } = g;
  if (decision.effect === 'deny') return denied(req, info, app, decision, returnTo, identity);
  const wantsJson = !redirect || decision.bearerOnly || prefersJson(req) || identity !== undefined;
  if (!wantsJson) {
    try {
      return await startLogin(gw, info, { returnTo, app });
    } catch (e) {
      if (!(e instanceof IdpUnavailableError)) throw e;
      info.log.warn('sign-in unavailable', { reason: e.message });
      return renderError(req, gatewayError('idp_unavailable', { requestId: info.requestId, app: app.name }));
    }
  }
  return renderError(req, {
    status: 401,
    code: 'unauthorized',
    title: 'Sign-in required',
    message: decision.bearerOnly ? 'This address needs an access token (Authorization: Bearer).' : 'Sign in to continue.',
    requestId: info.requestId,
    wwwAuthenticate: gw.cognito?.passwordApps.has(app.id) && !decision.bearerOnly
      ? `Bearer realm="${app.id}", Basic realm="${app.id}", charset="UTF-8"`
      : `Bearer realm="${app.id}"`,
    json: true,
  });
}

/**
 * The guarded path: decide, then forward (allow, bypass) or answer. Every branch ends in a precise
 * status and one log line carrying the request id and the decision.
 */
export async function handleProxied(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const g = await decideGuarded(gw, req, info, req.method, info.rawTarget);
  if (g.kind === 'respond') return done(gw, info, req, g.res, g.log);
  const { app, path, query, decision } = g;
  let res: Response;
  // A forwarded response already carries g.setCookies (the forwarder adds them).
  if (decision.effect === 'allow') res = await forward(gw, req, info, g, g.identity, g.accessToken);
  else if (decision.effect === 'bypass') res = await forward(gw, req, info, g);
  else res = withCookies(await refusal(gw, req, info, g, returnTarget(info, path + query), true), g.setCookies);
  return done(gw, info, req, res, g.log);
}

/**
 * Where to come back to after sign-in. Usually a same-origin path; when the gateway signs in on its
 * publicUrl but the request came to another host (several apps on several hosts), the full URL, so
 * the user lands back on the host they asked for.
 */
export function returnTarget(info: RequestInfo, pathAndQuery: string): string {
  return new URL(info.origin).host === info.host ? pathAndQuery : `${info.proto}://${info.host}${pathAndQuery}`;
}

/** The headers the gateway adds upstream for an allowed identity: mapped claims plus the assertion. */
export async function identityHeadersFor(gw: Gateway, app: CompiledApp, identity: Identity, accessToken?: string): Promise<Record<string, string>> {
  const cfg = headersFor(gw, app);
  // Anyone can type an address they do not own; upstreams that key accounts by email must only ever
  // see a verified one (oauth2-proxy's default too).
  const shown = identity.email && !identity.emailVerified && cfg.unverifiedEmail !== 'forward' ? withoutEmail(identity) : identity;
  const headers = mapIdentityHeaders(shown, cfg, accessToken);
  if (gw.signer) headers[gw.config.assertion.header] = await gw.signer.sign(shown, app.id);
  return headers;
}

function withoutEmail(identity: Identity): Identity {
  const { email: _email, ...claims } = identity.claims;
  return { ...identity, email: undefined, claims };
}

function denied(req: Request, info: RequestInfo, app: CompiledApp, decision: Decision, returnTo: string, identity?: Identity): Response {
  if (identity && identity.authMethod === 'bearer') {
    const scope = decision.insufficientScope;
    return renderError(req, {
      status: 403,
      code: scope ? 'insufficient_scope' : 'access_denied',
      title: 'Access denied',
      message: scope ? `The access token lacks a required scope (${scope.join(' ')}).` : 'The access token does not grant access to this address.',
      requestId: info.requestId,
      wwwAuthenticate: scope ? `Bearer realm="${app.id}", error="insufficient_scope", scope="${scope.join(' ')}"` : undefined,
    });
  }
  return renderError(req, {
    ...gatewayError('access_denied', {
      requestId: info.requestId,
      app: app.name,
      contact: app.contact,
      user: identity ? (identity.username ?? identity.email ?? identity.sub) : undefined,
    }),
    // A person signed in with the wrong account can switch without signing out first.
    retryHref: identity?.authMethod === 'session' ? `/_auth/login?prompt=login&rd=${encodeURIComponent(returnTo)}` : undefined,
    retryLabel: 'Sign in as someone else',
  });
}

async function forward(
  gw: Gateway,
  req: Request,
  info: RequestInfo,
  g: Extract<Guarded, { kind: 'decided' }>,
  identity?: Identity,
  accessToken?: string,
): Promise<Response> {
  const { app, path, query } = g;
  const identityHeaders = identity ? await identityHeadersFor(gw, app, identity, accessToken) : {};
  // A password the gateway checked never travels on to the upstream.
  const base = clientHeaderStripRules(gw);
  const strip = identity?.authMethod === 'basic' ? { ...base, names: [...base.names, 'authorization'] } : base;
  try {
    return await gw.deps.forward(req, {
      upstream: new URL(app.upstream),
      path,
      query,
      identityHeaders,
      strip,
      isGatewayCookie: (name) => gw.sessions.isGatewayCookie(name),
      clientAddress: info.clientAddress ?? info.peerAddress ?? '',
      proto: info.proto,
      host: info.host,
      trustedForwardedFor: info.peerTrusted ? (req.headers.get('x-forwarded-for') ?? undefined) : undefined,
      requestId: info.requestId,
      timeoutMs: gw.config.upstreamTimeout * 1000,
      setCookies: g.setCookies,
      closeAfterMs: identity && g.credentialsEndAt !== undefined ? g.credentialsEndAt * 1000 - gw.now() : undefined,
    });
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    info.log.warn('upstream failed', { app: app.id, kind: e.kind });
    const ctx = { requestId: info.requestId, app: app.name, contact: app.contact };
    return withCookies(renderError(req, gatewayError(e.kind === 'timeout' ? 'upstream_timeout' : 'upstream_unreachable', ctx)), g.setCookies);
  }
}

/** When what authenticated this request stops being valid (for long-lived exchanges). */
function credentialsEndAt(gw: Gateway, app: CompiledApp, identity: Identity, session?: { createdAt: number }): number | undefined {
  if (session) return session.createdAt + (app.session?.absoluteLifetime ?? gw.config.session.absoluteLifetime);
  return typeof identity.claims.exp === 'number' ? identity.claims.exp : undefined;
}

function userLabel(identity: Identity): string {
  return identity.username ?? identity.sub;
}

export function withCookies(res: Response, setCookies: string[]): Response {
  if (setCookies.length === 0) return res;
  const out = new Response(res.body, res);
  for (const c of setCookies) out.headers.append('set-cookie', c);
  return out;
}

/** One access-log line per request. */
export function done(gw: Gateway, info: RequestInfo, req: Request, res: Response, fields: Record<string, unknown>): Response {
  info.log.info('request', {
    method: req.method,
    path: info.rawTarget.split('?')[0],
    status: res.status,
    ms: gw.now() - info.startedAt,
    ...fields,
  });
  return res;
}
