/**
 * The token verifier: each forged or broken token (alg none, HS256 with the RSA key, jwk/jku headers,
 * wrong issuer, audience, token_use, expired, garbled, oversized …) gets its exact error code, and a
 * garbled token never reaches the JWKS endpoint; valid Cognito ID, user and machine access tokens,
 * extra issuers, clock skew, nonce and per-call clientIds; algorithm rules beyond the allow-list; oidc
 * mode (aud, azp, audiences, client_id); option validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { createTokenVerifier, JwtInvalidError, MAX_TOKEN_LENGTH, TokenConfigError } from '../../src/tokens';
import type { JwtInvalidCode, TokenVerifier } from '../../src/tokens';
import { accessClaims, b64url, CLIENT, EXTRA_ISSUER, idClaims, ISSUER, makeRsaKey, manualClock, mint, OTHER_CLIENT, startJwksServer } from './helpers';
import type { IssuerKey, JwksServer } from './helpers';

let idKey: IssuerKey;
let accessKey: IssuerKey;
let attacker: IssuerKey;
let server: JwksServer;
const clock = manualClock(1_800_000_000_000);
let verifier: TokenVerifier;

beforeAll(async () => {
  // Like a Cognito pool: two keys, ID and access tokens signed with different ones.
  [idKey, accessKey, attacker] = await Promise.all([makeRsaKey('id-key-1'), makeRsaKey('access-key-1'), makeRsaKey('id-key-1')]);
  server = await startJwksServer([idKey.publicJwk, accessKey.publicJwk]);
  verifier = createTokenVerifier({
    mode: 'cognito',
    issuers: [ISSUER, EXTRA_ISSUER],
    jwksUri: server.url,
    clientIds: [CLIENT],
    now: clock.now,
    cache: { enabled: false },
  });
});
afterAll(() => server.close());

async function expectCode(p: Promise<unknown>, code: JwtInvalidCode) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(JwtInvalidError);
  const e = err as JwtInvalidError;
  expect(e.code).toBe(code);
  expect(e.httpStatus).toBe(401);
  expect(e.error).toBe('invalid_token');
  // RFC 6750 error_description: printable ASCII without quote or backslash.
  expect(e.description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
}

type Case = { name: string; use: 'id' | 'access'; token: () => Promise<string>; code: JwtInvalidCode };
const now = () => clock.seconds();

const forged: Case[] = [
  { name: 'wrong signature (attacker key, our kid)', use: 'id', code: 'signature_invalid', token: () => mint(attacker, idClaims(now())) },
  {
    name: 'payload altered after signing',
    use: 'id',
    code: 'signature_invalid',
    token: async () => {
      const [h, , s] = (await mint(idKey, idClaims(now()))).split('.');
      return `${h}.${b64url(JSON.stringify(idClaims(now(), { 'cognito:groups': ['root'] })))}.${s}`;
    },
  },
  { name: 'unknown kid', use: 'id', code: 'kid_not_found', token: () => mint(idKey, idClaims(now()), { kid: 'no-such-kid' }) },
  {
    name: 'no kid',
    use: 'id',
    code: 'kid_not_found',
    token: () => new SignJWT(idClaims(now())).setProtectedHeader({ alg: 'RS256' }).sign(idKey.privateKey),
  },
  {
    name: 'alg none',
    use: 'id',
    code: 'alg_not_allowed',
    token: async () => `${b64url(JSON.stringify({ alg: 'none', kid: idKey.kid }))}.${b64url(JSON.stringify(idClaims(now())))}.`,
  },
  {
    name: 'HS256 keyed with the RSA public key as PEM',
    use: 'id',
    code: 'alg_not_allowed',
    token: () => new SignJWT(idClaims(now())).setProtectedHeader({ alg: 'HS256', kid: idKey.kid }).sign(new TextEncoder().encode(idKey.spkiPem)),
  },
  {
    name: 'HS256 keyed with the RSA public key as JWK JSON',
    use: 'id',
    code: 'alg_not_allowed',
    token: () =>
      new SignJWT(idClaims(now())).setProtectedHeader({ alg: 'HS256', kid: idKey.kid }).sign(new TextEncoder().encode(JSON.stringify(idKey.publicJwk))),
  },
  {
    name: 'embedded jwk header with the attacker key',
    use: 'id',
    code: 'header_not_allowed',
    token: () => mint(attacker, idClaims(now()), { jwk: attacker.publicJwk }),
  },
  { name: 'jku header', use: 'id', code: 'header_not_allowed', token: () => mint(attacker, idClaims(now()), { jku: 'https://evil.example/jwks.json' }) },
  { name: 'x5u header', use: 'id', code: 'header_not_allowed', token: () => mint(attacker, idClaims(now()), { x5u: 'https://evil.example/cert.pem' }) },
  { name: 'x5c header', use: 'id', code: 'header_not_allowed', token: () => mint(attacker, idClaims(now()), { x5c: ['MIIB'] }) },
  {
    name: 'crit header',
    use: 'id',
    code: 'header_not_allowed',
    token: async () => `${b64url(JSON.stringify({ alg: 'RS256', kid: idKey.kid, crit: ['exp'] }))}.${b64url(JSON.stringify(idClaims(now())))}.c2ln`,
  },
  { name: 'expired beyond the skew', use: 'id', code: 'token_expired', token: () => mint(idKey, idClaims(now(), { iat: now() - 3700, exp: now() - 61 })) },
  { name: 'nbf in the future', use: 'id', code: 'token_not_yet_valid', token: () => mint(idKey, idClaims(now(), { nbf: now() + 120 })) },
  { name: 'iat in the future', use: 'id', code: 'token_not_yet_valid', token: () => mint(idKey, idClaims(now(), { iat: now() + 120 })) },
  { name: 'exp missing', use: 'id', code: 'claim_invalid', token: () => mint(idKey, idClaims(now(), { exp: undefined })) },
  { name: 'exp not a number', use: 'id', code: 'claim_invalid', token: () => mint(idKey, idClaims(now(), { exp: String(now() + 60) })) },
  {
    name: 'wrong iss',
    use: 'id',
    code: 'issuer_mismatch',
    token: () => mint(idKey, idClaims(now(), { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' })),
  },
  { name: 'iss with a trailing slash', use: 'id', code: 'issuer_mismatch', token: () => mint(idKey, idClaims(now(), { iss: `${ISSUER}/` })) },
  { name: 'wrong aud on an ID token', use: 'id', code: 'audience_mismatch', token: () => mint(idKey, idClaims(now(), { aud: OTHER_CLIENT })) },
  {
    name: 'several audiences without azp',
    use: 'id',
    code: 'audience_mismatch',
    token: () => mint(idKey, idClaims(now(), { aud: [CLIENT, OTHER_CLIENT] })),
  },
  {
    name: 'access token of another client',
    use: 'access',
    code: 'client_not_allowed',
    token: () => mint(accessKey, accessClaims(now(), { client_id: OTHER_CLIENT })),
  },
  {
    name: 'access token with aud but no client_id',
    use: 'access',
    code: 'client_not_allowed',
    token: () => mint(accessKey, accessClaims(now(), { client_id: undefined, aud: CLIENT })),
  },
  { name: 'ID token used as access token', use: 'access', code: 'token_use_mismatch', token: () => mint(idKey, idClaims(now())) },
  { name: 'access token used as ID token', use: 'id', code: 'token_use_mismatch', token: () => mint(accessKey, accessClaims(now())) },
  { name: 'ID token without token_use', use: 'id', code: 'token_use_mismatch', token: () => mint(idKey, idClaims(now(), { token_use: undefined })) },
  {
    name: 'access token without token_use',
    use: 'access',
    code: 'token_use_mismatch',
    token: () => mint(accessKey, accessClaims(now(), { token_use: undefined })),
  },
  { name: 'sub missing', use: 'id', code: 'claim_invalid', token: () => mint(idKey, idClaims(now(), { sub: undefined })) },
  {
    name: 'truncated to two parts',
    use: 'id',
    code: 'token_malformed',
    token: async () => (await mint(idKey, idClaims(now()))).split('.').slice(0, 2).join('.'),
  },
  {
    name: 'truncated inside the payload',
    use: 'id',
    code: 'token_malformed',
    token: async () => {
      const [h, p] = (await mint(idKey, idClaims(now()))).split('.') as [string, string];
      return `${h}.${p.slice(0, 41)}`;
    },
  },
  {
    name: 'truncated signature',
    use: 'id',
    code: 'signature_invalid',
    token: async () => (await mint(idKey, idClaims(now()))).slice(0, -10),
  },
  { name: 'non-base64 header', use: 'id', code: 'token_malformed', token: async () => `ey!!.${b64url('{}')}.c2ln` },
  {
    name: 'standard base64 characters in the payload',
    use: 'id',
    code: 'token_malformed',
    token: async () => {
      const [h, p, s] = (await mint(idKey, idClaims(now()))).split('.') as [string, string, string];
      return `${h}.${p}+/.${s}`;
    },
  },
  {
    name: 'payload is a JSON array',
    use: 'id',
    code: 'token_malformed',
    token: async () => `${b64url(JSON.stringify({ alg: 'RS256', kid: 'id-key-1' }))}.${b64url('[1]')}.c2ln`,
  },
  { name: 'header is not JSON', use: 'id', code: 'token_malformed', token: async () => `${b64url('not json')}.${b64url('{}')}.c2ln` },
  { name: 'JWE (five parts)', use: 'id', code: 'token_malformed', token: async () => 'a.b.c.d.e' },
  { name: 'empty string', use: 'id', code: 'token_malformed', token: async () => '' },
  {
    name: `oversized (> ${MAX_TOKEN_LENGTH} bytes)`,
    use: 'id',
    code: 'token_too_large',
    token: () => mint(idKey, idClaims(now(), { padding: 'x'.repeat(MAX_TOKEN_LENGTH) })),
  },
  { name: 'oversized garbage', use: 'access', code: 'token_too_large', token: async () => 'A'.repeat(MAX_TOKEN_LENGTH + 1) },
];

describe('forged and broken tokens (cognito mode)', () => {
  it.each(forged)('$name -> $code', async ({ use, token, code }) => {
    const jwt = await token();
    await expectCode(use === 'id' ? verifier.verifyIdToken(jwt) : verifier.verifyAccessToken(jwt), code);
  });

  it('a garbled token never reaches the JWKS endpoint', async () => {
    const fresh = createTokenVerifier({ mode: 'cognito', issuers: [ISSUER], jwksUri: server.url, clientIds: [CLIENT], now: clock.now });
    const before = server.fetches;
    await expectCode(fresh.verifyIdToken('A'.repeat(MAX_TOKEN_LENGTH + 1)), 'token_too_large');
    await expectCode(fresh.verifyIdToken(`${b64url(JSON.stringify({ alg: 'none' }))}.${b64url('{}')}.`), 'alg_not_allowed');
    await expectCode(fresh.verifyIdToken(await mint(idKey, idClaims(now()), { jku: 'https://evil.example/k' })), 'header_not_allowed');
    expect(server.fetches).toBe(before);
  });
});

describe('valid tokens (cognito mode)', () => {
  it('accepts a Cognito ID token and returns its claims', async () => {
    const claims = await verifier.verifyIdToken(await mint(idKey, idClaims(now())));
    expect(claims).toMatchObject({ sub: 'b4c8-user-1', token_use: 'id', 'cognito:username': 'alice', aud: CLIENT });
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it('accepts a user access token and a machine (client_credentials) access token', async () => {
    await expect(verifier.verifyAccessToken(await mint(accessKey, accessClaims(now())))).resolves.toMatchObject({ client_id: CLIENT });
    const machine = { sub: CLIENT, iss: ISSUER, client_id: CLIENT, token_use: 'access', scope: 'demo-api/read', iat: now(), exp: now() + 3600, jti: 'j' };
    await expect(verifier.verifyAccessToken(await mint(accessKey, machine))).resolves.toMatchObject({ sub: CLIENT, scope: 'demo-api/read' });
  });

  it('accepts a configured extra issuer', async () => {
    await expect(verifier.verifyIdToken(await mint(idKey, idClaims(now(), { iss: EXTRA_ISSUER })))).resolves.toMatchObject({ iss: EXTRA_ISSUER });
  });

  it('honours the clock skew on exp, nbf and iat (60 s by default)', async () => {
    await expect(verifier.verifyIdToken(await mint(idKey, idClaims(now(), { iat: now() - 3630, exp: now() - 30 })))).resolves.toMatchObject({
      exp: now() - 30,
    });
    await expect(verifier.verifyIdToken(await mint(idKey, idClaims(now(), { nbf: now() + 30, iat: now() + 30 })))).resolves.toMatchObject({ nbf: now() + 30 });
    const strict = createTokenVerifier({ mode: 'cognito', issuers: [ISSUER], jwksUri: server.url, clientIds: [CLIENT], now: clock.now, clockSkewSeconds: 0 });
    await expectCode(strict.verifyIdToken(await mint(idKey, idClaims(now(), { exp: now() }))), 'token_expired');
    await expectCode(strict.verifyIdToken(await mint(idKey, idClaims(now(), { iat: now() + 1 }))), 'token_not_yet_valid');
  });

  it('checks the nonce when the caller passes one', async () => {
    const jwt = await mint(idKey, idClaims(now(), { nonce: 'n-123' }));
    await expect(verifier.verifyIdToken(jwt, { nonce: 'n-123' })).resolves.toMatchObject({ nonce: 'n-123' });
    await expectCode(verifier.verifyIdToken(jwt, { nonce: 'n-456' }), 'nonce_mismatch');
    await expect(verifier.verifyIdToken(jwt)).resolves.toMatchObject({ sub: 'b4c8-user-1', nonce: 'n-123' });
    await expectCode(verifier.verifyIdToken(await mint(idKey, idClaims(now())), { nonce: 'n-123' }), 'nonce_mismatch');
  });

  it('per-call clientIds replace the configured list', async () => {
    const other = await mint(accessKey, accessClaims(now(), { client_id: OTHER_CLIENT }));
    await expect(verifier.verifyAccessToken(other, { clientIds: [OTHER_CLIENT] })).resolves.toMatchObject({ client_id: OTHER_CLIENT });
    await expectCode(verifier.verifyAccessToken(await mint(accessKey, accessClaims(now())), { clientIds: [OTHER_CLIENT] }), 'client_not_allowed');
  });
});

describe('algorithm rules beyond the allow-list', () => {
  it("rejects a token whose alg differs from its JWK's alg", async () => {
    const rs384 = createTokenVerifier({
      mode: 'cognito',
      issuers: [ISSUER],
      jwksUri: server.url,
      clientIds: [CLIENT],
      now: clock.now,
      algorithms: ['RS256', 'RS384'],
    });
    // Same RSA key, other hash: the JWK says RS256, so an RS384 header must not be honoured.
    const sameKeyRs384 = (await importJWK(await exportJWK(idKey.privateKey), 'RS384')) as CryptoKey;
    const jwt = await new SignJWT(idClaims(now())).setProtectedHeader({ alg: 'RS384', kid: idKey.kid }).sign(sameKeyRs384);
    await expectCode(rs384.verifyIdToken(jwt), 'alg_not_allowed');
    await expect(rs384.verifyIdToken(await mint(idKey, idClaims(now())))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
  });

  it('rejects an EC signature offered for an RSA key id', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const es = createTokenVerifier({
      mode: 'cognito',
      issuers: [ISSUER],
      jwksUri: server.url,
      clientIds: [CLIENT],
      now: clock.now,
      algorithms: ['RS256', 'ES256'],
    });
    const jwt = await new SignJWT(idClaims(now())).setProtectedHeader({ alg: 'ES256', kid: idKey.kid }).sign(privateKey);
    await expectCode(es.verifyIdToken(jwt), 'alg_not_allowed');
  });

  it('never uses private members published in a JWKS', async () => {
    // A JWKS that (wrongly) publishes the private key still yields a verify-only public key.
    const leaked = await makeRsaKey('leaky');
    const priv = await exportJWK(leaked.privateKey);
    const s = await startJwksServer([{ ...priv, kid: 'leaky', alg: 'RS256', use: 'sig' }]);
    try {
      const v = createTokenVerifier({ mode: 'cognito', issuers: [ISSUER], jwksUri: s.url, clientIds: [CLIENT], now: clock.now });
      await expect(v.verifyIdToken(await mint(leaked, idClaims(now())))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    } finally {
      await s.close();
    }
  });
});

describe('oidc mode', () => {
  let oidc: TokenVerifier;
  beforeAll(() => {
    oidc = createTokenVerifier({
      mode: 'oidc',
      issuers: [ISSUER],
      jwksUri: server.url,
      clientIds: [CLIENT],
      audiences: ['https://api.example'],
      now: clock.now,
    });
  });
  const plainId = (extra: Record<string, unknown> = {}) => idClaims(now(), { token_use: undefined, ...extra });

  it('accepts an ID token without token_use, checked on aud', async () => {
    await expect(oidc.verifyIdToken(await mint(idKey, plainId()))).resolves.toMatchObject({ aud: CLIENT });
    await expectCode(oidc.verifyIdToken(await mint(idKey, plainId({ aud: OTHER_CLIENT }))), 'audience_mismatch');
  });

  it('with several audiences, requires azp naming an allowed client', async () => {
    await expect(oidc.verifyIdToken(await mint(idKey, plainId({ aud: [CLIENT, 'x'], azp: CLIENT })))).resolves.toMatchObject({
      aud: [CLIENT, 'x'],
      azp: CLIENT,
    });
    await expectCode(oidc.verifyIdToken(await mint(idKey, plainId({ aud: [CLIENT, 'x'] }))), 'audience_mismatch');
    await expectCode(oidc.verifyIdToken(await mint(idKey, plainId({ aud: [CLIENT, 'x'], azp: 'x' }))), 'audience_mismatch');
  });

  it('checks access tokens on the configured audiences and refuses them as ID tokens', async () => {
    const at = { sub: 'u', iss: ISSUER, aud: 'https://api.example', client_id: CLIENT, iat: now(), exp: now() + 300 };
    await expect(oidc.verifyAccessToken(await mint(accessKey, at, { typ: 'at+jwt' }))).resolves.toMatchObject({ aud: 'https://api.example' });
    await expectCode(oidc.verifyAccessToken(await mint(accessKey, { ...at, aud: 'https://other.example' })), 'audience_mismatch');
    await expectCode(oidc.verifyIdToken(await mint(accessKey, { ...at, aud: CLIENT }, { typ: 'at+jwt' })), 'token_use_mismatch');
    await expectCode(oidc.verifyAccessToken(await mint(idKey, plainId({ token_use: 'id' }))), 'token_use_mismatch');
  });

  it('without audiences, checks access tokens on client_id', async () => {
    const plain = createTokenVerifier({ mode: 'oidc', issuers: [ISSUER], jwksUri: server.url, clientIds: [CLIENT], now: clock.now });
    const at = { sub: 'u', iss: ISSUER, client_id: CLIENT, iat: now(), exp: now() + 300 };
    await expect(plain.verifyAccessToken(await mint(accessKey, at))).resolves.toMatchObject({ sub: 'u', client_id: CLIENT });
    await expectCode(plain.verifyAccessToken(await mint(accessKey, { ...at, client_id: OTHER_CLIENT })), 'client_not_allowed');
    await expectCode(plain.verifyAccessToken(await mint(idKey, plainId())), 'client_not_allowed');
  });
});

describe('options', () => {
  const base = { mode: 'cognito' as const, issuers: [ISSUER], jwksUri: 'https://x.example/jwks.json', clientIds: [CLIENT] };
  it.each([
    [{ algorithms: ['HS256'] }, 'algorithms'],
    [{ algorithms: ['none'] }, 'algorithms'],
    [{ issuers: [] }, 'issuers'],
    [{ clientIds: [] }, 'clientIds'],
    [{ jwksUri: 'not a url' }, 'jwksUri'],
    [{ jwksUri: 'file:///etc/passwd' }, 'jwksUri'],
    [{ clockSkewSeconds: -1 }, 'clockSkewSeconds'],
    [{ cache: { maxEntries: -5 } }, 'cache.maxEntries'],
  ] as const)('%o is refused naming %s', (bad, key) => {
    let err: unknown;
    try {
      createTokenVerifier({ ...base, ...(bad as object) } as Parameters<typeof createTokenVerifier>[0]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenConfigError);
    expect((err as TokenConfigError).key).toBe(key);
  });
});
