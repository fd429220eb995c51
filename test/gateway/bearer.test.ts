/**
 * Bearer tokens through the running gateway: forged and broken tokens get RFC 6750 answers with the
 * verifier's precise error, and the assertion the upstream receives verifies with an independent
 * jose verifier against /_auth/jwks.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { machineToken } from '../helpers/tokens';

let offset = 0;
const now = () => Date.now() + offset;
let stack: Stack;
let machine: string;
let alice: { id: string; access: string };

const b64 = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

const clientCredentials = (scope: string) => machineToken(stack.emulator.hostedUiBase, scope);

beforeAll(async () => {
  stack = await startStack({ now, emulatorNow: now });
  machine = await clientCredentials('demo-api/read');
  const auth = await fetch(`${stack.emulator.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminInitiateAuth' },
    body: JSON.stringify({
      UserPoolId: 'us-east-1_DemoPool1',
      ClientId: 'demo-gateway',
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice-Passw0rd!', SECRET_HASH: await secretHash('alice') },
    }),
  });
  const r = (await auth.json()) as { AuthenticationResult: { IdToken: string; AccessToken: string } };
  alice = { id: r.AuthenticationResult.IdToken, access: r.AuthenticationResult.AccessToken };
});
afterAll(() => stack?.close());

/** The classic key-confusion forgery: HMAC over the token with the pool's public key as secret. */
let hsWithPublicKey: string;
beforeAll(async () => {
  const kid = decodeProtectedHeader(machine).kid!;
  const jwks = (await (await fetch(`${stack.emulator.issuer('us-east-1_DemoPool1')}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  const pem = await exportSPKI((await importJWK(jwks.keys.find((k) => k.kid === kid)!, 'RS256')) as CryptoKey);
  const signingInput = `${b64({ alg: 'HS256', kid })}.${b64({ ...(decodeJwt(machine) as Record<string, unknown>) })}`;
  const hmac = await crypto.subtle.importKey('raw', new TextEncoder().encode(pem), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  hsWithPublicKey = `${signingInput}.${Buffer.from(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(signingInput))).toString('base64url')}`;
});

async function secretHash(username: string) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('demo-gateway-secret'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Buffer.from(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${username}demo-gateway`))).toString('base64');
}

async function call(token: string, path = '/api/items') {
  const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

describe('bearer tokens at the gateway', () => {
  it('accepts a machine token with the scope', async () => {
    expect((await call(machine)).status).toBe(200);
  });

  it.each([
    ['alg none', () => `${b64({ alg: 'none', kid: decodeProtectedHeader(machine).kid })}.${machine.split('.')[1]}.`, 'alg_not_allowed'],
    ['HS256 signed with the RSA public key (PEM) as the secret', () => hsWithPublicKey, 'alg_not_allowed'],
    [
      'an embedded jwk header',
      () => `${b64({ ...decodeProtectedHeader(machine), jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } })}.${machine.split('.')[1]}.${machine.split('.')[2]}`,
      'header_not_allowed',
    ],
    [
      'a jku header',
      () => `${b64({ ...decodeProtectedHeader(machine), jku: 'https://evil.example/jwks' })}.${machine.split('.')[1]}.${machine.split('.')[2]}`,
      'header_not_allowed',
    ],
    [
      'a changed payload (signature no longer matches)',
      () => `${machine.split('.')[0]}.${b64({ ...(decodeJwt(machine) as Record<string, unknown>), scope: 'demo-api/write' })}.${machine.split('.')[2]}`,
      'signature_invalid',
    ],
    ['an unknown kid', () => `${b64({ alg: 'RS256', kid: 'forged-kid' })}.${machine.split('.')[1]}.${machine.split('.')[2]}`, 'kid_not_found'],
    ['an ID token used as an access token', () => alice.id, 'token_use_mismatch'],
    ['a truncated token', () => machine.slice(0, 40), 'token_malformed'],
    ['a non-base64 token', () => 'not!base64.at!all.here', 'token_malformed'],
  ])('refuses %s with 401 invalid_token', async (_name, make, _code) => {
    const r = await call(make());
    expect(r.status).toBe(401);
    expect(r.challenge).toMatch(/^Bearer realm="demo", error="invalid_token", error_description="[^"]+"/);
    expect(r.body.error).toBe('invalid_token');
    // The verifier's precise code is logged with the request id, never the token.
    const line = stack.logs.findLast((l) => l.msg === 'request' && l.status === 401);
    expect(line?.reason).toBe(_code);
  });

  it('refuses an oversized token (> 16 KB) before parsing it, and a header beyond 32 KB at the HTTP layer', async () => {
    const r = await call(`${machine}${'A'.repeat(17_000)}`);
    expect(r.status).toBe(401);
    expect(stack.logs.findLast((l) => l.msg === 'request' && l.status === 401)?.reason).toBe('token_too_large');
    const huge = await fetch(`${stack.url}/api/items`, { headers: { authorization: `Bearer ${'A'.repeat(40_000)}` } });
    expect(huge.status).toBe(431);
  });

  it('refuses an expired token', async () => {
    const token = await clientCredentials('demo-api/read');
    offset += 2 * 3600 * 1000;
    try {
      const r = await call(token);
      expect(r.status).toBe(401);
      expect(stack.logs.findLast((l) => l.msg === 'request' && l.status === 401)?.reason).toBe('token_expired');
    } finally {
      offset = 0;
    }
  });

  it('accepts a user access token on a service route only with the right scope, else 403 insufficient_scope', async () => {
    const r = await call(alice.access);
    expect(r.status).toBe(403);
    expect(r.challenge).toMatch(/error="insufficient_scope"/);
  });
});

describe('the signed identity assertion', () => {
  it('verifies with jose against /_auth/jwks, names the app as audience, and fails when tampered', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const res = await b.request(`${stack.url}/x`, { headers: { accept: 'application/json' } });
    const assertion = ((await res.json()) as { headers: Record<string, string> }).headers['x-auth-assertion']!;
    const jwks = createRemoteJWKSet(new URL(`${stack.url}/_auth/jwks`));
    const { payload, protectedHeader } = await jwtVerify(assertion, jwks, { audience: 'demo', algorithms: ['ES256'] });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ username: 'alice', email: 'alice@example.com', groups: ['admins', 'staff'] });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
    const [h, p, s] = assertion.split('.');
    // The signed segment is exactly the payload jose verified; the forgery changes only that segment.
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'))).toEqual(payload);
    const forged = `${h}.${b64({ ...payload, groups: ['admins', 'root'] })}.${s}`;
    await expect(jwtVerify(forged, jwks, { audience: 'demo' })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    await expect(jwtVerify(assertion, jwks, { audience: 'partners' })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });
});
