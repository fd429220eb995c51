import { type Env, type ResolvedConfig, userPoolIdOf } from '../config/load';
import {
  adminOptionsFromSettings,
  cognitoAdminSettings,
  createCognitoAdmin,
  createPasswordAuthenticator,
  createUserDirectory,
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
import type { GatewayStores } from '../store/gateway';
import type { SharedCache } from '../tokens';

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
