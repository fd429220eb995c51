/**
 * Small crypto helpers on Web Crypto (Node and workerd alike).
 */

const encoder = new TextEncoder();

/** Base64url without padding (RFC 4648 §5), as used by OAuth `state`, PKCE and cookie ids. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh random value of `bytes` bytes, base64url encoded (32 bytes => 43 characters). */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 65536) {
    throw new RangeError(`randomToken: bytes must be an integer from 1 to 65536, got ${bytes}`);
  }
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** SHA-256 of the UTF-8 bytes of `input`, base64url encoded (the PKCE S256 transform). */
export async function sha256Base64url(input: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(input));
  return base64url(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ.
 * A length mismatch still walks the longer string so the answer is not returned early.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.max(left.length, right.length);
  let diff = left.length ^ right.length;
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}
