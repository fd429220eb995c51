/**
 * Signing keys of the gateway's identity assertion: EC P-256 (ES256) private keys given as strings,
 * each a private JWK (JSON), a JWK set `{"keys":[...]}` (handy for one environment secret), or a PKCS8
 * PEM. Anything else fails with an AssertionKeyError that says what is wrong and how to fix it.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8 } from 'jose';
import type { JWK } from 'jose';
import { AssertionKeyError } from './errors';

export interface AssertionKey {
  kid: string;
  privateKey: CryptoKey;
  /** Public members plus kid, alg ES256, use sig: what `/_auth/jwks` publishes. */
  publicJwk: JWK;
}

const FIX_PEM = 'convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem`';

async function keyFromJwk(index: number, jwk: JWK): Promise<AssertionKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') {
    throw new AssertionKeyError(
      index,
      `is a ${String(jwk.kty)}${jwk.crv ? ` ${jwk.crv}` : ''} key; assertion keys must be EC P-256 (ES256). Generate one with generateAssertionKey()`,
    );
  }
  if (typeof jwk.d !== 'string') throw new AssertionKeyError(index, 'is a public key; the private JWK (with "d") is needed to sign');
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new AssertionKeyError(index, 'lacks the "x" and "y" members of an EC public key');
  if (jwk.alg !== undefined && jwk.alg !== 'ES256') throw new AssertionKeyError(index, `has alg ${jwk.alg}; it must be ES256 or absent`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new AssertionKeyError(index, `has use ${jwk.use}; it must be sig or absent`);
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, 'ES256', { extractable: false })) as CryptoKey;
  } catch (e) {
    // Node checks that d belongs to x/y here; other runtimes are caught by the probe below.
    throw new AssertionKeyError(
      index,
      `could not be imported as an EC P-256 private key; check that "d" belongs to "x" and "y" (${e instanceof Error ? e.message : 'invalid key'})`,
    );
  }
  const pub: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  const kid = typeof jwk.kid === 'string' && jwk.kid.length > 0 ? jwk.kid : await calculateJwkThumbprint(pub, 'sha256');
  const key: AssertionKey = { kid, privateKey, publicJwk: { ...pub, kid, alg: 'ES256', use: 'sig' } };
  await assertKeyPairMatches(index, key);
  return key;
}

/** Signs and verifies a probe so a JWK whose d does not belong to its x/y fails at start, not upstream. */
async function assertKeyPairMatches(index: number, key: AssertionKey): Promise<void> {
  const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const probe = new TextEncoder().encode('cognito-gateway assertion key probe');
  const publicKey = (await importJWK(key.publicJwk, 'ES256')) as CryptoKey;
  const signature = await crypto.subtle.sign(algorithm, key.privateKey, probe);
  if (!(await crypto.subtle.verify(algorithm, publicKey, signature, probe))) {
    throw new AssertionKeyError(index, 'has a private part ("d") that does not match its public part ("x", "y")');
  }
}

async function keyFromPem(index: number, pem: string): Promise<AssertionKey> {
  if (pem.includes('BEGIN EC PRIVATE KEY')) throw new AssertionKeyError(index, `is a SEC1 "EC PRIVATE KEY" PEM; PKCS8 is needed: ${FIX_PEM}`);
  if (pem.includes('BEGIN RSA PRIVATE KEY')) throw new AssertionKeyError(index, 'is an RSA key; assertion keys must be EC P-256 (ES256)');
  if (pem.includes('BEGIN ENCRYPTED PRIVATE KEY'))
    throw new AssertionKeyError(index, 'is an encrypted PKCS8 PEM; give the unencrypted key (from a secret store)');
  if (pem.includes('BEGIN PUBLIC KEY') || pem.includes('BEGIN CERTIFICATE'))
    throw new AssertionKeyError(index, 'is a public key or certificate; the private key is needed to sign');
  if (!pem.includes('BEGIN PRIVATE KEY')) throw new AssertionKeyError(index, 'is not a PKCS8 PEM ("-----BEGIN PRIVATE KEY-----")');
  let jwk: JWK;
  try {
    jwk = await exportJWK(await importPKCS8(pem, 'ES256', { extractable: true }));
  } catch {
    throw new AssertionKeyError(index, 'is not an EC P-256 PKCS8 private key (RSA or other curves are not accepted for ES256)');
  }
  return keyFromJwk(index, jwk);
}

/** Parses one configured key string; a JWK set yields several keys. */
export async function parseAssertionKey(index: number, text: string): Promise<AssertionKey[]> {
  if (typeof text !== 'string' || text.trim().length === 0) throw new AssertionKeyError(index, 'is empty');
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return [await keyFromPem(index, trimmed)];
  if (!trimmed.startsWith('{')) throw new AssertionKeyError(index, 'is neither a JWK (JSON object) nor a PKCS8 PEM');
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new AssertionKeyError(index, 'looks like JSON but does not parse; give a private JWK as one JSON object');
  }
  const obj = parsed as { keys?: unknown };
  if (Array.isArray(obj.keys)) {
    if (obj.keys.length === 0) throw new AssertionKeyError(index, 'is a JWK set without keys');
    return Promise.all(obj.keys.map((k) => keyFromJwk(index, k as JWK)));
  }
  return [await keyFromJwk(index, parsed as JWK)];
}

/** All configured keys, newest (the signer) first. Rejects duplicate kids. */
export async function loadAssertionKeys(texts: readonly string[]): Promise<AssertionKey[]> {
  const keys = (await Promise.all(texts.map((t, i) => parseAssertionKey(i, t)))).flat();
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k.kid)) throw new AssertionKeyError(i, `repeats kid ${k.kid}; each key needs its own kid`);
    seen.add(k.kid);
  });
  return keys;
}

/** A new EC P-256 private JWK as a JSON string, with kid (RFC 7638 thumbprint), alg ES256 and use sig. */
export async function generateAssertionKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }, 'sha256');
  return JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d, kid, alg: 'ES256', use: 'sig' });
}

/** An in-memory key for when none is configured (upstreams cannot pin it across restarts). */
export async function generateEphemeralAssertionKey(): Promise<AssertionKey> {
  return (await parseAssertionKey(0, await generateAssertionKey()))[0]!;
}
