import { Hono } from 'hono';
import type { ResolvedConfig } from '../config/load';
import { gatewayError, renderError, requestIdFor } from '../http';
import { handleCallback } from '../oidc/callback';
import { startLogin } from '../oidc/login';
import { handleLogout } from '../oidc/logout';
import { createIdentityProvider, IdpUnavailableError } from '../oidc/provider';
import { safeReturnTo } from '../oidc/redirect';
import { createRefresher } from '../oidc/refresh';
import type { SessionData } from '../oidc/session-data';
import { compileApps, compileCidrs, matchApp, normalizePath, resolveClientAddress } from '../policy';
import { createLoginStateStore, createSessionStore } from '../session';
import { createAssertionSigner, createTokenVerifier } from '../tokens';
import { authenticateBearer, authenticateSession, bearerToken } from './authenticate';
import { createCognitoFeatures } from './cognito';
import type { Gateway, LoginState, RequestInfo, RuntimeDeps } from './context';
import { handleForwardAuth } from './forward-auth';
import { handleProxied, withCookies } from './pipeline';

type Env = { Variables: { info: RequestInfo } };

/**
 * At most 4 cookies of ~3.8 KB: 15 KB of session, so that with the Node listener's 32 KB header limit
 * (and Cloudflare's 32 KB) a session the gateway wrote can always come back, logout included.
 */
const SESSION_MAX_CHUNKS = 4;

/** Builds the long-lived gateway state from a validated config. */
export async function createGateway(config: ResolvedConfig, deps: RuntimeDeps): Promise<Gateway> {
  const now = deps.now ?? Date.now;
  const idpFetch = deps.idpFetch;
  const provider = createIdentityProvider({ idp: config.idp, issuer: config.issuers[0]!, fetch: idpFetch, now });
  // Cognito publishes its keys at a fixed place; other providers say where in discovery.
  const jwksUri = config.idp.jwksUri ?? `${config.issuers[0]!.replace(/\/$/, '')}/.well-known/jwks.json`;
  const fromDiscovery = config.idp.type === 'oidc' && !config.idp.jwksUri;
  const jwksFetch: typeof fetch = fromDiscovery
    ? (async (input: string | URL | Request, init?: RequestInit) => {
        const discovered = (await provider.configuration()).serverMetadata().jwks_uri;
        return idpFetch(String(input) === jwksUri && discovered ? discovered : input, init);
      }) as typeof fetch
    : idpFetch;
  const verifier = createTokenVerifier({
    mode: config.idp.type,
    issuers: config.issuers,
    jwksUri,
    clientIds: [config.idp.clientId, ...config.idp.bearerClients],
    // Only an explicit resource audience: the client id is what ID tokens carry in `aud`.
    audiences: config.idp.audiences,
    algorithms: config.tokens.algorithms,
    clockSkewSeconds: config.tokens.clockSkew,
    cache: config.tokens.cache,
    fetch: jwksFetch,
    now,
    sharedCache: deps.sharedCache,
  });
  const signer = config.assertion.enabled
    ? await createAssertionSigner({ issuer: config.assertion.issuer ?? config.publicUrl ?? 'cognito-gateway', keys: config.assertion.keys, ttlSeconds: config.assertion.ttl, now })
    : undefined;
  if (signer?.ephemeral) deps.logger.warn('assertion signing key is ephemeral: set GATEWAY_ASSERTION_KEYS so upstreams can pin it across restarts');
  for (const w of config.warnings) deps.logger.warn(w);

  const cookie = config.cookies;
  // The cookie must outlive the longest lifetime any app allows; each app's own limit is enforced per request.
  const longestLifetime = Math.max(config.session.absoluteLifetime, ...config.apps.map((a) => a.session?.absoluteLifetime ?? 0));
  const sessions = createSessionStore<SessionData>({ cookie, secrets: config.session.secrets, maxAgeSeconds: longestLifetime, maxChunks: SESSION_MAX_CHUNKS, cacheSize: config.session.cacheSize });
  const loginStates = createLoginStateStore<LoginState>({ cookie, secrets: config.session.secrets, now });
  const keepAccessToken = [config.headers, ...Object.values(config.appHeaders)].some((h) => h.accessToken !== 'none');
  return {
    cognito: createCognitoFeatures(config, { env: deps.env ?? {}, log: deps.logger, now, sharedCache: deps.sharedCache }),
    config,
    deps,
    apps: compileApps(config.apps),
    publicUrl: config.publicUrl ? new URL(config.publicUrl) : undefined,
    trustedProxies: compileCidrs(config.trustedProxies),
    provider,
    verifier,
    refresher: createRefresher({ provider, now }),
    sessions,
    loginStates,
    signer,
    log: deps.logger,
    now,
    keepAccessToken,
  };
}

function requestInfo(gw: Gateway, req: Request, env: unknown): RequestInfo {
  const url = new URL(req.url);
  const peerAddress = gw.deps.peerAddress(req, env);
  const peerTrusted = !!peerAddress && gw.trustedProxies.matches(peerAddress);
  const fwdHost = peerTrusted ? req.headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const fwdProto = peerTrusted ? req.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
  const host = fwdHost || req.headers.get('host') || url.host;
  // Behind a TLS terminator that sends no (trusted) X-Forwarded-Proto, publicUrl says what users see.
  const publicProto = gw.publicUrl?.protocol;
  const proto: 'http' | 'https' = (fwdProto ?? (publicProto ?? url.protocol).replace(':', '')) === 'https' ? 'https' : 'http';
  const origin = gw.publicUrl ? gw.publicUrl.origin : `${proto}://${host}`;
  const client = resolveClientAddress({ peer: peerAddress, headers: req.headers, trustedProxies: gw.trustedProxies, runtime: gw.deps.runtime });
  const requestId = requestIdFor(req.headers, peerTrusted);
  return {
    requestId,
    origin,
    proto,
    host,
    peerAddress,
    peerTrusted,
    clientAddress: client.address,
    // Cloudflare's edge sets CF-IPCountry; wrangler dev and Miniflare only fill request.cf.country.
    country: client.country ?? (gw.deps.runtime === 'worker' ? cfCountry(req) : undefined),
    rawTarget: gw.deps.rawTarget(req, env),
    cookieHeader: req.headers.get('cookie'),
    log: gw.log.child({ requestId }),
    startedAt: gw.now(),
  };
}

/** The gateway's HTTP surface: /_auth/* endpoints, then everything else through the policy pipeline. */
export function createGatewayApp(gw: Gateway): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    c.set('info', requestInfo(gw, c.req.raw, c.env));
    await next();
    const id = c.get('info').requestId;
    try {
      c.res.headers.set('x-request-id', id);
    } catch {
      // Responses straight from fetch() have immutable headers.
      const res = new Response(c.res.body, c.res);
      res.headers.set('x-request-id', id);
      c.res = res;
    }
  });

  app.onError((err, c) => {
    const info = c.get('info');
    gw.log.error('unhandled error', { requestId: info?.requestId, error: err.message, stack: err.stack });
    return renderError(c.req.raw, { status: 500, code: 'internal_error', title: 'Something went wrong', message: 'The gateway hit an unexpected error. Try again; if it persists, quote the request id.', requestId: info?.requestId ?? 'unknown' });
  });

  app.get('/_auth/healthz', (c) => c.text('ok', 200, { 'cache-control': 'no-store' }));

  app.get('/_auth/login', async (c) => {
    const info = c.get('info');
    const returnTo = safeReturnTo(c.req.query('rd'), { requestOrigin: info.origin, allowedHosts: gw.config.redirects.allowedHosts, fallback: '/' });
    const target = new URL(returnTo, info.origin);
    const norm = normalizePath(target.pathname);
    const targetApp = norm.ok ? matchApp(gw.apps, target.host, norm.path) : undefined;
    try {
      return await startLogin(gw, info, { returnTo, app: targetApp, prompt: c.req.query('prompt') === 'login' ? 'login' : undefined });
    } catch (e) {
      if (!(e instanceof IdpUnavailableError)) throw e;
      return renderError(c.req.raw, gatewayError('idp_unavailable', { requestId: info.requestId }));
    }
  });

  app.get('/_auth/callback', (c) => handleCallback(gw, c.req.raw, c.get('info')));
  app.on(['GET', 'POST'], '/_auth/logout', (c) => handleLogout(gw, c.req.raw, c.get('info')));

  app.get('/_auth/me', async (c) => {
    const info = c.get('info');
    const token = bearerToken(c.req.raw);
    const auth = token ? await authenticateBearer(gw, token) : await authenticateSession(gw, info);
    if (auth.kind !== 'identity') {
      const res = renderError(c.req.raw, {
        status: 401,
        code: 'unauthorized',
        title: 'Sign-in required',
        message: 'not signed in',
        requestId: info.requestId,
        wwwAuthenticate: 'Bearer realm="cognito-gateway"',
        json: true,
      });
      return withCookies(res, auth.kind === 'anonymous' || auth.kind === 'unavailable' ? auth.setCookies : []);
    }
    const id = auth.identity;
    const res = c.json(
      {
        username: id.username ?? null,
        sub: id.sub,
        email: id.email ?? null,
        emailVerified: id.emailVerified,
        groups: id.groups,
        identityProviders: id.identityProviders,
        authMethod: id.authMethod,
        scopes: id.scopes,
        clientId: id.clientId ?? null,
        sessionExpiresAt: auth.session ? new Date((auth.session.createdAt + gw.config.session.absoluteLifetime) * 1000).toISOString() : null,
        tokensExpireAt: auth.session ? new Date(auth.session.tokensExpireAt * 1000).toISOString() : typeof id.claims.exp === 'number' ? new Date(id.claims.exp * 1000).toISOString() : null,
      },
      200,
      { 'cache-control': 'no-store' },
    );
    for (const cookie of auth.setCookies) res.headers.append('set-cookie', cookie);
    return res;
  });

  app.get('/_auth/jwks', (c) =>
    gw.signer ? c.json(gw.signer.publicJwks(), 200, { 'cache-control': 'public, max-age=300' }) : c.json({ keys: [] }),
  );

  app.all('/_auth/verify', (c) => handleForwardAuth(gw, c.req.raw, c.get('info')));

  app.all('*', (c) => handleProxied(gw, c.req.raw, c.get('info')));
  return app;
}

function cfCountry(req: Request): string | undefined {
  const country = (req as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === 'string' && /^[A-Z]{2}$/i.test(country) ? country.toUpperCase() : undefined;
}
