/**
 * The signed identity assertion: a short-lived ES256 JWT the gateway adds to every proxied request so
 * the upstream can check, on its own, who the user is and that the request came through the gateway.
 * Claims: iss (gateway), aud (app id), sub, email, groups, username, iat, exp, jti, and the
 * identity claims listed in `assertion.claims` under their own names; header kid, typ JWT.
 * The first configured key signs; all are published (keep a retired key listed until its last
 * assertion has expired, i.e. one ttl after rotation).
 */
import { SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { Identity } from '../identity';
import { generateEphemeralAssertionKey, loadAssertionKeys } from './assertion-keys';
import type { AssertionKey } from './assertion-keys';
import { TokenConfigError } from './errors';
import { Lru } from '../lru';

export interface AssertionSignerOptions {
  /** `iss` of every assertion: the gateway's public URL or name. */
  issuer: string;
  /** EC P-256 private keys (JWK JSON or PKCS8 PEM), newest first. None: an ephemeral key is generated. */
  keys?: string[];
  /** Lifetime of an assertion. Default 60, at most 300. */
  ttlSeconds?: number;
  /** Signed assertions kept for reuse. Default 10_000; 0 signs on every request. */
  cacheMaxEntries?: number;
  /** Further claims of the identity to carry under their own names (`name`, `custom:tenant`, …). */
  claims?: readonly string[];
  /** Clock in milliseconds. */
  now?: () => number;
}

/** Claims the assertion sets itself; a configured claim of the same name is refused at load. */
export const ASSERTION_RESERVED_CLAIMS = ['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'groups', 'email', 'username'] as const;

export interface AssertionSigner {
  /** The assertion for `identity` to send to the app `audience` (reused for up to half its ttl). */
  sign(identity: Identity, audience: string): Promise<string>;
  /**
   * The assertion `sign` would answer at once for a frozen identity it signed for before (the same
   * audience, within the reuse window), or undefined: the request path then needs no await.
   */
  reusable(identity: Identity, audience: string): string | undefined;
  /** The public keys, for `/_auth/jwks`. */
  publicJwks(): { keys: JWK[] };
  /** True when no key was configured and an in-memory one was generated. */
  ephemeral: boolean;
  /** kid of the signing key. */
  kid: string;
}

export const ASSERTION_MAX_TTL_SECONDS = 300;

export async function createAssertionSigner(opts: AssertionSignerOptions): Promise<AssertionSigner> {
  if (typeof opts.issuer !== 'string' || opts.issuer.length === 0) {
    throw new TokenConfigError('assertion.issuer', 'set the gateway issuer (its public URL)');
  }
  const ttl = opts.ttlSeconds ?? 60;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > ASSERTION_MAX_TTL_SECONDS) {
    throw new TokenConfigError('assertion.ttl', `must be a whole number of seconds from 1 to ${ASSERTION_MAX_TTL_SECONDS} (got ${String(ttl)})`);
  }
  const now = opts.now ?? (() => Date.now());
  const configured = opts.keys && opts.keys.length > 0 ? await loadAssertionKeys(opts.keys) : [];
  const ephemeral = configured.length === 0;
  const keys: AssertionKey[] = ephemeral ? [await generateEphemeralAssertionKey()] : configured;
  const signing = keys[0]!;
  const published = keys.map((k) => k.publicJwk);
  // Reusing an assertion for half its ttl leaves the upstream at least ttl/2 to check it.
  const reuseMs = (ttl * 1000) / 2;
  const cache = new Lru<{ jwt: string; reuseUntil: number }>(opts.cacheMaxEntries ?? 10_000);
  const reuse = cache.maxEntries > 0;
  const extraClaims = (opts.claims ?? []).filter((c) => !(ASSERTION_RESERVED_CLAIMS as readonly string[]).includes(c));

  // What sign() worked out for a frozen Identity (one per session or token, see
  // src/gateway/authenticate.ts), remembered on it: the last assertion with the end of its reuse
  // (the same one the LRU holds, so eviction from the LRU never lets an assertion be reused longer).
  // Not the cache key (~250 characters per identity, one identity per cached session): it is made
  // again when the assertion is due, once per half ttl.
  interface Memo {
    audience: string;
    jwt?: string;
    reuseUntil: number;
  }
  const memos = new WeakMap<Identity, Memo>();
  function memoOf(identity: Identity, audience: string): Memo {
    const known = memos.get(identity);
    if (known !== undefined && known.audience === audience) return known;
    const memo: Memo = { audience, reuseUntil: 0 };
    if (Object.isFrozen(identity)) memos.set(identity, memo);
    return memo;
  }
  /** The LRU's key: a function of the identity and the audience only. */
  const cacheKeyOf = (identity: Identity, audience: string): string =>
    JSON.stringify([
      audience,
      identity.sub,
      identity.username ?? null,
      identity.email ?? null,
      identity.groups,
      extraClaims.map((c) => identity.claims[c] ?? null),
    ]);

  async function signFresh(identity: Identity, audience: string, nowMs: number): Promise<string> {
    const iat = Math.floor(nowMs / 1000);
    const claims: Record<string, unknown> = {};
    for (const name of extraClaims) if (identity.claims[name] !== undefined) claims[name] = identity.claims[name];
    claims.groups = [...identity.groups];
    if (identity.email !== undefined) claims.email = identity.email;
    if (identity.username !== undefined) claims.username = identity.username;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: signing.kid, typ: 'JWT' })
      .setIssuer(opts.issuer)
      .setAudience(audience)
      .setSubject(identity.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(crypto.randomUUID())
      .sign(signing.privateKey);
  }

  return {
    ephemeral,
    kid: signing.kid,
    publicJwks: () => ({ keys: published.map((k) => ({ ...k })) }),
    reusable(identity, audience) {
      const memo = reuse ? memos.get(identity) : undefined;
      return memo !== undefined && memo.audience === audience && memo.jwt !== undefined && now() < memo.reuseUntil ? memo.jwt : undefined;
    },
    async sign(identity, audience) {
      const nowMs = now();
      if (!reuse) return signFresh(identity, audience, nowMs);
      const memo = memoOf(identity, audience);
      if (memo.jwt !== undefined && nowMs < memo.reuseUntil) return memo.jwt;
      const key = cacheKeyOf(identity, audience);
      const hit = cache.get(key);
      if (hit && nowMs < hit.reuseUntil) {
        memo.jwt = hit.jwt;
        memo.reuseUntil = hit.reuseUntil;
        return hit.jwt;
      }
      const jwt = await signFresh(identity, audience, nowMs);
      memo.jwt = jwt;
      memo.reuseUntil = nowMs + reuseMs;
      cache.set(key, { jwt, reuseUntil: memo.reuseUntil });
      return jwt;
    },
  };
}
