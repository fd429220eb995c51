/**
 * Test fixtures for the token verifier: RSA issuer keys made with jose, Cognito-shaped claims, and a
 * JWKS served over a real loopback HTTP server that counts fetches and can fail or hang on demand.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { JWK, JWTPayload } from 'jose';

export const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1';
export const EXTRA_ISSUER = 'https://issuer.cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1';
export const CLIENT = 'web-client-1';
export const OTHER_CLIENT = 'other-client-9';

export interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  spkiPem: string;
}

export async function makeRsaKey(kid: string, alg = 'RS256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' }, spkiPem: await exportSPKI(publicKey) };
}

export function idClaims(nowSeconds: number, extra: Record<string, unknown> = {}): JWTPayload {
  return {
    sub: 'b4c8-user-1',
    aud: CLIENT,
    iss: ISSUER,
    token_use: 'id',
    'cognito:username': 'alice',
    'cognito:groups': ['admins'],
    email: 'alice@example.com',
    email_verified: true,
    auth_time: nowSeconds,
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    jti: crypto.randomUUID(),
    ...extra,
  };
}

export function accessClaims(nowSeconds: number, extra: Record<string, unknown> = {}): JWTPayload {
  return {
    sub: 'b4c8-user-1',
    iss: ISSUER,
    client_id: CLIENT,
    token_use: 'access',
    scope: 'openid email',
    username: 'alice',
    'cognito:groups': ['admins'],
    version: 2,
    auth_time: nowSeconds,
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    jti: crypto.randomUUID(),
    ...extra,
  };
}

/** Signs claims as-is (no defaults added) with an RSA key; header overrides merge over {alg, kid}. */
export function mint(key: IssuerKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const alg = (header.alg as string | undefined) ?? 'RS256';
  return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, ...header }).sign(key.privateKey);
}

export const b64url = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

export type JwksMode = 'ok' | 'error' | 'hang';

export interface JwksServer {
  url: string;
  /** Requests received so far. */
  fetches: number;
  keys: JWK[];
  mode: JwksMode;
  /** Delay before answering in 'ok' mode. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const hanging: ServerResponse[] = [];
  const state: JwksServer = {
    url: '',
    fetches: 0,
    keys,
    mode: 'ok',
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.mode === 'hang') {
      hanging.push(res);
      return;
    }
    if (state.mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    const body = JSON.stringify({ keys: state.keys });
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(body), state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

/** A clock tests move by hand (milliseconds). */
export function manualClock(startMs = Date.now()) {
  let t = startMs;
  return {
    now: () => t,
    seconds: () => Math.floor(t / 1000),
    advance: (ms: number) => {
      t += ms;
    },
  };
}
