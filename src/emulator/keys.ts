import { createHash, generateKeyPair, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * A pool's RS256 signing keys. As in Cognito, ID tokens and access tokens are signed with different
 * keys; rotation adds a key and signs with it while the old one stays published until retired.
 */
export interface PublicJwk {
  alg: 'RS256';
  e: string;
  kid: string;
  kty: 'RSA';
  n: string;
  use: 'sig';
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

export type TokenKind = 'id' | 'access';

const generateRsa = promisify(generateKeyPair);

export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  return toSigningKey(privateKey, publicKey);
}

/** Synchronous variant for the rotation hook (its in-process signature is synchronous). */
export function createSigningKeySync(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return toSigningKey(privateKey, publicKey);
}

function toSigningKey(privateKey: KeyObject, publicKey: KeyObject): SigningKey {
  const exported = publicKey.export({ format: 'jwk' });
  const n = String(exported.n);
  const e = String(exported.e);
  // Cognito kids are 44-character base64 strings.
  const kid = createHash('sha256').update(n).digest('base64');
  return { kid, privateKey, publicKey, jwk: { alg: 'RS256', e, kid, kty: 'RSA', n, use: 'sig' } };
}

export class PoolKeys {
  private readonly published: SigningKey[];
  private current: Record<TokenKind, SigningKey>;
  jwksAvailable = true;

  private constructor(idKey: SigningKey, accessKey: SigningKey) {
    this.published = [idKey, accessKey];
    this.current = { id: idKey, access: accessKey };
  }

  static async create(): Promise<PoolKeys> {
    const [idKey, accessKey] = await Promise.all([createSigningKey(), createSigningKey()]);
    return new PoolKeys(idKey, accessKey);
  }

  /** For synchronous callers (the admin API's CreateUserPool). */
  static createSync(): PoolKeys {
    return new PoolKeys(createSigningKeySync(), createSigningKeySync());
  }

  signingKey(kind: TokenKind): SigningKey {
    return this.current[kind];
  }

  /** Publishes a pre-generated key and signs `kind` tokens with it from now on. */
  rotate(kind: TokenKind, next: SigningKey): { newKid: string; oldKid: string } {
    const oldKid = this.current[kind].kid;
    this.published.push(next);
    this.current[kind] = next;
    return { newKid: next.kid, oldKid };
  }

  /** Removes a key from the JWKS. Tokens it signed stop verifying; it can no longer sign. */
  retire(kid: string): boolean {
    const i = this.published.findIndex((k) => k.kid === kid);
    if (i < 0) return false;
    this.published.splice(i, 1);
    return true;
  }

  isPublished(kid: string): boolean {
    return this.published.some((k) => k.kid === kid);
  }

  find(kid: string): SigningKey | undefined {
    return this.published.find((k) => k.kid === kid);
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.published.map((k) => k.jwk) };
  }
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Signs claims as a compact RS256 JWT with Cognito's header (`kid` then `alg`, nothing else). */
export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ kid: key.kid, alg: 'RS256' }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

export type JwtCheck = { ok: true; claims: Record<string, unknown>; kid: string } | { ok: false; reason: string };

/** Verifies the signature of a JWT the emulator issued, against the pool's published keys. */
export function verifyJwt(keys: PoolKeys, jwt: string): JwtCheck {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a JWT' };
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (header.alg !== 'RS256' || typeof header.kid !== 'string') return { ok: false, reason: 'bad header' };
    const key = keys.find(header.kid);
    if (!key) return { ok: false, reason: 'unknown kid' };
    const good = verify('sha256', Buffer.from(`${h}.${p}`), key.publicKey, Buffer.from(s, 'base64url'));
    if (!good) return { ok: false, reason: 'bad signature' };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return { ok: false, reason: 'bad payload' };
    return { ok: true, claims: claims as Record<string, unknown>, kid: header.kid };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

/** Peeks at a JWT's payload without verifying it (to find the issuer's pool). */
export function peekClaims(jwt: string): Record<string, unknown> | undefined {
  const p = jwt.split('.')[1];
  if (!p) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
