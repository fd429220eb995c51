/**
 * Choosing and importing the verification key for a token from a JWK set. Pure except the import.
 * Rules (RFC 7517 / RFC 7518 and aws-jwt-verify's): match on `kid`; skip keys whose `use` is not
 * `sig`; a key's `alg`, when set, must equal the token's; the key type must fit the algorithm; only the
 * public members are ever imported.
 */
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import { JwtInvalidError } from './errors';

/** Asymmetric JWS algorithms the verifier can be configured to accept. HS* and `none` never. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Whether a JWK's type (and curve) can carry signatures of `alg`. */
export function keyFitsAlgorithm(jwk: JWK, alg: string): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  const curve = EC_CURVES[alg];
  if (curve) return jwk.kty === 'EC' && jwk.crv === curve;
  if (alg === 'EdDSA' || alg === 'Ed25519') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  return false;
}

/** The public members of a JWK, so a published private key can never be used as such. */
export function publicMembers(jwk: JWK): JWK {
  switch (jwk.kty) {
    case 'RSA':
      return { kty: 'RSA', n: jwk.n, e: jwk.e };
    case 'EC':
      return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
    case 'OKP':
      return { kty: 'OKP', crv: jwk.crv, x: jwk.x };
    default:
      return { kty: jwk.kty };
  }
}

/**
 * The signing key for (`kid`, `alg`), or undefined when the set has no signing key with that kid.
 * Throws `alg_not_allowed` when the kid exists but its key cannot verify `alg` (algorithm confusion).
 */
export function selectJwk(keys: readonly JWK[], kid: string, alg: string): JWK | undefined {
  const sameKid = keys.filter((k) => k.kid === kid && (k.use === undefined || k.use === 'sig'));
  if (sameKid.length === 0) return undefined;
  const match = sameKid.find((k) => (k.alg === undefined || k.alg === alg) && keyFitsAlgorithm(k, alg));
  if (!match) throw new JwtInvalidError('alg_not_allowed', 'token alg does not match its signing key');
  return match;
}

/** Imports the public part of `jwk` for verifying `alg` signatures. */
export async function importVerificationKey(jwk: JWK, alg: string): Promise<CryptoKey> {
  const key = await importJWK(publicMembers(jwk), alg, { extractable: false });
  if (key instanceof Uint8Array) throw new TypeError('symmetric keys cannot verify tokens');
  return key;
}
