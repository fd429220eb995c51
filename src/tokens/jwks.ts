/**
 * The JWKS cache: the issuer's key set fetched lazily and kept. Refetches happen on an unknown `kid`,
 * or when the set is older than `maxAgeMs`, and never more than once per cool-down window (concurrent
 * requests share one fetch), so a flood of tokens with forged kids costs at most one fetch per window.
 * A failed refetch keeps the previous set: keys that were good stay usable while the endpoint is down.
 */
import type { JWK } from 'jose';
import { JwksUnavailableError, JwtInvalidError } from './errors';
import { importVerificationKey, selectJwk } from './jwk';
import type { SharedCache } from './shared-cache';

export interface JwksCacheOptions {
  jwksUri: string;
  /** Minimum time between two origin fetches. */
  cooldownMs: number;
  /** Abort a fetch (headers and body) after this long. */
  timeoutMs: number;
  /** Refresh a set this old on next use (a failed refresh keeps it). Also the shared-cache TTL. */
  maxAgeMs: number;
  fetch: typeof fetch;
  now: () => number;
  sharedCache?: SharedCache;
}

export interface JwksCache {
  /** The verification key for the token's `kid` and `alg`; fetches the set when needed. */
  getKey(kid: string | undefined, alg: string): Promise<CryptoKey>;
  /** Number of fetches made to the JWKS endpoint (not counting shared-cache reads). */
  fetchCount(): number;
  /** Whether a key set is held; without one, loads it (within the cool-down). Readiness asks this. */
  ensureLoaded(): Promise<boolean>;
}

/** Larger JWKS documents are refused (Cognito's is ~1 KB). */
const MAX_JWKS_BYTES = 256 * 1024;

/** Parses a JWKS document; throws on anything that is not a JSON object with a non-empty `keys` array. */
export function parseJwks(text: string): JWK[] {
  if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS document too large');
  const doc: unknown = JSON.parse(text);
  const keys = doc && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) throw new Error('JWKS document has no keys array');
  const usable = keys.filter((k): k is JWK => !!k && typeof k === 'object' && typeof (k as JWK).kty === 'string' && typeof (k as JWK).kid === 'string');
  if (usable.length === 0) throw new Error('JWKS document has no keys with kty and kid');
  return usable;
}

export function createJwksCache(opts: JwksCacheOptions): JwksCache {
  const sharedKey = `jwks:${opts.jwksUri}`;
  let keys: JWK[] | undefined;
  let loadedAt = 0;
  // Start of the last refresh for an unknown kid, or of the last failed fetch: the cool-down runs from
  // here. Successful first loads and max-age refreshes do not start it, so a key added just after the
  // first load is still picked up at once.
  let lastRefreshAt = Number.NEGATIVE_INFINITY;
  let lastFetchFailed = false;
  let fetches = 0;
  let inflight: Promise<void> | undefined;
  // Imported CryptoKeys by kid+alg for the current set; cleared when a new set is adopted.
  let imported = new Map<string, Promise<CryptoKey>>();

  const cooledDown = () => opts.now() - lastRefreshAt >= opts.cooldownMs;

  function adopt(next: JWK[]) {
    keys = next;
    loadedAt = opts.now();
    imported = new Map();
  }

  async function fetchOrigin(): Promise<string> {
    fetches++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('JWKS fetch timed out')), opts.timeoutMs);
    try {
      const res = await opts.fetch(opts.jwksUri, { headers: { accept: 'application/json' }, signal: controller.signal });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`JWKS endpoint answered ${res.status}`);
      }
      return await res.text();
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One refresh: the shared cache first (unless it may be as stale as ours), then the origin. Callers
   * only start one when the cool-down allows.
   */
  async function refresh(reason: 'initial' | 'unknown-kid' | 'max-age', kid?: string): Promise<void> {
    const startedAt = opts.now();
    if (reason === 'unknown-kid') lastRefreshAt = startedAt;
    if (opts.sharedCache && reason !== 'max-age') {
      const text = await opts.sharedCache.get(sharedKey).catch(() => undefined);
      if (text !== undefined) {
        try {
          const shared = parseJwks(text);
          if (reason === 'initial' || shared.some((k) => k.kid === kid)) {
            adopt(shared);
            return;
          }
        } catch {
          // A bad shared entry is ignored; the origin fetch below overwrites it.
        }
      }
    }
    try {
      const text = await fetchOrigin();
      adopt(parseJwks(text));
      lastFetchFailed = false;
      await opts.sharedCache?.put(sharedKey, text, Math.max(1, Math.floor(opts.maxAgeMs / 1000))).catch(() => {});
    } catch {
      lastFetchFailed = true;
      lastRefreshAt = startedAt;
    }
  }

  function coalescedRefresh(reason: 'initial' | 'unknown-kid' | 'max-age', kid?: string): Promise<void> {
    inflight ??= refresh(reason, kid).finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  function importKey(jwk: JWK, kid: string, alg: string): Promise<CryptoKey> {
    const id = `${kid}\u0000${alg}`;
    let p = imported.get(id);
    if (!p) {
      const map = imported;
      p = importVerificationKey(jwk, alg).catch((e: unknown) => {
        map.delete(id);
        throw new JwksUnavailableError('signing key could not be imported', { cause: e });
      });
      map.set(id, p);
    }
    return p;
  }

  return {
    fetchCount: () => fetches,
    async ensureLoaded() {
      if (!keys && (inflight || cooledDown())) await coalescedRefresh('initial');
      return keys !== undefined;
    },
    async getKey(kid, alg) {
      if (kid === undefined) throw new JwtInvalidError('kid_not_found', 'token has no kid');
      if (!keys) {
        if (inflight || cooledDown()) await coalescedRefresh('initial');
        if (!keys) throw new JwksUnavailableError();
      } else if (opts.now() - loadedAt >= opts.maxAgeMs && cooledDown()) {
        await coalescedRefresh('max-age');
      }
      let jwk = selectJwk(keys, kid, alg);
      if (!jwk) {
        if (inflight || cooledDown()) {
          await coalescedRefresh('unknown-kid', kid);
          jwk = selectJwk(keys, kid, alg);
        }
        if (!jwk) {
          // With the endpoint failing we cannot tell a forged kid from a new key: 503, not 401.
          if (lastFetchFailed) throw new JwksUnavailableError();
          throw new JwtInvalidError('kid_not_found', 'token kid is not a known signing key');
        }
      }
      return importKey(jwk, kid, alg);
    },
  };
}
