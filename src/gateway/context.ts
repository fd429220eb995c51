import type { Env, ResolvedConfig } from '../config/load';
import type { CognitoFeatures } from './cognito';
import type { AuditSink } from '../audit';
import type { ForwardAuthProxy } from '../config/schema';
import type { TraceContext } from '../http';
import type { Logger } from '../log';
import type { GatewayMetrics } from '../metrics';
import type { IdentityProvider } from '../oidc/provider';
import type { Refresher } from '../oidc/refresh';
import type { SessionData } from '../oidc/session-data';
import type { CidrSet, CompiledApp } from '../policy';
import type { Forwarder } from '../proxy';
import type { LoginStateStore, SessionStore } from '../session';
import type { AssertionSigner, SharedCache, TokenVerifier } from '../tokens';
import type { GatewayStores } from '../store/gateway';
import type { SharedStore } from '../store';
import type { CompiledGateway } from './decide';
import type { Realms } from './realms';

/** What a sign-in attempt remembers between /_auth/login and /_auth/callback (sealed cookie). */
export interface LoginState {
  state: string;
  codeVerifier: string;
  nonce: string;
  /** Same-origin path (query included) or allowed absolute URL to return to. */
  returnTo: string;
  app?: string;
  /** The realm (app client) the sign-in is for: the callback exchanges the code with its client. */
  realm?: string;
  createdAt: number;
}

/**
 * What the runtime entry hands the gateway: everything that differs between Node and Workers.
 */
export interface RuntimeDeps {
  /** Sends allowed requests upstream (Node: undici; Workers: fetch or a service binding). */
  forward: Forwarder;
  /** Fetch for the IdP (discovery, token, JWKS, revoke): a client, not a proxy. */
  idpFetch: typeof fetch;
  /** The immediate peer's address (Node: the socket's; Workers: CF-Connecting-IP, set by the edge). */
  peerAddress(req: Request, env: unknown): string | undefined;
  /**
   * The client's address and country as policies see them. Default: the peer, or the
   * X-Forwarded-For hop left of the trusted proxies (Node). Workers: Cloudflare's headers.
   */
  clientAddress?(req: Request, peer: string | undefined, trustedProxies: CidrSet): { address?: string; country?: string };
  /** The request target exactly as received (path + query), before any URL normalisation. */
  rawTarget(req: Request, env: unknown): string;
  sharedCache?: SharedCache;
  /** The shared store (Redis, a Durable Object) built by the runtime entry; default this process's memory. */
  store?: SharedStore;
  /**
   * This process's own memory (its revocations, and the store when none is shared), kept across
   * config reloads so a reload does not forget what this instance revoked; default a new one per build.
   */
  localStore?: SharedStore;
  logger: Logger;
  /** Metrics kept across config reloads (one set per process); default none kept (Workers). */
  metrics?: GatewayMetrics;
  /** Where audit events go; default JSON lines on the console (stdout). */
  audit?: AuditSink;
  /** True once the process drains (readiness then answers 503). */
  isDraining?: () => boolean;
  /**
   * Told the store keys (src/store/keys.ts) of every revocation this instance records (sign-out,
   * sign-out everywhere, a user found disabled) or hears of from other instances (the store's change
   * notices), once a check sees it. Node closes the upgraded connections those keys name
   * (src/runtime/node-upgrades.ts); Workers pass none.
   */
  onRevocation?: (keys: readonly string[]) => void;
  now?: () => number;
  /** Environment for the admin API (COGNITO_ENDPOINT, AWS credentials). */
  env?: Env;
}

/** The long-lived parts of a running gateway, built once per config. */
export interface Gateway {
  config: ResolvedConfig;
  deps: RuntimeDeps;
  /** What decisions read (apps, header configs, password apps), compiled once. */
  compiled: CompiledGateway;
  apps: readonly CompiledApp[];
  /** `publicUrl`, parsed once (the per-request origin and scheme come from it when set). */
  publicUrl?: URL;
  /** Peers whose X-Forwarded-* and X-Request-Id headers are believed. */
  trustedProxies: CidrSet;
  /** The kind of proxy a forward-auth peer is (forwardAuth), or undefined when forward auth is off. */
  forwardAuthProxy(peer: string | undefined): ForwardAuthProxy | undefined;
  /** The default realm's (the top-level idp's) provider, verifier and refresher. */
  provider: IdentityProvider;
  verifier: TokenVerifier;
  refresher: Refresher;
  /** The default realm's session store, with every realm's cookies counted as the gateway's (strip, detect). */
  sessions: SessionStore<SessionData>;
  /** Every identity setup (app client) by name; `realms.of(app)` is an app's. */
  realms: Realms;
  loginStates: LoginStateStore<LoginState>;
  signer?: AssertionSigner;
  log: Logger;
  metrics: GatewayMetrics;
  audit: AuditSink;
  now: () => number;
  /** Whether any app forwards the access token upstream (then sessions keep it). */
  keepAccessToken: boolean;
  /** Revocations, rate-limit counters, refresh locks (src/store). */
  stores: GatewayStores;
  /** Cognito admin-API features (user look-ups, sign-out everywhere, password sign-in). */
  cognito?: CognitoFeatures;
}

/** Per-request facts derived once at the edge (src/gateway/app.ts requestInfo). */
export interface RequestInfo {
  requestId: string;
  /** W3C trace context: the client's traceparent, or one the gateway made. */
  trace: TraceContext;
  /** The gateway's public origin for this request, e.g. https://gw.example.com */
  origin: string;
  proto: 'http' | 'https';
  host: string;
  peerAddress?: string;
  peerTrusted: boolean;
  clientAddress?: string;
  country?: string;
  rawTarget: string;
  cookieHeader: string | null;
  log: Logger;
  startedAt: number;
}
