/**
 * The token verifier every path of the gateway uses: session ID tokens, bearer access tokens, machine
 * (client_credentials) tokens. Order: size and header rules (compact.ts), key from the JWKS cache
 * (jwks.ts), signature (jose), claim rules (claims.ts). Verified tokens are cached until `exp`
 * (verified-cache.ts); a cache hit still passes every claim rule.
 */
import { compactVerify, errors as joseErrors } from 'jose';
import { checkClaims } from './claims';
import type { ClaimExpectations, TokenUse } from './claims';
import { decodeCompactJws, MAX_TOKEN_LENGTH } from './compact';
import { JwtInvalidError, TokenConfigError } from './errors';
import { ASYMMETRIC_ALGORITHMS } from './jwk';
import { createJwksCache } from './jwks';
import type { SharedCache } from './shared-cache';
import { deepFreeze, VerifiedTokenCache } from './verified-cache';

export interface VerifierOptions {
  /** `cognito`: Cognito's token_use/client_id rules. `oidc`: a generic OpenID Provider. */
  mode: 'cognito' | 'oidc';
  /** Accepted `iss` values, compared exactly; the first is the primary (discovered) one. */
  issuers: string[];
  jwksUri: string;
  /** Allowed clients: on `aud` for ID tokens, on `client_id` for access tokens. */
  clientIds: string[];
  /** oidc mode: accepted `aud` of access tokens (without it, `client_id` is checked). Ignored for Cognito. */
  audiences?: string[];
  /** Accepted JWS algorithms; asymmetric only. Default ['RS256']. */
  algorithms?: string[];
  /** Tolerance for exp / nbf / iat. Default 60. */
  clockSkewSeconds?: number;
  /** Minimum time between two JWKS fetches. Default 10_000. */
  jwksCooldownMs?: number;
  /** JWKS fetch time-out. Default 3_000. */
  jwksTimeoutMs?: number;
  /** Refresh the key set when older than this (a failed refresh keeps it). Default 3_600_000. */
  jwksMaxAgeMs?: number;
  /** Verified-token cache. Default enabled with 10_000 entries. */
  cache?: { maxEntries?: number; enabled?: boolean };
  /** Second-level cache for the JWKS document and verified-token entries. */
  sharedCache?: SharedCache;
  fetch?: typeof fetch;
  /** Clock in milliseconds. */
  now?: () => number;
}

export interface VerifierStats {
  cacheHits: number;
  cacheMisses: number;
  cacheSize: number;
  jwksFetches: number;
}

export interface TokenVerifier {
  /** Verifies an ID token. Returns its claims (deep-frozen). Throws JwtInvalidError / JwksUnavailableError. */
  verifyIdToken(jwt: string, opts?: { nonce?: string; clientIds?: string[] }): Promise<Record<string, unknown>>;
  /** Verifies an access token (user or machine). Returns its claims (deep-frozen). */
  verifyAccessToken(jwt: string, opts?: { clientIds?: string[] }): Promise<Record<string, unknown>>;
  stats(): VerifierStats;
  /** Whether the signing keys have been fetched; tries once if not (readiness). */
  keysLoaded(): Promise<boolean>;
}

interface ResolvedOptions {
  mode: 'cognito' | 'oidc';
  issuers: string[];
  jwksUri: string;
  clientIds: string[];
  audiences?: string[];
  algorithms: string[];
  clockSkewSeconds: number;
  jwksCooldownMs: number;
  jwksTimeoutMs: number;
  jwksMaxAgeMs: number;
  cacheEnabled: boolean;
  cacheMaxEntries: number;
}

const nonEmptyStrings = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0);

function numberOption(key: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TokenConfigError(key, `must be a number from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/** Validates options and fills defaults. Throws TokenConfigError naming the key and the fix. */
export function resolveVerifierOptions(o: VerifierOptions): ResolvedOptions {
  if (o.mode !== 'cognito' && o.mode !== 'oidc') throw new TokenConfigError('mode', "must be 'cognito' or 'oidc'");
  if (!nonEmptyStrings(o.issuers)) {
    throw new TokenConfigError('issuers', "list at least one issuer (Cognito: 'https://cognito-idp.{region}.amazonaws.com/{userPoolId}')");
  }
  let uri: URL;
  try {
    uri = new URL(o.jwksUri);
  } catch {
    throw new TokenConfigError('jwksUri', 'must be an absolute URL (Cognito: {issuer}/.well-known/jwks.json)');
  }
  if (uri.protocol !== 'https:' && uri.protocol !== 'http:') throw new TokenConfigError('jwksUri', 'must be an https: URL');
  if (!nonEmptyStrings(o.clientIds)) throw new TokenConfigError('clientIds', 'list at least one allowed app client id');
  if (o.audiences !== undefined && !nonEmptyStrings(o.audiences)) {
    throw new TokenConfigError('audiences', 'list at least one audience, or leave the key out');
  }
  const algorithms = o.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TokenConfigError('algorithms', 'list at least one algorithm, e.g. [RS256]');
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TokenConfigError('algorithms', `${String(alg)} is not allowed; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`);
    }
  }
  const maxEntries = numberOption('cache.maxEntries', o.cache?.maxEntries, 10_000, 0, 10_000_000);
  return {
    mode: o.mode,
    issuers: [...o.issuers],
    jwksUri: uri.href,
    clientIds: [...o.clientIds],
    audiences: o.audiences ? [...o.audiences] : undefined,
    algorithms: [...algorithms],
    clockSkewSeconds: numberOption('clockSkewSeconds', o.clockSkewSeconds, 60, 0, 600),
    jwksCooldownMs: numberOption('jwksCooldownMs', o.jwksCooldownMs, 10_000, 0, 3_600_000),
    jwksTimeoutMs: numberOption('jwksTimeoutMs', o.jwksTimeoutMs, 3_000, 1, 60_000),
    jwksMaxAgeMs: numberOption('jwksMaxAgeMs', o.jwksMaxAgeMs, 3_600_000, 1_000, 7 * 86_400_000),
    cacheEnabled: o.cache?.enabled !== false && maxEntries > 0,
    cacheMaxEntries: Math.floor(maxEntries),
  };
}

export function createTokenVerifier(opts: VerifierOptions): TokenVerifier {
  const o = resolveVerifierOptions(opts);
  const now = opts.now ?? (() => Date.now());
  const fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  const jwks = createJwksCache({
    jwksUri: o.jwksUri,
    cooldownMs: o.jwksCooldownMs,
    timeoutMs: o.jwksTimeoutMs,
    maxAgeMs: o.jwksMaxAgeMs,
    fetch: fetchImpl,
    now,
    sharedCache: opts.sharedCache,
  });
  const cache = o.cacheEnabled ? new VerifiedTokenCache(o.cacheMaxEntries, opts.sharedCache) : undefined;

  async function verify(jwt: string, tokenUse: TokenUse, call: { nonce?: string; clientIds?: string[] }): Promise<Record<string, unknown>> {
    if (typeof jwt !== 'string' || jwt.length === 0) throw new JwtInvalidError('token_malformed', 'token is empty');
    // Before hashing or parsing anything.
    if (jwt.length > MAX_TOKEN_LENGTH) throw new JwtInvalidError('token_too_large', `token exceeds ${MAX_TOKEN_LENGTH} bytes`);
    const nowSeconds = Math.floor(now() / 1000);
    const expectations: ClaimExpectations = {
      mode: o.mode,
      tokenUse,
      issuers: o.issuers,
      clientIds: call.clientIds ?? o.clientIds,
      audiences: o.audiences,
      clockSkewSeconds: o.clockSkewSeconds,
      nowSeconds,
      nonce: call.nonce,
    };

    if (cache) {
      const hit = await cache.get(jwt, nowSeconds);
      if (hit) {
        checkClaims(hit.claims, { ...expectations, headerTyp: hit.typ });
        return hit.claims;
      }
    }

    const { header, payload } = decodeCompactJws(jwt, o.algorithms);
    const key = await jwks.getKey(header.kid, header.alg);
    try {
      await compactVerify(jwt, key, { algorithms: [header.alg] });
    } catch (e) {
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw new JwtInvalidError('signature_invalid', 'token signature is invalid', { cause: e });
      }
      throw new JwtInvalidError('token_malformed', 'token could not be verified', { cause: e });
    }
    checkClaims(payload, { ...expectations, headerTyp: header.typ });

    const claims = deepFreeze(payload);
    if (cache) await cache.set(jwt, { claims, exp: payload.exp as number, typ: header.typ }, nowSeconds);
    return claims;
  }

  return {
    verifyIdToken: (jwt, call = {}) => verify(jwt, 'id', call),
    verifyAccessToken: (jwt, call = {}) => verify(jwt, 'access', { clientIds: call.clientIds }),
    stats: () => ({
      cacheHits: cache?.hits ?? 0,
      cacheMisses: cache?.misses ?? 0,
      cacheSize: cache?.size ?? 0,
      jwksFetches: jwks.fetchCount(),
    }),
    keysLoaded: () => jwks.ensureLoaded(),
  };
}
