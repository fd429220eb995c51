import { type Env, type ResolvedConfig, userPoolIdOf } from '../config/load';
import {
  adminOptionsFromSettings,
  cognitoAdminSettings,
  createCognitoAdmin,
  createPasswordAuthenticator,
  createUserDirectory,
  parseBasicAuth,
  type CognitoAdmin,
  type PasswordAuthenticator,
  type PasswordAuthFlow,
  type UserDirectory,
  type UserLookup,
} from '../cognito';
import { identityFromClaims, type Identity } from '../identity';
import type { Logger } from '../log';
import type { GatewayMetrics } from '../metrics';
import { Lru } from '../lru';
import type { CompiledApp } from '../policy';
import { sha256Base64url } from '../session';
import type { GatewayStores } from '../store/gateway';
import type { SharedCache } from '../tokens';
import type { Gateway } from './context';

/**
 * The Cognito admin-API features of a running gateway: user look-ups with a retention period,
 * sign-out everywhere, and password sign-in for API clients. Present only for Cognito pools; the
 * AWS SDK itself loads on the first call, so a gateway that never uses them never pays for it.
 */
export interface CognitoFeatures {
  admin: CognitoAdmin;
  directory: UserDirectory;
  passwords: PasswordAuthenticator;
  /** Password sign-in with another app client of the same pool (a realm's), in that client's flow. */
  passwordsFor(clientId: string, clientSecret: string | undefined, flow: PasswordAuthFlow): PasswordAuthenticator;
  signOutEverywhereByDefault: boolean;
  lookupApps: Set<string>;
  passwordApps: Set<string>;
  /**
   * Successful Basic sign-ins, by hash of app + credentials, so a client does not cost one
   * AdminInitiateAuth per request. Least recently used first out: a script that signs in on every
   * request stays cached while a thousand one-off sign-ins pass through.
   */
  basicCache: Lru<{ claims: Record<string, unknown>; until: number }>;
  /** How long a successful Basic sign-in is remembered: the one user-data retention period (cognitoAdmin.userCacheRetention). */
  basicCacheMs: number;
}

const BASIC_CACHE_MAX = 1_000;

/** Apps that accept `Authorization: Basic` (Cognito password sign-in): only with a Cognito pool. */
export function passwordAuthApps(config: ResolvedConfig): ReadonlySet<string> {
  if (config.idp.type !== 'cognito' || !userPoolIdOf(config)) return new Set();
  return new Set(cognitoAdminSettings(config).passwordAuthApps);
}

export function createCognitoFeatures(
  config: ResolvedConfig,
  opts: { env: Env; log: Logger; now: () => number; sharedCache?: SharedCache; metrics?: GatewayMetrics; stores?: GatewayStores },
): CognitoFeatures | undefined {
  if (config.idp.type !== 'cognito' || !userPoolIdOf(config)) return undefined;
  // One reading of the settings for every feature (src/cognito/config.ts).
  const settings = cognitoAdminSettings(config, opts.env);
  const metrics = opts.metrics;
  // Each admin-API call timed by its operation (X-Amz-Target names it; a fixed set).
  const adminFetch: typeof fetch = async (input, init) => {
    const operation = (new Headers(init?.headers).get('x-amz-target') ?? '').split('.').pop() || 'unknown';
    const started = opts.now();
    try {
      const res = await globalThis.fetch(input, init);
      metrics?.adminDuration.observe({ operation }, (opts.now() - started) / 1000);
      if (res.status >= 500) metrics?.adminErrors.inc({ operation });
      return res;
    } catch (e) {
      metrics?.adminDuration.observe({ operation }, (opts.now() - started) / 1000);
      metrics?.adminErrors.inc({ operation });
      throw e;
    }
  };
  const admin = createCognitoAdmin({ ...adminOptionsFromSettings(settings, opts.env), log: opts.log, fetch: adminFetch });
  const directory = createUserDirectory({
    admin,
    retentionSeconds: settings.userCacheRetentionSeconds,
    maxEntries: settings.userCacheMaxEntries,
    sharedCache: opts.sharedCache,
    now: opts.now,
    log: opts.log,
  });
  const passwordsFor = (clientId: string, clientSecret: string | undefined, flow: PasswordAuthFlow) =>
    createPasswordAuthenticator({
      admin,
      flow,
      clientId,
      clientSecret,
      limits: settings.passwordAuth,
      now: opts.now,
      log: opts.log,
      store: opts.stores?.shared ? opts.stores.store : undefined,
      onStoreError: opts.stores?.settings.onError.passwordRateLimits,
    });
  const passwords = passwordsFor(config.idp.clientId, config.idp.clientSecret, config.idp.passwordAuthFlow);
  return {
    admin,
    directory,
    passwords,
    passwordsFor,
    signOutEverywhereByDefault: settings.signOutEverywhere,
    lookupApps: new Set(settings.userLookupApps),
    passwordApps: new Set(settings.passwordAuthApps),
    basicCache: new Lru(BASIC_CACHE_MAX),
    basicCacheMs: settings.userCacheRetentionSeconds * 1000,
  };
}

/**
 * Applies a user look-up to an identity: the user's current attributes overlay the token's claims
 * (so header mappings see fresh values), and a disabled or deleted user has no identity at all.
 */
export function applyLookup(
  identity: Identity,
  lookup: UserLookup,
  groupsClaim: string,
): { ok: true; identity: Identity } | { ok: false; reason: 'disabled' | 'deleted' | 'unavailable' } {
  if (lookup.status === 'unavailable') return { ok: false, reason: 'unavailable' };
  if (lookup.status !== 'active') return { ok: false, reason: lookup.status };
  // Attributes refresh what the token said about the person (email, name, custom:*), never what
  // proves who and where they signed in: sub, identities, cognito:* stay the token's.
  const fresh = Object.fromEntries(Object.entries(lookup.attributes).filter(([k]) => !RESERVED_ATTRIBUTES.has(k) && !k.startsWith('cognito:')));
  const claims = { ...identity.claims, ...fresh };
  return { ok: true, identity: identityFromClaims(claims, identity.authMethod, { groupsClaim }) };
}

const RESERVED_ATTRIBUTES = new Set(['sub', 'identities', 'iss', 'aud', 'token_use', 'client_id', 'username', 'exp', 'iat', 'auth_time']);

export type BasicOutcome =
  | { kind: 'identity'; identity: Identity }
  | {
      kind: 'refused';
      code: 'invalid_request' | 'invalid_credentials' | 'challenge_required' | 'rate_limited' | 'idp_unavailable' | 'store_unavailable';
      detail?: string;
      retryAfterSeconds?: number;
    };

/** `Authorization: Basic` on an app that allows it: the realm's password flow (admin or user), then the ID token is verified like any other. */
export async function authenticateBasic(gw: Gateway, app: CompiledApp, header: string, clientAddress: string): Promise<BasicOutcome> {
  const cognito = gw.cognito!;
  const creds = parseBasicAuth(header);
  if (!creds) return { kind: 'refused', code: 'invalid_request', detail: 'The Authorization: Basic header is malformed.' };
  const key = await sha256Base64url(`${app.id}\u0000${creds.username}\u0000${creds.password}`);
  const now = gw.now();
  const cached = cognito.basicCache.get(key);
  if (cached && cached.until > now) {
    // A cached sign-in still answers to sign-out everywhere and a disabled user (the user's not-before time).
    const sub = typeof cached.claims.sub === 'string' ? cached.claims.sub : undefined;
    const verdict = sub ? await gw.stores.revocations.check({ sub, issuedAt: typeof cached.claims.iat === 'number' ? cached.claims.iat : 0 }) : 'ok';
    if (verdict === 'unavailable') return { kind: 'refused', code: 'store_unavailable', detail: 'revocation check' };
    if (verdict === 'ok') return { kind: 'identity', identity: identityFromClaims(cached.claims, 'basic', { groupsClaim: gw.config.idp.groupsClaim }) };
    cognito.basicCache.delete(key);
  }
  // The app's realm signs in with its own app client and verifies with it as audience.
  const realm = gw.realms.of(app);
  // (checkConfig refuses passwordAuth on a realm of another pool, which has no authenticator.)
  if (!realm.passwords) return { kind: 'refused', code: 'idp_unavailable', detail: 'password sign-in is not available in this realm' };
  const result = await realm.passwords.authenticate(creds.username, creds.password, clientAddress);
  if (!result.ok) {
    switch (result.reason) {
      case 'rate_limited':
        return { kind: 'refused', code: 'rate_limited', retryAfterSeconds: result.retryAfterSeconds };
      case 'unavailable':
        return { kind: 'refused', code: 'idp_unavailable' };
      case 'store_unavailable':
        return { kind: 'refused', code: 'store_unavailable', detail: 'password rate limits' };
      case 'challenge':
        return { kind: 'refused', code: 'challenge_required', detail: result.challenge ?? 'challenge' };
      default:
        return { kind: 'refused', code: 'invalid_credentials' };
    }
  }
  const claims = await realm.verifier.verifyIdToken(result.tokens.idToken);
  cognito.basicCache.set(key, { claims, until: now + cognito.basicCacheMs });
  return { kind: 'identity', identity: identityFromClaims(claims, 'basic', { groupsClaim: gw.config.idp.groupsClaim }) };
}
