/**
 * The signed identity assertion: verified by an independent jose verifier (claims, ES256 header,
 * ttl), public keys only in the JWKS, rejected when tampered, for another app or expired; key rotation
 * (newest signs, older stays verifiable while listed, then not); PKCS8 PEM and kid-less JWK keys;
 * reuse per identity and app for half the ttl (stubbed clock); machine identities; key-material and
 * ttl/issuer errors that name the fix; generateAssertionKey.
 */
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { identityFromClaims } from '../../src/identity';
import type { Identity } from '../../src/identity';
import { AssertionKeyError, createAssertionSigner, generateAssertionKey, TokenConfigError } from '../../src/tokens';
import type { AssertionSigner } from '../../src/tokens';
import { b64url, idClaims, manualClock } from './helpers';

const GATEWAY = 'https://gateway.example';
const alice: Identity = identityFromClaims(idClaims(1_800_000_000) as Record<string, unknown>, 'session');

/** The few lines an upstream needs: the gateway's JWKS, its issuer and the app id. */
function upstreamVerify(signer: AssertionSigner, jwt: string, audience = 'wiki', currentDate?: Date) {
  return jwtVerify(jwt, createLocalJWKSet(signer.publicJwks()), { issuer: GATEWAY, audience, algorithms: ['ES256'], currentDate });
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('signed identity assertion', () => {
  it('is verified by an independent jose verifier and carries the identity', async () => {
    const clock = manualClock();
    const signer = await createAssertionSigner({ issuer: GATEWAY, now: clock.now });
    expect(signer.ephemeral).toBe(true);
    const jwt = await signer.sign(alice, 'wiki');
    const { payload, protectedHeader } = await upstreamVerify(signer, jwt, 'wiki', new Date(clock.now()));
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: signer.kid, typ: 'JWT' });
    expect(payload).toMatchObject({ iss: GATEWAY, aud: 'wiki', sub: alice.sub, email: 'alice@example.com', username: 'alice', groups: ['admins'] });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.iat).toBe(clock.seconds());
    expect(typeof payload.jti).toBe('string');
  });

  it('publishes public keys only', async () => {
    const signer = await createAssertionSigner({ issuer: GATEWAY });
    const { keys } = signer.publicJwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: signer.kid, alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
    // Callers cannot alter what is published.
    keys[0]!.kid = 'changed';
    expect(signer.publicJwks().keys[0]!.kid).toBe(signer.kid);
  });

  it('is rejected after tampering, for another app, and after it expires', async () => {
    const clock = manualClock();
    const signer = await createAssertionSigner({ issuer: GATEWAY, now: clock.now });
    const jwt = await signer.sign(alice, 'wiki');
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${b64url(JSON.stringify({ ...claims, groups: ['admins', 'root'] }))}.${s}`;
    expect((await failure(upstreamVerify(signer, tampered, 'wiki', new Date(clock.now())))) as Error).toHaveProperty(
      'code',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    expect(await failure(upstreamVerify(signer, jwt, 'billing', new Date(clock.now())))).toHaveProperty('code', 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await failure(upstreamVerify(signer, jwt, 'wiki', new Date(clock.now() + 61_000)))).toHaveProperty('code', 'ERR_JWT_EXPIRED');
  });

  it('rotation: the newest key signs, every listed key is published', async () => {
    const [oldKey, newKey] = await Promise.all([generateAssertionKey(), generateAssertionKey()]);
    const before = await createAssertionSigner({ issuer: GATEWAY, keys: [oldKey] });
    const oldAssertion = await before.sign(alice, 'wiki');
    const after = await createAssertionSigner({ issuer: GATEWAY, keys: [newKey, oldKey] });
    expect(after.ephemeral).toBe(false);
    const kids = after.publicJwks().keys.map((k) => k.kid);
    expect(kids).toEqual([JSON.parse(newKey).kid, JSON.parse(oldKey).kid]);
    const fresh = await after.sign(alice, 'wiki');
    expect(decodeProtectedHeader(fresh).kid).toBe(JSON.parse(newKey).kid);
    await expect(upstreamVerify(after, fresh)).resolves.toMatchObject({
      protectedHeader: { kid: JSON.parse(newKey).kid },
      payload: { sub: alice.sub, aud: 'wiki' },
    });
    // Assertions signed before the rotation stay verifiable while the old key is listed.
    await expect(upstreamVerify(after, oldAssertion)).resolves.toMatchObject({
      protectedHeader: { kid: JSON.parse(oldKey).kid },
      payload: { sub: alice.sub, aud: 'wiki' },
    });
    const dropped = await createAssertionSigner({ issuer: GATEWAY, keys: [newKey] });
    expect(await failure(upstreamVerify(dropped, oldAssertion))).toHaveProperty('code', 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('accepts a PKCS8 PEM and a JWK without kid (kid = RFC 7638 thumbprint)', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const jwk = JSON.stringify(await exportJWK(privateKey));
    const fromPem = await createAssertionSigner({ issuer: GATEWAY, keys: [pem] });
    const fromJwk = await createAssertionSigner({ issuer: GATEWAY, keys: [jwk] });
    expect(fromPem.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fromPem.kid).toBe(fromJwk.kid);
    await expect(upstreamVerify(fromJwk, await fromPem.sign(alice, 'wiki'))).resolves.toMatchObject({
      protectedHeader: { kid: fromJwk.kid },
      payload: { sub: alice.sub },
    });
  });

  it('reuses an assertion per identity and app for half its ttl', async () => {
    const clock = manualClock();
    const signer = await createAssertionSigner({ issuer: GATEWAY, now: clock.now, ttlSeconds: 60 });
    const first = await signer.sign(alice, 'wiki');
    expect(await signer.sign({ ...alice }, 'wiki')).toBe(first);
    expect(await signer.sign(alice, 'billing')).not.toBe(first);
    expect(await signer.sign({ ...alice, groups: ['admins', 'finance'] }, 'wiki')).not.toBe(first);
    clock.advance(29_999);
    expect(await signer.sign(alice, 'wiki')).toBe(first);
    clock.advance(1);
    const renewed = await signer.sign(alice, 'wiki');
    expect(renewed).not.toBe(first);
    await expect(upstreamVerify(signer, renewed, 'wiki', new Date(clock.now()))).resolves.toMatchObject({ payload: { sub: alice.sub, iat: clock.seconds() } });
  });

  it('reuse remembered on a frozen identity (one per session) keeps audience, user and window right', async () => {
    const clock = manualClock();
    const signer = await createAssertionSigner({ issuer: GATEWAY, now: clock.now, ttlSeconds: 60 });
    const frozenAlice = Object.freeze({ ...alice });
    const frozenBob = Object.freeze({ ...alice, sub: 'bob-sub', username: 'bob' });
    const wiki = await signer.sign(frozenAlice, 'wiki');
    const billing = await signer.sign(frozenAlice, 'billing');
    expect(billing).not.toBe(wiki);
    // Alternating apps: each answer is for the app asked about.
    expect(await signer.sign(frozenAlice, 'wiki')).toBe(wiki);
    await expect(upstreamVerify(signer, await signer.sign(frozenAlice, 'billing'), 'billing', new Date(clock.now()))).resolves.toMatchObject({
      payload: { aud: 'billing', sub: alice.sub },
    });
    const bob = await signer.sign(frozenBob, 'wiki');
    expect(bob).not.toBe(wiki);
    await expect(upstreamVerify(signer, bob, 'wiki', new Date(clock.now()))).resolves.toMatchObject({ payload: { sub: 'bob-sub', username: 'bob' } });
    clock.advance(29_999);
    expect(await signer.sign(frozenAlice, 'wiki')).toBe(await signer.sign({ ...alice }, 'wiki'));
    clock.advance(1);
    const renewed = await signer.sign(frozenAlice, 'wiki');
    expect(renewed).not.toBe(wiki);
    expect(await signer.sign({ ...alice }, 'wiki')).toBe(renewed);
  });

  it('reusable answers, without signing, only what sign would answer at once for that frozen identity and app', async () => {
    const clock = manualClock();
    const signer = await createAssertionSigner({ issuer: GATEWAY, now: clock.now, ttlSeconds: 60 });
    const frozenAlice = Object.freeze({ ...alice });
    expect(signer.reusable(frozenAlice, 'wiki')).toBeUndefined();
    const wiki = await signer.sign(frozenAlice, 'wiki');
    expect(signer.reusable(frozenAlice, 'wiki')).toBe(wiki);
    expect(signer.reusable(frozenAlice, 'billing')).toBeUndefined();
    // An unfrozen copy has no memo of its own (sign would look it up in the LRU).
    expect(signer.reusable({ ...alice }, 'wiki')).toBeUndefined();
    clock.advance(29_999);
    expect(signer.reusable(frozenAlice, 'wiki')).toBe(wiki);
    clock.advance(1);
    expect(signer.reusable(frozenAlice, 'wiki')).toBeUndefined();
    const noReuse = await createAssertionSigner({ issuer: GATEWAY, cacheMaxEntries: 0 });
    await noReuse.sign(frozenAlice, 'wiki');
    expect(noReuse.reusable(frozenAlice, 'wiki')).toBeUndefined();
  });

  it('with cacheMaxEntries 0 every request is signed, frozen identity or not', async () => {
    const signer = await createAssertionSigner({ issuer: GATEWAY, cacheMaxEntries: 0 });
    const frozenAlice = Object.freeze({ ...alice });
    expect(await signer.sign(frozenAlice, 'wiki')).not.toBe(await signer.sign(frozenAlice, 'wiki'));
  });

  it('signs machine identities (no email, no username)', async () => {
    const machine = identityFromClaims({ sub: 'demo-machine', client_id: 'demo-machine', token_use: 'access', iss: 'x', scope: 'a/b' }, 'bearer');
    const signer = await createAssertionSigner({ issuer: GATEWAY });
    const { payload } = await upstreamVerify(signer, await signer.sign(machine, 'wiki'));
    expect(payload).toMatchObject({ sub: 'demo-machine', groups: [] });
    expect(payload).not.toHaveProperty('email');
    expect(payload).not.toHaveProperty('username');
  });
});

describe('assertion key material', () => {
  const rejectsWith = async (keys: string[], index: number, pattern: RegExp) => {
    const err = await failure(createAssertionSigner({ issuer: GATEWAY, keys }));
    expect(err).toBeInstanceOf(AssertionKeyError);
    expect((err as AssertionKeyError).index).toBe(index);
    expect((err as AssertionKeyError).key).toBe(`assertion.keys[${index}]`);
    expect((err as Error).message).toMatch(pattern);
  };

  it('names what is wrong', async () => {
    const good = await generateAssertionKey();
    const rsa = JSON.stringify(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey));
    const p384 = JSON.stringify(await exportJWK((await generateKeyPair('ES384', { extractable: true })).privateKey));
    const { d: _d, ...publicOnly } = JSON.parse(good);
    const other = JSON.parse(await generateAssertionKey());
    const mismatched = JSON.stringify({ ...JSON.parse(good), d: other.d });
    await rejectsWith([good, rsa], 1, /RSA.*EC P-256/);
    await rejectsWith([p384], 0, /P-384.*EC P-256/);
    await rejectsWith([JSON.stringify(publicOnly)], 0, /private/);
    await rejectsWith([mismatched], 0, /"d" (belongs to|does not match)/);
    await rejectsWith(['hello'], 0, /neither a JWK/);
    await rejectsWith(['{"kty":'], 0, /does not parse/);
    await rejectsWith(['-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----'], 0, /openssl pkcs8/);
    await rejectsWith(['-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----'], 0, /public key/);
    await rejectsWith([good, good], 1, /repeats kid/);
    const rsaPem = await exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey);
    await rejectsWith([rsaPem], 0, /not an EC P-256/);
  });

  it('refuses a ttl above 300 s and an empty issuer', async () => {
    const ttl = await failure(createAssertionSigner({ issuer: GATEWAY, ttlSeconds: 600 }));
    expect(ttl).toBeInstanceOf(TokenConfigError);
    expect((ttl as TokenConfigError).key).toBe('assertion.ttl');
    expect((await failure(createAssertionSigner({ issuer: '' }))) as TokenConfigError).toHaveProperty('key', 'assertion.issuer');
    const longest = await createAssertionSigner({ issuer: GATEWAY, ttlSeconds: 300, now: () => 1_800_000_000_000 });
    const { payload } = await upstreamVerify(longest, await longest.sign(alice, 'wiki'), 'wiki', new Date(1_800_000_000_000));
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('generateAssertionKey returns a private ES256 JWK with a kid', async () => {
    const jwk = JSON.parse(await generateAssertionKey());
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof jwk.d).toBe('string');
    expect(jwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
