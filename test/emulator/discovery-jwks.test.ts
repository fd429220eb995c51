/**
 * The emulator's discovery document and JWKS: what Cognito publishes, with endpoints on the hosted-UI
 * host, 404 for an unknown pool, reachable on localhost and 127.0.0.1; two RS256 keys (ID and access)
 * whose tokens pass aws-jwt-verify with claims shaped like Cognito's (incl. users without groups and
 * machine tokens); key rotation through the in-process and HTTP hooks (old kid published until
 * retired) and 503 while the JWKS is down.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { basic, claimsOf, headerOf, POOL, postForm, signIn } from './helpers';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(() => emu.close());

const jwks = async (): Promise<Jwks> => (await (await fetch(`${emu.issuer(POOL)}/.well-known/jwks.json`)).json()) as Jwks;

function verifierFor(keys: Jwks) {
  const verifier = JwtVerifier.create({
    issuer: emu.issuer(POOL),
    audience: null,
    jwksUri: `${emu.issuer(POOL)}/.well-known/jwks.json`,
  });
  verifier.cacheJwks(keys);
  return verifier;
}

describe('discovery', () => {
  it('publishes what Cognito publishes, with endpoints on the hosted-UI host', async () => {
    const res = await fetch(`${emu.issuer(POOL)}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    const ui = emu.hostedUiBase;
    expect(doc).toEqual({
      authorization_endpoint: `${ui}/oauth2/authorize`,
      end_session_endpoint: `${ui}/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
      issuer: `${emu.url}/${POOL}`,
      jwks_uri: `${emu.url}/${POOL}/.well-known/jwks.json`,
      response_types_supported: ['code', 'token'],
      revocation_endpoint: `${ui}/oauth2/revoke`,
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint: `${ui}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      userinfo_endpoint: `${ui}/oauth2/userInfo`,
    });
    expect(doc).not.toHaveProperty('code_challenge_methods_supported');
    expect(new URL(ui).host).not.toBe(new URL(emu.url).host);
  });

  it('answers 404 for an unknown pool', async () => {
    const res = await fetch(`${emu.url}/us-east-1_Nope/.well-known/openid-configuration`);
    expect(res.status).toBe(404);
  });

  it('is reachable through http://localhost as well as 127.0.0.1', async () => {
    const res = await fetch(`${emu.hostedUiBase}/${POOL}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
  });
});

describe('tokens against aws-jwt-verify', () => {
  it('publishes two RS256 keys, one for ID tokens and one for access tokens', async () => {
    const keys = await jwks();
    expect(keys.keys).toHaveLength(2);
    for (const k of keys.keys) expect(k).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig', e: 'AQAB' });
    const tokens = await signIn(emu, 'alice');
    const idKid = headerOf(tokens.id_token!).kid;
    const accessKid = headerOf(tokens.access_token).kid;
    expect(idKid).not.toBe(accessKid);
    expect(keys.keys.map((k) => k.kid).sort()).toEqual([idKid, accessKid].sort());
    expect(headerOf(tokens.id_token!)).toEqual({ kid: idKid, alg: 'RS256' });
  });

  it('ID and access tokens pass JwtVerifier and validateCognitoJwtFields', async () => {
    const tokens = await signIn(emu, 'alice', { nonce: 'n-0S6_WzA2Mj' });
    const verifier = verifierFor(await jwks());
    const id = await verifier.verify(tokens.id_token!, { audience: 'demo-gateway' });
    validateCognitoJwtFields(id, { tokenUse: 'id', clientId: 'demo-gateway', groups: 'admins' });
    const access = await verifier.verify(tokens.access_token, { audience: null });
    validateCognitoJwtFields(access, { tokenUse: 'access', clientId: 'demo-gateway', groups: ['staff'] });
    expect(() => validateCognitoJwtFields(access, { tokenUse: 'id', clientId: 'demo-gateway' })).toThrow();
    expect(() => validateCognitoJwtFields(id, { tokenUse: 'id', clientId: 'demo-spa' })).toThrow();
  });

  it('shapes claims like Cognito', async () => {
    const tokens = await signIn(emu, 'alice', { nonce: 'abc' });
    const id = claimsOf(tokens.id_token!);
    const access = claimsOf(tokens.access_token);
    expect(id).toMatchObject({
      aud: 'demo-gateway',
      iss: emu.issuer(POOL),
      token_use: 'id',
      'cognito:username': 'alice',
      'cognito:groups': ['admins', 'staff'],
      email: 'alice@example.com',
      email_verified: true,
      nonce: 'abc',
    });
    for (const c of ['sub', 'at_hash', 'origin_jti', 'event_id', 'jti', 'auth_time', 'iat', 'exp']) expect(id).toHaveProperty(c);
    expect(id).not.toHaveProperty('nbf');
    expect(access).toMatchObject({
      token_use: 'access',
      client_id: 'demo-gateway',
      username: 'alice',
      version: 2,
      scope: 'openid email profile',
      origin_jti: id.origin_jti,
      sub: id.sub,
    });
    expect(access).not.toHaveProperty('aud');
    expect(access).not.toHaveProperty('nbf');
    expect((id.exp as number) - (id.iat as number)).toBe(3600);
    // Refresh tokens are opaque, not readable JWTs.
    expect(tokens.refresh_token!.split('.')).toHaveLength(5);
  });

  it('carol has no cognito:groups claim and a string custom:tenant', async () => {
    const tokens = await signIn(emu, 'carol');
    const id = claimsOf(tokens.id_token!);
    expect(id).not.toHaveProperty('cognito:groups');
    expect(id['custom:tenant']).toBe('partner-co');
    expect(claimsOf(tokens.access_token)).not.toHaveProperty('cognito:groups');
  });

  it('machine tokens pass as access tokens with sub = client id', async () => {
    const res = await postForm(
      `${emu.hostedUiBase}/oauth2/token`,
      { grant_type: 'client_credentials' },
      {
        authorization: basic('demo-machine', 'demo-machine-secret'),
      },
    );
    expect(res.status).toBe(200);
    const token = res.json.access_token as string;
    const payload = await verifierFor(await jwks()).verify(token, { audience: null, scope: 'demo-api/read' });
    validateCognitoJwtFields(payload, { tokenUse: 'access', clientId: 'demo-machine' });
    expect(payload.sub).toBe('demo-machine');
    expect(payload).not.toHaveProperty('username');
    expect(payload).not.toHaveProperty('cognito:groups');
  });
});

describe('key rotation hooks', () => {
  it('rotates: new kid signs, old kid stays published until retired', async () => {
    const before = await signIn(emu, 'bob');
    const { newKid, oldKid } = emu.rotateKeys(POOL, 'access');
    expect(oldKid).toBe(headerOf(before.access_token).kid);
    const after = await signIn(emu, 'bob');
    expect(headerOf(after.access_token).kid).toBe(newKid);
    expect(headerOf(after.id_token!).kid).toBe(headerOf(before.id_token!).kid);
    let keys = await jwks();
    expect(keys.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    const verifier = verifierFor(keys);
    await verifier.verify(before.access_token, { audience: null });
    await verifier.verify(after.access_token, { audience: null });

    emu.retireKey(POOL, oldKid);
    keys = await jwks();
    expect(keys.keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(verifierFor(keys).verify(before.access_token, { audience: null })).rejects.toThrow();
  });

  it('the same hooks work over HTTP', async () => {
    const res = await fetch(`${emu.url}/_emulator/rotate-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ poolId: POOL, which: 'id' }),
    });
    expect(res.status).toBe(200);
    const { newKid, oldKid } = (await res.json()) as { newKid: string; oldKid: string };
    expect((await jwks()).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([newKid, oldKid]));
    const retire = await fetch(`${emu.url}/_emulator/retire-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ poolId: POOL, kid: oldKid }),
    });
    expect(retire.status).toBe(200);
    expect((await jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
    const unknown = await fetch(`${emu.url}/_emulator/retire-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ poolId: POOL, kid: 'nope' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('JWKS answers 503 while down', async () => {
    emu.setJwksAvailable(POOL, false);
    expect((await fetch(`${emu.issuer(POOL)}/.well-known/jwks.json`)).status).toBe(503);
    emu.setJwksAvailable(POOL, true);
    expect((await fetch(`${emu.issuer(POOL)}/.well-known/jwks.json`)).status).toBe(200);
  });
});
