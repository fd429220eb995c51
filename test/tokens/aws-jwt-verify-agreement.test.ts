/**
 * The same Cognito-shaped tokens through our verifier and through awslabs' aws-jwt-verify (the
 * reference for Cognito's rules): both accept the valid ones and refuse the same misuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import { createTokenVerifier } from '../../src/tokens';
import type { TokenVerifier } from '../../src/tokens';
import { accessClaims, CLIENT, idClaims, ISSUER, makeRsaKey, mint, OTHER_CLIENT, startJwksServer } from './helpers';
import type { IssuerKey, JwksServer } from './helpers';

let idKey: IssuerKey;
let accessKey: IssuerKey;
let server: JwksServer;
let ours: TokenVerifier;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    () => 'rejected',
  );

beforeAll(async () => {
  [idKey, accessKey] = await Promise.all([makeRsaKey('id-key'), makeRsaKey('access-key')]);
  server = await startJwksServer([idKey.publicJwk, accessKey.publicJwk]);
  // Real clock: aws-jwt-verify reads Date.now().
  ours = createTokenVerifier({ mode: 'cognito', issuers: [ISSUER], jwksUri: server.url, clientIds: [CLIENT] });
});
afterAll(() => server.close());

function awsCognito(tokenUse: 'id' | 'access') {
  // ISSUER is the issuer Cognito uses for pool eu-west-1_TestPool1.
  const v = CognitoJwtVerifier.create({ userPoolId: 'eu-west-1_TestPool1', tokenUse, clientId: CLIENT, graceSeconds: 60 });
  v.cacheJwks({ keys: [idKey.publicJwk, accessKey.publicJwk] as never });
  return v;
}

describe('agreement with aws-jwt-verify', () => {
  it('both accept a valid Cognito ID token and access token', async () => {
    const id = await mint(idKey, idClaims(nowSeconds()));
    const access = await mint(accessKey, accessClaims(nowSeconds()));
    const theirsId = await awsCognito('id').verify(id);
    const theirsAccess = await awsCognito('access').verify(access);
    expect(await ours.verifyIdToken(id)).toEqual(theirsId);
    expect(await ours.verifyAccessToken(access)).toEqual(theirsAccess);

    const rsa = JwtRsaVerifier.create({ issuer: ISSUER, audience: CLIENT, jwksUri: server.url });
    rsa.cacheJwks({ keys: [idKey.publicJwk, accessKey.publicJwk] as never });
    expect(await rsa.verify(id)).toEqual(await ours.verifyIdToken(id));
  });

  it.each([
    ['ID token as access token', 'access', () => mint(idKey, idClaims(nowSeconds()))],
    ['access token as ID token', 'id', () => mint(accessKey, accessClaims(nowSeconds()))],
    ['access token of another client', 'access', () => mint(accessKey, accessClaims(nowSeconds(), { client_id: OTHER_CLIENT }))],
    ['ID token for another client', 'id', () => mint(idKey, idClaims(nowSeconds(), { aud: OTHER_CLIENT }))],
    ['expired beyond the grace', 'id', () => mint(idKey, idClaims(nowSeconds(), { exp: nowSeconds() - 120 }))],
    ['missing token_use', 'id', () => mint(idKey, idClaims(nowSeconds(), { token_use: undefined }))],
    ['wrong issuer', 'id', () => mint(idKey, idClaims(nowSeconds(), { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }))],
  ] as const)('both reject: %s', async (_name, use, token) => {
    const jwt = await token();
    const theirs = await outcome(awsCognito(use).verify(jwt));
    const mine = await outcome(use === 'id' ? ours.verifyIdToken(jwt) : ours.verifyAccessToken(jwt));
    expect([mine, theirs]).toEqual(['rejected', 'rejected']);
  });
});
