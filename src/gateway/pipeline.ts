import type { Identity } from '../identity';
import { prefersJson, renderError } from '../http';
import { startLogin } from '../oidc/login';
import { IdpUnavailableError } from '../oidc/provider';
import { evaluate, matchApp, normalizePath, type CompiledApp, type Decision } from '../policy';
import { forwardRequest, mapIdentityHeaders, UpstreamError } from '../proxy';
import { authenticateBearer, authenticateSession, bearerToken, type AuthOutcome } from './authenticate';
import type { Gateway, RequestInfo } from './context';
import { headersFor, stripRulesForApp } from './headers';

/**
 * The guarded path: normalise, find the app, decide, and forward or answer. Every branch ends in a
 * precise status and one log line carrying the request id and the decision.
 */
export async function handleProxied(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const q = info.rawTarget.indexOf('?');
  const rawPath = q === -1 ? info.rawTarget : info.rawTarget.slice(0, q);
  const query = q === -1 ? '' : info.rawTarget.slice(q);

  const norm = normalizePath(rawPath);
  if (!norm.ok) {
    return done(gw, info, req, renderError(req, { status: 400, code: 'bad_path', title: 'Bad request', message: 'The address contains characters or encodings the gateway does not accept.', requestId: info.requestId }), { reason: norm.reason });
  }
  const path = norm.path;
  const app = matchApp(gw.apps, info.host, path);
  if (!app) {
    const status = gw.config.unmatched;
    return done(gw, info, req, renderError(req, { status, code: 'no_app', title: status === 404 ? 'Not found' : 'Access denied', message: 'No application is served at this address.', requestId: info.requestId }), { path });
  }
  const request = { method: req.method, path, host: info.host, clientAddress: info.clientAddress, country: info.country };

  // First decide as if anonymous: bypass and unconditional blocks need no credentials at all, so a
  // public page costs no token check and a bad cookie cannot break it.
  let decision = evaluate(app, request, undefined);
  let auth: AuthOutcome = { kind: 'anonymous', setCookies: [] };
  if (decision.effect !== 'bypass' && decision.effect !== 'deny') {
    const token = bearerToken(req);
    auth = token ? await authenticateBearer(gw, token) : await authenticateSession(gw, info, app);
    if (auth.kind === 'bearer-invalid') {
      const res = renderError(req, {
        status: 401,
        code: 'invalid_token',
        title: 'Sign-in required',
        message: auth.description,
        requestId: info.requestId,
        wwwAuthenticate: `Bearer realm="${app.id}", error="invalid_token", error_description="${auth.description.replace(/["\\]/g, '')}"`,
      });
      return done(gw, info, req, res, { app: app.id, decision: 'deny', reason: auth.code });
    }
    if (auth.kind === 'unavailable') {
      const res = renderError(req, { status: auth.status, code: 'idp_unavailable', title: 'Sign-in service unavailable', message: 'The identity provider could not be reached. Try again in a moment.', requestId: info.requestId });
      return done(gw, info, req, withCookies(res, auth.setCookies), { app: app.id, reason: auth.message });
    }
    if (auth.kind === 'identity') decision = evaluate(app, request, auth.identity);
  }
  const identity = auth.kind === 'identity' ? auth.identity : undefined;
  const setCookies = auth.setCookies;
  const logFields = { app: app.id, decision: decision.effect, policy: decision.policy, rule: decision.rule, user: identity ? userLabel(identity) : undefined };

  switch (decision.effect) {
    case 'bypass':
      return done(gw, info, req, withCookies(await forward(gw, req, info, app, path, query), setCookies), logFields);
    case 'allow':
      return done(gw, info, req, withCookies(await forward(gw, req, info, app, path, query, identity, auth.kind === 'identity' ? auth.accessToken : undefined), setCookies), logFields);
    case 'deny':
      return done(gw, info, req, withCookies(denied(gw, req, info, app, decision, identity), setCookies), logFields);
    case 'authenticate': {
      const wantsJson = decision.bearerOnly || prefersJson(req) || (identity !== undefined && identity.authMethod !== 'session');
      if (wantsJson || identity) {
        const res = renderError(req, {
          status: 401,
          code: 'unauthorized',
          title: 'Sign-in required',
          message: decision.bearerOnly ? 'This address needs an access token (Authorization: Bearer).' : 'Sign in to continue.',
          requestId: info.requestId,
          wwwAuthenticate: `Bearer realm="${app.id}"`,
          json: true,
        });
        return done(gw, info, req, withCookies(res, setCookies), logFields);
      }
      try {
        const login = await startLogin(gw, info, { returnTo: path + query, app });
        return done(gw, info, req, withCookies(login, setCookies), logFields);
      } catch (e) {
        if (!(e instanceof IdpUnavailableError)) throw e;
        const res = renderError(req, { status: 503, code: 'idp_unavailable', title: 'Sign-in service unavailable', message: 'The identity provider could not be reached. Try again in a moment.', requestId: info.requestId });
        return done(gw, info, req, withCookies(res, setCookies), { ...logFields, reason: e.message });
      }
    }
  }
}

function denied(gw: Gateway, req: Request, info: RequestInfo, app: CompiledApp, decision: Decision, identity?: Identity): Response {
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
    status: 403,
    code: 'access_denied',
    title: 'Access denied',
    message: `Your account does not have access to ${app.name ?? app.id}.`,
    requestId: info.requestId,
    app: app.name ?? app.id,
    contact: app.contact,
  });
}

async function forward(
  gw: Gateway,
  req: Request,
  info: RequestInfo,
  app: CompiledApp,
  path: string,
  query: string,
  identity?: Identity,
  accessToken?: string,
): Promise<Response> {
  const headersCfg = headersFor(gw, app);
  const identityHeaders: Record<string, string> = identity ? mapIdentityHeaders(identity, headersCfg, accessToken) : {};
  if (identity && gw.signer) identityHeaders[gw.config.assertion.header] = await gw.signer.sign(identity, app.id);
  try {
    return await forwardRequest(req, {
      upstream: new URL(app.upstream),
      path,
      query,
      identityHeaders,
      strip: stripRulesForApp(gw, app),
      isGatewayCookie: (name) => gw.sessions.isGatewayCookie(name),
      clientAddress: info.clientAddress ?? info.peerAddress ?? '',
      proto: info.proto,
      host: info.host,
      trustedForwardedFor: info.peerTrusted ? (req.headers.get('x-forwarded-for') ?? undefined) : undefined,
      requestId: info.requestId,
      fetch: gw.deps.upstreamFetch,
      timeoutMs: gw.config.upstreamTimeout * 1000,
    });
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    info.log.warn('upstream failed', { app: app.id, kind: e.kind });
    return e.kind === 'timeout'
      ? renderError(req, { status: 504, code: 'upstream_timeout', title: 'The application did not answer in time', message: 'Try again in a moment.', requestId: info.requestId, app: app.name ?? app.id })
      : renderError(req, { status: 502, code: 'upstream_unreachable', title: 'The application is unreachable', message: 'The gateway could not reach the application. Try again in a moment.', requestId: info.requestId, app: app.name ?? app.id });
  }
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
