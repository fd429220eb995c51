import * as oidc from 'openid-client';
import type { IdentityProvider } from './provider';
import { IdpUnavailableError, oauthErrorCode, toIdpError } from './provider';
import { sha256Base64url } from '../session';
import { keyFromSecret, openText, sealText, sharedOnce, SharedOnceTimeoutError, type SharedStore } from '../store';

/**
 * Refreshes tokens with single flight: every request that carries the same refresh token while a
 * refresh is under way waits for that one refresh, and for a short while afterwards still gets its
 * result. With refresh-token rotation the old token dies after a grace period, so a second refresh
 * with it (from a burst of parallel requests that all saw the old cookie) could fail and sign the
 * user out; sharing the one result avoids that.
 */
export interface RefreshResult {
  idToken?: string;
  accessToken: string;
  /** The rotated refresh token, or the old one when the IdP sent none (Cognito without rotation). */
  refreshToken: string;
  /** Seconds since epoch. */
  expiresAt: number;
  /** True when this caller joined a refresh another request had started. */
  shared?: boolean;
}

export class RefreshRejectedError extends Error {
  constructor(readonly error: string) {
    super(`the identity provider refused the refresh token (${error})`);
    this.name = 'RefreshRejectedError';
  }
}

export interface Refresher {
  refresh(refreshToken: string): Promise<RefreshResult>;
}

export function createRefresher(opts: {
  provider: IdentityProvider;
  now?: () => number;
  /** How long a finished refresh is reused for requests still carrying the old token (ms). */
  reuseMs?: number;
  maxEntries?: number;
  /**
   * A shared store (Redis, a Durable Object): one refresh per refresh token across every instance
   * (a short lock; the others wait for its result, sealed with a key only holders of the old
   * refresh token can derive). Without one, single flight is per process.
   */
  store?: SharedStore;
  /** How long an instance waits for another's refresh (ms). */
  waitMs?: number;
}): Refresher {
  const now = opts.now ?? Date.now;
  const reuseMs = opts.reuseMs ?? 30_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const flights = new Map<string, { at: number; result: Promise<RefreshResult> }>();

  const run = async (refreshToken: string): Promise<RefreshResult> => {
    const config = await opts.provider.configuration();
    let res: oidc.TokenEndpointResponse;
    try {
      res = await oidc.refreshTokenGrant(config, refreshToken);
    } catch (e) {
      const code = oauthErrorCode(e);
      if (code) throw new RefreshRejectedError(code);
      throw toIdpError(e, 'token refresh');
    }
    const expiresIn = typeof res.expires_in === 'number' ? res.expires_in : 3600;
    return {
      idToken: res.id_token,
      accessToken: res.access_token,
      refreshToken: res.refresh_token ?? refreshToken,
      expiresAt: Math.floor(now() / 1000) + expiresIn,
    };
  };

  const runShared = async (store: SharedStore, key: string, refreshToken: string): Promise<RefreshResult> => {
    const seal = await resultSeal(refreshToken);
    try {
      const { value, shared } = await sharedOnce(
        store,
        'refresh',
        key,
        { lockMs: (opts.waitMs ?? 6000) + 2000, resultMs: reuseMs, waitMs: opts.waitMs ?? 6000, encode: seal.encode, decode: seal.decode },
        () => run(refreshToken),
      );
      return shared ? { ...(value as RefreshResult), shared: true } : (value as RefreshResult);
    } catch (e) {
      if (e instanceof SharedOnceTimeoutError) throw new IdpUnavailableError('token refresh (another instance holds the refresh lock)', true);
      throw e;
    }
  };

  return {
    async refresh(refreshToken) {
      const key = await sha256Base64url(refreshToken);
      const t = now();
      const hit = flights.get(key);
      if (hit && t - hit.at < reuseMs) return hit.result.then((r) => ({ ...r, shared: true }));
      if (flights.size >= maxEntries) {
        for (const [k, v] of flights) if (t - v.at >= reuseMs) flights.delete(k);
        if (flights.size >= maxEntries) flights.delete(flights.keys().next().value!);
      }
      const result = opts.store ? runShared(opts.store, key, refreshToken) : run(refreshToken);
      flights.set(key, { at: t, result });
      // A failure is not reused: the next request may find the IdP back.
      result.catch(() => flights.delete(key));
      return result;
    },
  };
}

/** AES-GCM with a key derived from the refresh token itself: the store never holds readable tokens. */
async function resultSeal(refreshToken: string) {
  const key = await keyFromSecret(`cognito-gateway refresh result\u0000${refreshToken}`);
  return {
    encode: (value: unknown) => sealText(key, JSON.stringify(value)),
    decode: async (text: string) => JSON.parse(await openText(key, text)) as unknown,
  };
}
