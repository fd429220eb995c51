/**
 * The one decision function. Every request the gateway answers — proxied on Node or Workers, asked
 * about by a proxy at /_auth/verify, or typed into `explain` — is decided here and nowhere else.
 *
 * Pure (Web APIs only, no I/O): a request view and the compiled config in, the whole outcome out —
 * the reserved route, the app, the policy trace, the credential it needs or used, the answer, the
 * status and error code of a refusal, and the header edits for the upstream.
 *
 * It runs in two steps when identity matters. Called without `auth`, it decides anonymously: bypass
 * and unconditional blocks need no credential (a public page costs no token check, and a bad cookie
 * cannot break it); otherwise it names the credential to check (`needs-credential`). The caller
 * checks that credential (the only I/O: JWKS, refresh, admin API) and calls again with `auth`, and
 * with that first outcome, so that the path is not normalised nor the app matched twice.
 */
import type { Identity } from '../identity';
import { ERROR_CATALOGUE, type ErrorCode } from '../http/error-catalogue';
import { prefersJson } from '../http/negotiate';
import {
  evaluate as evaluateRaw,
  foldPathCase,
  matchApp,
  normalizePath,
  unusualSpellings,
  withReason,
  type CompiledApp,
  type Decision,
  type HeaderReader,
  type PolicyRequest,
} from '../policy';
import { mapIdentityHeaders, type HeadersConfig } from '../proxy';

/** The gateway's own endpoints, reserved under /_auth/ on every host. */
export type Endpoint = 'healthz' | 'readyz' | 'password' | 'password-challenge' | 'login' | 'callback' | 'logout' | 'me' | 'jwks' | 'verify';

const GET = ['GET', 'HEAD'] as const;
export const ENDPOINTS: Readonly<Record<string, { endpoint: Endpoint; methods?: readonly string[] }>> = {
  '/_auth/healthz': { endpoint: 'healthz', methods: GET },
  '/_auth/readyz': { endpoint: 'readyz', methods: GET },
  '/_auth/login': { endpoint: 'login', methods: GET },
  '/_auth/password': { endpoint: 'password', methods: [...GET, 'POST'] },
  // The password form's second step: a new password or an MFA code for the challenge Cognito asked.
  '/_auth/password/challenge': { endpoint: 'password-challenge', methods: ['POST'] },
  '/_auth/callback': { endpoint: 'callback', methods: GET },
  '/_auth/logout': { endpoint: 'logout', methods: [...GET, 'POST'] },
  '/_auth/me': { endpoint: 'me', methods: GET },
  '/_auth/jwks': { endpoint: 'jwks', methods: GET },
  '/_auth/verify': { endpoint: 'verify' },
};

/** How a caller proves who it is. */
export type Credential = 'bearer' | 'basic' | 'session';

/** Credentials present on the request, not yet checked. */
export interface FoundCredentials {
  /** `Authorization: Bearer <token>`. */
  bearer?: string;
  /** `Authorization: Basic …` (the header value). */
  basic?: string;
  /** A gateway session cookie is present. */
  session: boolean;
}

/** Everything the decision looks at, normalised at the edge. */
export interface RequestView {
  /** The method being decided (forward auth: the original request's). */
  method: string;
  /** The Host asked for. */
  host: string;
  /** The request target as received (path + query); a fragment is cut, never matched. */
  rawTarget: string;
  /** The gateway's public origin for this request (sign-in return targets). */
  origin: string;
  /** The scheme the client used (trusted X-Forwarded-Proto, publicUrl, or the listener's). */
  proto: 'http' | 'https';
  headers: HeaderReader;
  clientAddress?: string;
  country?: string;
  credentials: FoundCredentials;
  /** Whether a sign-in redirect may be the answer (nginx auth_request cannot pass one on). */
  canRedirect: boolean;
}

/** What a checked credential proved. No identity: the credential was absent, unreadable or ended. */
export interface AuthResult {
  credential?: Credential;
  identity?: Identity;
  /** Forwarded only when an app's headers.accessToken asks for it. */
  accessToken?: string;
}

/** The config, compiled once, that decisions read. */
export interface CompiledGateway {
  apps: readonly CompiledApp[];
  unmatched: 404 | 403;
  /** Apps that accept `Authorization: Basic` (Cognito password sign-in). */
  passwordApps: ReadonlySet<string>;
  /** Identity-header config per app id (falls back to `defaultHeaders`). */
  appHeaders: Readonly<Record<string, HeadersConfig>>;
  defaultHeaders: HeadersConfig;
  /** The assertion header, when the assertion is on. */
  assertionHeader?: string;
}

/** The answer for a request an app serves. */
export type Answer = 'allow' | 'bypass' | 'deny' | 'sign-in' | 'unauthorized';

export interface UpstreamEdits {
  /** The normalised path that policy matched: forwarded exactly. */
  path: string;
  /** The raw query string (with '?') or '': forwarded byte for byte. */
  query: string;
  /** Identity headers to set after every client identity header was stripped. */
  identityHeaders: Readonly<Record<string, string>>;
  /** The identity to sign into the assertion header (unverified email already removed). */
  assertion?: { header: string; identity: Identity };
  /** A password the gateway checked never travels on. */
  dropAuthorization: boolean;
}

export interface Refusal {
  status: number;
  code: ErrorCode;
  /** Text for the error page (token error description, missing scopes). */
  detail?: string;
  wwwAuthenticate?: string;
}

export type Outcome =
  | { kind: 'endpoint'; endpoint: Endpoint; path: string; query: string }
  /** A CORS preflight for an app with `cors`: answered by the gateway, never authenticated or forwarded. */
  | { kind: 'preflight'; app: CompiledApp; path: string; headers: Record<string, string> }
  /** Answered before any app: a bad path, a reserved near-miss, a wrong method on an endpoint, no app. */
  | { kind: 'refused'; path?: string; refusal: Refusal; reason: string; allow?: string }
  | {
      kind: 'needs-credential';
      app: CompiledApp;
      path: string;
      query: string;
      credential: Credential;
      decision: Decision;
      /** The anonymous step's findings, which the step with `auth` reuses when given this outcome. */
      prepared: PreparedRequest;
    }
  | {
      kind: 'decided';
      app: CompiledApp;
      path: string;
      query: string;
      decision: Decision;
      answer: Answer;
      /** The credential that was checked (absent: decided anonymously). */
      credential?: Credential;
      identity?: Identity;
      /** deny / unauthorized. */
      refusal?: Refusal;
      /** sign-in: where to come back to. */
      returnTo?: string;
      /** allow / bypass. */
      upstream?: UpstreamEdits;
      /** CORS response headers for an allowed origin (app `cors`), on every answer. */
      cors?: Record<string, string>;
    };

/** Splits a raw target into path and query; a fragment neither matches nor travels. */
export function splitTarget(rawTarget: string): { rawPath: string; query: string } {
  const hash = rawTarget.indexOf('#');
  const target = hash === -1 ? rawTarget : rawTarget.slice(0, hash);
  const q = target.indexOf('?');
  return { rawPath: q === -1 ? target : target.slice(0, q), query: q === -1 ? '' : target.slice(q) };
}

/** Which credential to check: Basic on apps that take passwords, else a bearer token, else the session. */
function credentialFor(view: RequestView, app: CompiledApp, compiled: CompiledGateway): Credential | undefined {
  if (view.credentials.basic !== undefined && compiled.passwordApps.has(app.id)) return 'basic';
  if (view.credentials.bearer !== undefined) return 'bearer';
  if (view.credentials.session) return 'session';
  return undefined;
}

/**
 * What the anonymous step found out about a request: its app, paths and the request policy sees.
 * They depend only on the apps and on the view's rawTarget, method, host, clientAddress and country
 * (the steps that found them read nothing else; the preflight check, which reads headers, is made
 * again), which are kept here so that the step with `auth` reuses them only for the same request.
 */
export interface PreparedRequest {
  apps: readonly CompiledApp[];
  rawTarget: string;
  app: CompiledApp;
  path: string;
  query: string;
  /** The path as policy decides it in lower case too (foldCheck apps), or `path`. */
  folded: string;
  request: PolicyRequest;
}

/**
 * Decides. `first`: the needs-credential outcome of the anonymous step for this view, when the
 * caller has it; with `auth`, the work that step did is not done again (the outcome is the same).
 */
export function decide(view: RequestView, compiled: CompiledGateway, auth?: AuthResult, first?: Outcome): Outcome {
  const again = auth && first?.kind === 'needs-credential' ? first.prepared : undefined;
  if (again && sameRequest(again, view, compiled)) {
    const preflight = preflightOf(view, again.app, again.path);
    if (preflight) return preflight;
    const { app, path, query, folded, request } = again;
    return finish(view, compiled, app, path, query, evaluateSpellings(app, request, folded, auth!.identity), auth!);
  }

  const { rawPath, query } = splitTarget(view.rawTarget);
  const norm = normalizePath(rawPath);
  if (!norm.ok) return { kind: 'refused', refusal: refusal('bad_path'), reason: norm.reason };
  const path = norm.path;

  if (path === '/_auth' || path.startsWith('/_auth/')) {
    // Envoy's ext_authz asks with the original path after a path_prefix: /_auth/verify/<path>.
    const route = ENDPOINTS[path] ?? (path.startsWith('/_auth/verify/') ? ENDPOINTS['/_auth/verify'] : undefined);
    // Reserved on every host: a near-miss of an endpoint is never an app path.
    if (!route) return { kind: 'refused', path, refusal: refusal('not_found'), reason: 'reserved path, no such gateway endpoint' };
    if (route.methods && !route.methods.includes(view.method)) {
      return {
        kind: 'refused',
        path,
        refusal: refusal('method_not_allowed'),
        reason: `${route.endpoint} does not accept ${view.method}`,
        allow: route.methods.join(', '),
      };
    }
    return { kind: 'endpoint', endpoint: route.endpoint, path, query };
  }

  // A client's method is never an outage: diagnostics and tunnels are not for apps behind the gateway.
  if (REFUSED_METHODS.has(view.method))
    return {
      kind: 'refused',
      path,
      refusal: refusal('method_not_allowed'),
      reason: `${view.method} is not passed on`,
      allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    };

  const app = matchApp(compiled.apps, view.host, path);
  if (!app) return { kind: 'refused', path, refusal: { ...refusal('no_app'), status: compiled.unmatched }, reason: 'no app serves this host and path' };
  if (app.refuseUnusualPaths) {
    const unusual = unusualSpellings(path);
    if (unusual.length)
      return { kind: 'refused', path, refusal: refusal('bad_path'), reason: `spelling some upstreams read as another path: ${unusual.join('; ')}` };
  }
  const preflight = preflightOf(view, app, path);
  if (preflight) return preflight;
  const folded = app.foldCheck ? foldPathCase(path) : path;
  if (folded !== path && matchApp(compiled.apps, view.host, folded) !== app) {
    return { kind: 'refused', path, refusal: refusal('bad_path'), reason: `${path} differs only in letter case from a path another app serves` };
  }
  const request: PolicyRequest = { method: view.method, path, host: view.host, clientAddress: view.clientAddress, country: view.country };

  if (!auth) {
    const anonymous = evaluateSpellings(app, request, folded, undefined);
    if (anonymous.effect !== 'bypass' && anonymous.effect !== 'deny') {
      const credential = credentialFor(view, app, compiled);
      if (credential) {
        const prepared = { apps: compiled.apps, rawTarget: view.rawTarget, app, path, query, folded, request };
        return { kind: 'needs-credential', app, path, query, credential, decision: anonymous, prepared };
      }
    }
    return finish(view, compiled, app, path, query, anonymous, {});
  }
  return finish(view, compiled, app, path, query, evaluateSpellings(app, request, folded, auth.identity), auth);
}

/** Was `prepared` found for this view's request (the fields it depends on, see PreparedRequest)? */
function sameRequest(prepared: PreparedRequest, view: RequestView, compiled: CompiledGateway): boolean {
  const { request } = prepared;
  return (
    prepared.apps === compiled.apps &&
    prepared.rawTarget === view.rawTarget &&
    request.method === view.method &&
    request.host === view.host &&
    request.clientAddress === view.clientAddress &&
    request.country === view.country
  );
}

/** A CORS preflight for an app with `cors`: answered before authentication. The one step that reads headers. */
function preflightOf(view: RequestView, app: CompiledApp, path: string): Outcome | undefined {
  if (!app.cors || view.method !== 'OPTIONS') return undefined;
  const origin = view.headers.get('origin');
  if (origin && view.headers.get('access-control-request-method')) {
    return { kind: 'preflight', app, path, headers: preflightHeaders(app.cors, origin, view.headers) };
  }
  return undefined;
}

/** Methods refused before any app (405): TRACE/TRACK echo requests (cookies included), CONNECT opens tunnels. */
const REFUSED_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);

const STRICTNESS: Record<Decision['effect'], number> = { bypass: 0, allow: 1, authenticate: 2, deny: 3 };

/**
 * The decision for a path and, when the app folds case, for its lower-case spelling: the stricter one
 * wins, so no spelling an upstream treats as the same path gets a weaker answer.
 */
function evaluateSpellings(app: CompiledApp, request: PolicyRequest, folded: string, identity?: Identity): Decision {
  const asSent = evaluateRaw(app, request, identity);
  if (folded === request.path) return asSent;
  const lower = evaluateRaw(app, { ...request, path: folded }, identity);
  if (STRICTNESS[lower.effect] <= STRICTNESS[asSent.effect]) return asSent;
  return withReason(lower, `${lower.reason} (decided as ${folded}: the stricter of the two spellings)`);
}

/** The app that serves a host and raw path, if any (which app's login settings a sign-in uses). */
export function appServing(compiled: CompiledGateway, host: string, rawPath: string): CompiledApp | undefined {
  const norm = normalizePath(rawPath);
  return norm.ok ? matchApp(compiled.apps, host, norm.path) : undefined;
}

function finish(view: RequestView, compiled: CompiledGateway, app: CompiledApp, path: string, query: string, decision: Decision, auth: AuthResult): Outcome {
  const { identity, credential } = auth;
  const origin = app.cors ? view.headers.get('origin') : undefined;
  const cors = app.cors && origin ? corsHeaders(app.cors, origin) : undefined;
  // The outcomes below are written out field by field (kind, app, path, query, decision, credential,
  // identity, cors, then the answer's): one object per answer instead of a shared base and a copy.
  switch (decision.effect) {
    case 'bypass':
      return {
        kind: 'decided',
        app,
        path,
        query,
        decision,
        credential,
        identity,
        cors,
        answer: 'bypass',
        upstream: { path, query, identityHeaders: NO_IDENTITY_HEADERS, dropAuthorization: false },
      };
    case 'allow': {
      const cfg = compiled.appHeaders[app.id] ?? compiled.defaultHeaders;
      // Anyone can type an address they do not own; upstreams that key accounts by email must only
      // ever see a verified one (oauth2-proxy's default too).
      const shown = identity!.email && !identity!.emailVerified && cfg.unverifiedEmail !== 'forward' ? withoutEmail(identity!) : identity!;
      return {
        kind: 'decided',
        app,
        path,
        query,
        decision,
        credential,
        identity,
        cors,
        answer: 'allow',
        upstream: {
          path,
          query,
          identityHeaders: mapIdentityHeaders(shown, cfg, auth.accessToken),
          assertion: compiled.assertionHeader ? { header: compiled.assertionHeader, identity: shown } : undefined,
          dropAuthorization: identity!.authMethod === 'basic',
        },
      };
    }
    case 'deny':
      return { kind: 'decided', app, path, query, decision, credential, identity, cors, answer: 'deny', refusal: denial(app, decision, identity) };
    case 'authenticate': {
      // Browsers without a session are sent to sign in; programs, bearer-only routes and callers
      // who already proved an identity (which did not suffice) get 401.
      const wantsJson = !view.canRedirect || decision.bearerOnly === true || identity !== undefined || prefersJson(view);
      if (!wantsJson)
        return { kind: 'decided', app, path, query, decision, credential, identity, cors, answer: 'sign-in', returnTo: returnTarget(view, path + query) };
      const basic = compiled.passwordApps.has(app.id) && !decision.bearerOnly;
      return {
        kind: 'decided',
        app,
        path,
        query,
        decision,
        credential,
        identity,
        cors,
        answer: 'unauthorized',
        refusal: {
          ...refusal('unauthorized'),
          detail: decision.bearerOnly ? 'This address needs an access token (Authorization: Bearer).' : 'Sign in to continue.',
          wwwAuthenticate: basic ? `Bearer realm="${app.id}", Basic realm="${app.id}", charset="UTF-8"` : `Bearer realm="${app.id}"`,
        },
      };
    }
  }
}

/** A bypass sends no identity headers: one shared, frozen empty set. */
const NO_IDENTITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function denial(app: CompiledApp, decision: Decision, identity?: Identity): Refusal {
  if (identity?.authMethod !== 'bearer') return refusal('access_denied');
  const scope = decision.insufficientScope;
  if (!scope) return { ...refusal('access_denied'), detail: 'The access token does not grant access to this address.' };
  return {
    ...refusal('insufficient_scope'),
    detail: scope.join(' '),
    wwwAuthenticate: `Bearer realm="${app.id}", error="insufficient_scope", scope="${scope.join(' ')}"`,
  };
}

type Cors = NonNullable<CompiledApp['cors']>;

function originAllowed(cors: Cors, origin: string): boolean {
  return cors.allowedOrigins.includes('*') || cors.allowedOrigins.some((o) => o.toLowerCase() === origin.toLowerCase());
}

/** Response headers for an actual request from `origin`: nothing (but Vary) when it is not allowed. */
function corsHeaders(cors: Cors, origin: string): Record<string, string> {
  if (!originAllowed(cors, origin)) return { vary: 'Origin' };
  const h: Record<string, string> = {
    'access-control-allow-origin': cors.allowCredentials || !cors.allowedOrigins.includes('*') ? origin : '*',
    vary: 'Origin',
  };
  if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
  if (cors.exposedHeaders.length) h['access-control-expose-headers'] = cors.exposedHeaders.join(', ');
  return h;
}

/** The preflight answer: the allowed method and headers, or no grant at all when anything asked is not allowed. */
function preflightHeaders(cors: Cors, origin: string, headers: HeaderReader): Record<string, string> {
  const method = (headers.get('access-control-request-method') ?? '').trim().toUpperCase();
  const asked = (headers.get('access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const allowedHeaders = new Set(cors.allowedHeaders.map((h) => h.toLowerCase()));
  const granted = originAllowed(cors, origin) && cors.allowedMethods.includes(method) && asked.every((h) => allowedHeaders.has(h));
  if (!granted) return { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  return {
    ...corsHeaders(cors, origin),
    'access-control-allow-methods': cors.allowedMethods.join(', '),
    'access-control-allow-headers': cors.allowedHeaders.join(', '),
    'access-control-max-age': String(cors.maxAge),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
}

/** A refusal with the catalogue's status for the code. */
function refusal(code: ErrorCode): Refusal {
  return { status: ERROR_CATALOGUE[code].status, code };
}

function withoutEmail(identity: Identity): Identity {
  const { email: _email, ...claims } = identity.claims;
  return { ...identity, email: undefined, claims };
}

/**
 * Where to come back to after sign-in. Usually a same-origin path; when the gateway signs in on its
 * publicUrl but the request came to another host (several apps on several hosts), the full URL, so
 * the user lands back on the host they asked for.
 */
export function returnTarget(view: Pick<RequestView, 'origin' | 'host' | 'proto'>, pathAndQuery: string): string {
  return new URL(view.origin).host === view.host ? pathAndQuery : `${view.proto}://${view.host}${pathAndQuery}`;
}
