import type { Env, ResolvedConfig } from '../config/load';
import type { CognitoFeatures } from './cognito';
import type { Logger } from '../log';
import type { IdentityProvider } from '../oidc/provider';
import type { Refresher } from '../oidc/refresh';
import type { SessionData } from '../oidc/session-data';
import type { CidrSet, CompiledApp } from '../policy';
import type { Forwarder } from '../proxy';
import type { LoginStateStore, SessionStore } from '../session';
import type { AssertionSigner, SharedCache, TokenVerifier } from '../tokens';

/** What a sign-in attempt remembers between /_auth/login and /_auth/callback (sealed cookie). */
export interface LoginState {
  state: string;
  codeVerifier: string;
  nonce: string;
  /** Same-origin path (query included) or allowed absolute URL to return to. */
  returnTo: string;
  app?: string;
  createdAt: number;
}

/**
 * What the runtime entry hands the gateway: everything that differs between Node and Workers.
 */
export interface RuntimeDeps {
  runtime: 'node' | 'worker';
  /** Upstream calls: undici's dispatcher on Node (writes the response itself), fetch on Workers. */
  forward: Forwarder;
  /** Fetch for the IdP (discovery, token, JWKS): a client, so fetch is right here. */
  idpFetch: typeof fetch;
  /** The immediate peer's address (Node: socket; Workers: CF-Connecting-IP is read by policy code). */
  peerAddress(req: Request, env: unknown): string | undefined;
  /** The request target exactly as received (path + query), before any URL normalisation. */
  rawTarget(req: Request, env: unknown): string;
  sharedCache?: SharedCache;
  logger: Logger;
  now?: () => number;
  /** Environment for the admin API (COGNITO_ENDPOINT, AWS credentials). */
  env?: Env;
}

/** The long-lived parts of a running gateway, built once per config. */
export interface Gateway {
  config: ResolvedConfig;
  deps: RuntimeDeps;
  apps: CompiledApp[];
  /** `publicUrl`, parsed once (the per-request origin and scheme come from it when set). */
  publicUrl?: URL;
  /** Peers whose X-Forwarded-* and X-Request-Id headers are believed. */
  trustedProxies: CidrSet;
  provider: IdentityProvider;
  verifier: TokenVerifier;
  refresher: Refresher;
  sessions: SessionStore<SessionData>;
  loginStates: LoginStateStore<LoginState>;
  signer?: AssertionSigner;
  log: Logger;
  now: () => number;
  /** Whether any app forwards the access token upstream (then sessions keep it). */
  keepAccessToken: boolean;
  /** Cognito admin-API features (user look-ups, sign-out everywhere, password sign-in). */
  cognito?: CognitoFeatures;
}

/** Per-request facts derived once at the edge of the pipeline. */
export interface RequestInfo {
  requestId: string;
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
