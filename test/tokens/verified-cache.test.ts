/**
 * The verified-token cache: a hot token verified once; a hit still checks token use, client and the
 * clock; entries kept until exp and never beyond; bounded (LRU); rejected tokens never cached; can be
 * turned off; shared through a SharedCache keyed by token hash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySharedCache, createTokenVerifier, JwtInvalidError } from '../../src/tokens';
import type { VerifierOptions } from '../../src/tokens';
import { accessClaims, CLIENT, idClaims, ISSUER, makeRsaKey, manualClock, mint, OTHER_CLIENT, startJwksServer } from './helpers';
import type { IssuerKey, JwksServer } from './helpers';

let key: IssuerKey;
let server: JwksServer;
beforeAll(async () => {
  key = await makeRsaKey('k1');
  server = await startJwksServer([key.publicJwk]);
});
afterAll(() => server.close());

function make(extra: Partial<VerifierOptions> = {}) {
  const clock = manualClock(1_800_000_000_000);
  const verifier = createTokenVerifier({ mode: 'cognito', issuers: [ISSUER], jwksUri: server.url, clientIds: [CLIENT], now: clock.now, ...extra });
  return { clock, verifier };
}
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof JwtInvalidError ? e.code : String(e)),
  );

describe('verified-token cache', () => {
  it('verifies a hot token once and serves the rest from the cache', async () => {
    const { clock, verifier } = make();
    const jwt = await mint(key, accessClaims(clock.seconds()));
    for (let i = 0; i < 5; i++) await expect(verifier.verifyAccessToken(jwt)).resolves.toMatchObject({ client_id: CLIENT });
    expect(verifier.stats()).toMatchObject({ cacheHits: 4, cacheMisses: 1, cacheSize: 1 });
  });

  it('a token that ends like a cached one is not served from the cache (the whole token must match)', async () => {
    const { clock, verifier } = make();
    const jwt = await mint(key, accessClaims(clock.seconds()));
    await verifier.verifyAccessToken(jwt);
    // Same signature, another payload: the look-up key (the token's end) is the same, the token is not.
    const [header, payload, signature] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
    expect(await code(verifier.verifyAccessToken(forged))).toBe('signature_invalid');
    await expect(verifier.verifyAccessToken(jwt)).resolves.toMatchObject({ client_id: CLIENT });
    expect(verifier.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 2, cacheSize: 1 });
  });

  it('a hit still checks token use, client and the clock', async () => {
    const { clock, verifier } = make();
    const jwt = await mint(key, accessClaims(clock.seconds(), { exp: clock.seconds() + 600 }));
    await verifier.verifyAccessToken(jwt);
    expect(await code(verifier.verifyIdToken(jwt))).toBe('token_use_mismatch');
    expect(await code(verifier.verifyAccessToken(jwt, { clientIds: [OTHER_CLIENT] }))).toBe('client_not_allowed');
    expect(verifier.stats().cacheHits).toBe(2);
    // Not yet expired by the skew, but the entry itself ends at exp.
    clock.advance(600_000);
    expect(await code(verifier.verifyAccessToken(jwt))).toBe('resolved');
    expect(verifier.stats()).toMatchObject({ cacheHits: 2, cacheMisses: 2, cacheSize: 0 });
    clock.advance(61_000);
    expect(await code(verifier.verifyAccessToken(jwt))).toBe('token_expired');
  });

  it('keeps entries until exp and never beyond', async () => {
    const { clock, verifier } = make({ clockSkewSeconds: 0 });
    const jwt = await mint(key, idClaims(clock.seconds(), { exp: clock.seconds() + 100 }));
    await verifier.verifyIdToken(jwt);
    clock.advance(99_000);
    await verifier.verifyIdToken(jwt);
    expect(verifier.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 1 });
    clock.advance(1_000);
    expect(await code(verifier.verifyIdToken(jwt))).toBe('token_expired');
    expect(verifier.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 2, cacheSize: 0 });
  });

  it('is bounded (least recently used goes first)', async () => {
    const { clock, verifier } = make({ cache: { maxEntries: 3 } });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => mint(key, idClaims(clock.seconds()))));
    for (const t of tokens) await verifier.verifyIdToken(t);
    expect(verifier.stats()).toMatchObject({ cacheSize: 3, cacheMisses: 5 });
    await verifier.verifyIdToken(tokens[4]!);
    await verifier.verifyIdToken(tokens[0]!);
    expect(verifier.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 6, cacheSize: 3 });
  });

  it('never caches rejected tokens', async () => {
    const { clock, verifier } = make();
    const jwt = await mint(key, idClaims(clock.seconds(), { aud: OTHER_CLIENT }));
    expect(await code(verifier.verifyIdToken(jwt))).toBe('audience_mismatch');
    expect(await code(verifier.verifyIdToken(jwt))).toBe('audience_mismatch');
    expect(verifier.stats()).toMatchObject({ cacheHits: 0, cacheSize: 0 });
  });

  it('can be turned off', async () => {
    const { clock, verifier } = make({ cache: { enabled: false } });
    const jwt = await mint(key, idClaims(clock.seconds()));
    await verifier.verifyIdToken(jwt);
    await verifier.verifyIdToken(jwt);
    expect(verifier.stats()).toMatchObject({ cacheHits: 0, cacheMisses: 0, cacheSize: 0 });
  });

  it('shares verified entries through a SharedCache, keyed by token hash', async () => {
    const clock = manualClock(1_800_000_000_000);
    const shared = createMemorySharedCache({ now: clock.now });
    const opts = { mode: 'cognito' as const, issuers: [ISSUER], jwksUri: server.url, clientIds: [CLIENT], now: clock.now, sharedCache: shared };
    const a = createTokenVerifier(opts);
    const b = createTokenVerifier(opts);
    const jwt = await mint(key, idClaims(clock.seconds(), { exp: clock.seconds() + 120 }));
    await a.verifyIdToken(jwt);
    await expect(b.verifyIdToken(jwt)).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(b.stats()).toMatchObject({ cacheHits: 1, jwksFetches: 0 });
    expect(await code(b.verifyAccessToken(jwt))).toBe('token_use_mismatch');
    // The shared entry dies at exp too.
    clock.advance(120_000);
    const c = createTokenVerifier(opts);
    expect(await code(c.verifyIdToken(jwt))).toBe('resolved');
    expect(c.stats()).toMatchObject({ cacheHits: 0, cacheMisses: 1 });
  });
});
