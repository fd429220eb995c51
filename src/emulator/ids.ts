import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Identifiers and opaque values shaped like Cognito's. */

export const newUuid = (): string => randomUUID();

/** A UUID-shaped value derived from stable input, so seeded users keep their `sub` across restarts. */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** App client ids: 26 lowercase letters and digits. */
export const newClientId = (): string => randomFrom(LOWER_ALNUM, 26);
/** App client secrets: 51 lowercase letters and digits. */
export const newClientSecret = (): string => randomFrom(LOWER_ALNUM, 51);

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Cognito's temporary passwords satisfy the default policy (upper, lower, digit, symbol). */
export const newTemporaryPassword = (): string => `Tmp-${randomToken(9)}1a!`;

const JWE_HEADER = Buffer.from('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').toString('base64url');

/**
 * Refresh tokens: opaque values shaped (and sized, ~1.8 KB) like Cognito's encrypted JWE refresh
 * tokens, so cookie-size limits show up as they would against AWS. Nothing can be read from them.
 */
export function newRefreshToken(): string {
  return [JWE_HEADER, randomToken(256), randomToken(12), randomToken(1000), randomToken(16)].join('.');
}
