import { Hono } from 'hono';
import { checkConfig } from '../config/check';
import type { ResolvedConfig } from '../config/load';
import { errorResponse, requestIdFor, traceContextFor } from '../http';
import type { IdpConfig } from '../config/schema';
import { createIdentityProvider, type IdentityProvider } from '../oidc/provider';
import { StoreUnavailableError } from '../store';
import { createGatewayStores } from '../store/gateway';
import { serverSideSessions, type SessionRef } from '../store/server-sessions';
import { createRefresher } from '../oidc/refresh';
import { sessionCacheView, type SessionData } from '../oidc/session-data';
import { compileApps, compileCidrs, resolveClientAddress, type ClientAddress, type CompiledApp } from '../policy';
import { createLoginStateStore, createSessionStore, type SessionStore } from '../session';
import { createAssertionSigner, createTokenVerifier } from '../tokens';
import { jsonLinesAudit } from '../audit';
import { idpCallName, noMetrics } from '../metrics';
import { createCognitoFeatures, passwordAuthApps } from './cognito';
import type { Gateway, LoginState, RequestInfo, RuntimeDeps } from './context';
import { decide, type CompiledGateway } from './decide';
import { done, handleProxied, resolve, viewOf } from './handle';
import { createRealms, everyRealmsCookies, realmCookiePrefix, verifierForClients, type Realm } from './realms';
import { refuse } from './refuse';
import { serveEndpoint } from './routes';

type Env = { Variables: { info: RequestInfo } };

/**
 * At most 4 cookies of ~3.8 KB: 15 KB of session, so that with the Node listener's 32 KB header limit
 * (and Cloudflare's 32 KB) a session the gateway wrote can always come back, logout included.
 */
const SESSION_MAX_CHUNKS = 4;

/** Builds the long-lived gateway state from a validated config. */
export async function createGateway(config: ResolvedConfig, deps: RuntimeDeps): Promise<Gateway> {
  await checkConfig(config, deps.env ?? {});
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? noMetrics();
  const idpFetch = timedFetch(
    deps.idpFetch,
    (url, seconds, failed) => {
      const call = idpCallName(url);
      metrics.idpDuration.observe({ call }, seconds);
      if (failed) metrics.idpErrors.inc({ call });
      if (call === 'jwks') metrics.jwksFetches.inc({ outcome: failed ? 'error' : 'ok' });
    },
    now,
  );
  const provider = createIdentityProvider({ idp: config.idp, issuer: config.issuers[0]!, fetch: idpFetch, now });
  const verifierFor = (idp: IdpConfig, issuers: string[], idpProvider: IdentityProvider, clientIds: string[]) => {
    // Cognito publishes its keys at a fixed place; other providers say where in discovery.
    const jwksUri = idp.jwksUri ?? `${issuers[0]!.replace(/\/$/, '')}/.well-known/jwks.json`;
    const fromDiscovery = idp.type === 'oidc' && !idp.jwksUri;
    const jwksFetch: typeof fetch = fromDiscovery
      ? ((async (input: string | URL | Request, init?: RequestInit) => {
          const discovered = (await idpProvider.configuration()).serverMetadata().jwks_uri;
          return idpFetch(String(input) === jwksUri && discovered ? discovered : input, init);
        }) as typeof fetch)
      : idpFetch;
    return createTokenVerifier({
      mode: idp.type,
      issuers,
      jwksUri,
      clientIds,
      // Only an explicit resource audience: the client id is what ID tokens carry in `aud`.
      audiences: idp.audiences,
      algorithms: config.tokens.algorithms,
      clockSkewSeconds: config.tokens.clockSkew,
      cache: config.tokens.cache,
      fetch: jwksFetch,
      now,
      sharedCache: deps.sharedCache,
    });
  };
  const verifier = verifierFor(config.idp, config.issuers, provider, [config.idp.clientId, ...config.idp.bearerClients]);
  const signer = config.assertion.enabled
    ? await createAssertionSigner({
        issuer: config.assertion.issuer ?? config.publicUrl ?? 'cognito-gateway',
        keys: config.assertion.keys,
        ttlSeconds: config.assertion.ttl,
        claims: config.assertion.claims,
        now,
      })
    : undefined;
  if (signer?.ephemeral) deps.logger.warn('assertion signing key is ephemeral: set GATEWAY_ASSERTION_KEYS so upstreams can pin it across restarts');
  for (const w of config.warnings) deps.logger.warn(w);

  const cookie = config.cookies;
  // The cookie must outlive the longest lifetime any app allows; each app's own limit is enforced per request.
  const longestLifetime = Math.max(config.session.absoluteLifetime, ...config.apps.map((a) => a.session?.absoluteLifetime ?? 0));
  const stores = createGatewayStores(config, {
    store: deps.store,
    local: deps.localStore,
    log: deps.logger,
    metrics,
    now,
    onRevocation: deps.onRevocation,
  });
  // session.storage: store keeps only the sealed id in the cookie (src/store/server-sessions.ts).
  const sessionStoreFor = (cookieSettings: typeof cookie) => {
    const refCookies =
      config.session.storage === 'store'
        ? createSessionStore<SessionRef>({ cookie: cookieSettings, secrets: config.session.secrets, maxAgeSeconds: longestLifetime, maxChunks: 1 })
        : undefined;
    const serverSide = refCookies
      ? serverSideSessions<SessionData>(refCookies, stores.store, { secrets: config.session.secrets, ttlSeconds: longestLifetime })
      : undefined;
    const store: SessionStore<SessionData> =
      serverSide ??
      createSessionStore<SessionData>({
        cookie: cookieSettings,
        secrets: config.session.secrets,
        maxAgeSeconds: longestLifetime,
        maxChunks: SESSION_MAX_CHUNKS,
        cacheSize: config.session.cacheSize,
        cacheView: sessionCacheView,
      });
    return { store, serverSide };
  };
  const defaultSessions = sessionStoreFor(cookie);
  // Records are keyed by session id alone: the default realm's handle removes any realm's.
  stores.sessionRecords = defaultSessions.serverSide;
  const loginStates = createLoginStateStore<LoginState>({ cookie, secrets: config.session.secrets, now });
  const keepAccessToken = [config.headers, ...Object.values(config.appHeaders)].some((h) => h.accessToken !== 'none');
  const cognito = createCognitoFeatures(config, { env: deps.env ?? {}, log: deps.logger, now, sharedCache: stores.cache ?? deps.sharedCache, metrics, stores });
  const apps = compileApps(config.apps);
  const refresherFor = (idpProvider: IdentityProvider, idp: IdpConfig) =>
    createRefresher({ provider: idpProvider, now, store: stores.shared ? stores.store : undefined, waitMs: idp.timeout * 1000 + 1000 });
  const refresher = refresherFor(provider, config.idp);
  const realmList: Realm[] = config.realms.map((rc): Realm => {
    if (rc.isDefault)
      return {
        name: rc.name,
        isDefault: true,
        idp: config.idp,
        samePool: true,
        provider,
        verifier,
        refresher,
        sessions: defaultSessions.store,
        passwords: cognito?.passwords,
      };
    const realmProvider = createIdentityProvider({ idp: rc.idp, issuer: rc.issuers[0]!, fetch: idpFetch, now });
    const clients = [rc.idp.clientId, ...rc.idp.bearerClients];
    const inner = rc.samePool ? verifier : verifierFor(rc.idp, rc.issuers, realmProvider, clients);
    return {
      name: rc.name,
      isDefault: false,
      idp: rc.idp,
      samePool: rc.samePool,
      provider: realmProvider,
      // ID tokens must be for this realm's own client; access tokens may also come from its bearer clients.
      verifier: verifierForClients(inner, [rc.idp.clientId], clients),
      refresher: refresherFor(realmProvider, rc.idp),
      sessions: sessionStoreFor({ ...cookie, namePrefix: realmCookiePrefix(cookie.namePrefix, rc) }).store,
      passwords: rc.samePool ? cognito?.passwordsFor(rc.idp.clientId, rc.idp.clientSecret, rc.idp.passwordAuthFlow) : undefined,
    };
  });
  const realms = createRealms(realmList, config.appRealms);
  const sessions = everyRealmsCookies(
    defaultSessions.store,
    realmList.filter((r) => !r.isDefault).map((r) => r.sessions),
  );
  metrics.sources.tokens = () => verifier.stats();
  metrics.sources.users = cognito ? () => cognito.directory.stats : undefined;
  metrics.sources.sessions = () => {
    const s = sessions.cacheStats();
    return { hits: s.hits, misses: s.unsealed };
  };
  return {
    cognito,
    config,
    deps,
    compiled: compileConfig(config, apps),
    apps,
    publicUrl: config.publicUrl ? new URL(config.publicUrl) : undefined,
    trustedProxies: compileCidrs(config.trustedProxies),
    forwardAuthProxy: forwardAuthProxyOf(config),
    provider,
    verifier,
    refresher,
    stores,
    sessions,
    realms,
    loginStates,
    signer,
    log: deps.logger,
    metrics,
    audit: !config.audit.enabled ? () => {} : (deps.audit ?? jsonLinesAudit((line) => console.log(line))),
    now,
    keepAccessToken,
  };
}

/**
 * A fetch that reports each call's URL, duration and whether it failed (network error or 5xx) — for
 * metrics; the URL is reduced to a bounded call name by the caller.
 */
export function timedFetch(inner: typeof fetch, report: (url: string, seconds: number, failed: boolean) => void, now: () => number): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const started = now();
    try {
      const res = await inner(input, init);
      report(url, (now() - started) / 1000, res.status >= 500);
      return res;
    } catch (e) {
      report(url, (now() - started) / 1000, true);
      throw e;
    }
  }) as typeof fetch;
}

/** Which kind of proxy a forward-auth peer is: the first `forwardAuth.proxies` entry that holds it, else `forwardAuth.proxy`. */
function forwardAuthProxyOf(config: ResolvedConfig): Gateway['forwardAuthProxy'] {
  const entries = config.forwardAuth.proxies.map((e) => ({ cidrs: compileCidrs(e.cidrs), proxy: e.proxy }));
  return (peer) => (peer ? entries.find((e) => e.cidrs.matches(peer))?.proxy : undefined) ?? config.forwardAuth.proxy;
}

/** What decisions read, compiled once per config. Pure: `explain` and every runtime build it the same way. */
export function compileConfig(config: ResolvedConfig, apps: readonly CompiledApp[] = compileApps(config.apps)): CompiledGateway {
  return {
    apps,
    unmatched: config.unmatched,
    passwordApps: passwordAuthApps(config),
    appHeaders: config.appHeaders,
    defaultHeaders: config.headers,
    assertionHeader: config.assertion.enabled ? config.assertion.header : undefined,
  };
}

/** Per peer address: whether it is a trusted proxy, and (when not) the client address it is. */
interface PeerFacts {
  trusted: boolean;
  client: ClientAddress;
}

const peerFactsByGateway = new WeakMap<Gateway, Map<string, PeerFacts>>();

/**
 * Parsing and matching the peer address costs on every request, and a keep-alive connection sends
 * many from one peer: what depends on the peer alone is remembered (bounded; per config, since the
 * trusted proxies come from it). An untrusted peer's client address never depends on the headers.
 */
function peerFacts(gw: Gateway, peerAddress: string): PeerFacts {
  let known = peerFactsByGateway.get(gw);
  if (!known) {
    known = new Map();
    peerFactsByGateway.set(gw, known);
  }
  let facts = known.get(peerAddress);
  if (!facts) {
    const trusted = gw.trustedProxies.matches(peerAddress);
    facts = {
      trusted,
      client: trusted ? { source: 'none' } : resolveClientAddress({ peer: peerAddress, headers: NO_HEADERS, trustedProxies: gw.trustedProxies }),
    };
    if (known.size >= 4096) known.clear();
    known.set(peerAddress, facts);
  }
  return facts;
}

const NO_HEADERS = { get: () => null };

/** The first entry of a comma-separated list header (X-Forwarded-Host, -Proto), trimmed. */
function firstListed(value: string | null): string | undefined {
  if (value === null) return undefined;
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

function requestInfo(gw: Gateway, req: Request, env: unknown): RequestInfo {
  const headers = req.headers;
  const peerAddress = gw.deps.peerAddress(req, env);
  const peer = peerAddress ? peerFacts(gw, peerAddress) : undefined;
  const peerTrusted = peer?.trusted ?? false;
  const fwdHost = peerTrusted ? firstListed(headers.get('x-forwarded-host')) : undefined;
  const fwdProto = peerTrusted ? firstListed(headers.get('x-forwarded-proto')) : undefined;
  // Parsing req.url costs on every request; only a request without Host needs its authority.
  const host = fwdHost || headers.get('host') || new URL(req.url).host;
  // Behind a TLS terminator that sends no (trusted) X-Forwarded-Proto, publicUrl says what users see.
  const proto: 'http' | 'https' =
    fwdProto !== undefined
      ? fwdProto === 'https'
        ? 'https'
        : 'http'
      : (gw.publicUrl ? gw.publicUrl.protocol === 'https:' : req.url.startsWith('https:'))
        ? 'https'
        : 'http';
  const origin = gw.publicUrl ? gw.publicUrl.origin : `${proto}://${host}`;
  const client = gw.deps.clientAddress
    ? gw.deps.clientAddress(req, peerAddress, gw.trustedProxies)
    : peer && !peer.trusted
      ? peer.client
      : resolveClientAddress({ peer: peerAddress, headers, trustedProxies: gw.trustedProxies });
  const requestId = requestIdFor(headers, peerTrusted);
  return {
    requestId,
    trace: traceContextFor(headers.get('traceparent')),
    origin,
    proto,
    host,
    peerAddress,
    peerTrusted,
    clientAddress: client.address,
    country: client.country,
    rawTarget: gw.deps.rawTarget(req, env),
    cookieHeader: headers.get('cookie'),
    log: gw.log.child({ requestId }),
    startedAt: gw.now(),
  };
}

/**
 * The gateway's HTTP surface on Hono: one handler. The decision says whether a request is for one of
 * the gateway's endpoints, refused outright, or for an app (then it is forwarded or answered).
 */
export function createGatewayApp(gw: Gateway): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    c.set('info', requestInfo(gw, c.req.raw, c.env));
    await next();
    c.res = withRequestId(c.res, c.get('info').requestId);
  });

  app.onError((err, c) => unhandled(gw, c.req.raw, c.get('info'), err));

  app.all('*', async (c) => {
    const req = c.req.raw;
    const info = c.get('info');
    const view = viewOf(gw, req, info);
    const resolved = await resolve(gw, req, info, view);
    if (resolved.kind === 'outcome' && resolved.outcome.kind === 'endpoint') {
      const { endpoint } = resolved.outcome;
      const res = await serveEndpoint(gw, req, info, endpoint);
      // Forward auth writes its own access-log line (about the request it was asked about).
      return endpoint === 'verify' ? res : done(gw, info, req, res, { endpoint });
    }
    return handleProxied(gw, req, info, resolved);
  });
  return app;
}

/** The response with the request id header (a copy when its headers are immutable, as fetch's are). */
function withRequestId(res: Response, requestId: string): Response {
  try {
    res.headers.set('x-request-id', requestId);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set('x-request-id', requestId);
    return copy;
  }
}

/** The answer for an error nothing else caught: a store that cannot answer is a 503, anything else a logged 500. */
function unhandled(gw: Gateway, req: Request, info: RequestInfo | undefined, err: Error): Response {
  if (err instanceof StoreUnavailableError)
    return refuse(req, { requestId: info?.requestId ?? 'unknown', log: info?.log ?? gw.log }, 'store_unavailable', {}, { op: err.op });
  gw.log.error('unhandled error', { requestId: info?.requestId, error: err.message, stack: err.stack });
  return errorResponse(req, 'internal_error', { requestId: info?.requestId ?? 'unknown' });
}

/**
 * A request for an app (not a gateway endpoint) without the Hono app around it: the same steps as
 * its handler and middleware (request info, decide, credential, forward or answer, access log,
 * X-Request-Id, the error answer), minus the router and context a proxied request does not need.
 * Undefined when the decision names a gateway endpoint: the Hono app (createGatewayApp) serves
 * those. The Node entry sends every request here first; `req` may be its request view (method,
 * url, headers.get are what the core reads). `alreadySent`: which answers the runtime wrote itself.
 */
export async function serveProxied(gw: Gateway, req: Request, env: unknown, alreadySent?: (res: Response) => boolean): Promise<Response | undefined> {
  let info: RequestInfo | undefined;
  try {
    info = requestInfo(gw, req, env);
    const view = viewOf(gw, req, info);
    const first = decide(view, gw.compiled);
    if (first.kind === 'endpoint') return undefined;
    const res = await handleProxied(gw, req, info, await resolve(gw, req, info, view, first));
    // An answer the runtime already wrote (the forwarder's, on Node) carried the id in its head.
    return alreadySent?.(res) ? res : withRequestId(res, info.requestId);
  } catch (err) {
    const res = unhandled(gw, req, info, err as Error);
    return info ? withRequestId(res, info.requestId) : res;
  }
}
