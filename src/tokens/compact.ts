/**
 * Decoding of a compact JWS (RFC 7515 §7.1) before any key is touched: size limit, shape, base64url,
 * JSON, and the header rules that make key-confusion tricks fail early. Pure.
 */
import { JwtInvalidError } from './errors';

/** Tokens above this are rejected before parsing (Cognito's largest are ~2 KB; cookies cap at 4 KB). */
export const MAX_TOKEN_LENGTH = 16 * 1024;

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface DecodedJws {
  header: JwsHeader;
  payload: Record<string, unknown>;
}

/**
 * Header parameters that point at, or embed, a key. Honouring any of them lets the token choose its
 * own verification key, so a token that carries one is refused outright.
 */
const KEY_REFERENCE_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

const B64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(description: string, cause?: unknown): JwtInvalidError {
  return new JwtInvalidError('token_malformed', description, cause === undefined ? undefined : { cause });
}

/** Strict base64url (no padding, no `+` / `/`) to bytes. */
export function decodeBase64Url(part: string, what: string): Uint8Array {
  if (!B64URL.test(part) || part.length % 4 === 1) throw malformed(`token ${what} is not base64url`);
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (part.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch (e) {
    throw malformed(`token ${what} is not base64url`, e);
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64Url(part, what);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw malformed(`token ${what} is not valid JSON`, e);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(`token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Splits and decodes a compact JWS and applies the header rules:
 * size, three parts, base64url JSON header and payload, `alg` in the allow-list, no `crit`, no key
 * reference headers, a string `kid`, a non-empty signature. The signature itself is not checked here.
 */
export function decodeCompactJws(token: unknown, allowedAlgorithms: readonly string[]): DecodedJws {
  if (typeof token !== 'string' || token.length === 0) throw malformed('token is empty');
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new JwtInvalidError('token_too_large', `token exceeds ${MAX_TOKEN_LENGTH} bytes`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw malformed(parts.length === 5 ? 'encrypted tokens (JWE) are not accepted' : 'token must have three dot-separated parts');
  }
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJsonObject(h, 'header');

  const alg = header.alg;
  if (typeof alg !== 'string' || !allowedAlgorithms.includes(alg)) {
    throw new JwtInvalidError('alg_not_allowed', 'token alg is not allowed');
  }
  if ('crit' in header) throw new JwtInvalidError('header_not_allowed', 'token crit header is not supported');
  for (const name of KEY_REFERENCE_HEADERS) {
    if (name in header) throw new JwtInvalidError('header_not_allowed', `token ${name} header is not allowed`);
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') throw malformed('token kid is not a string');
  if (header.typ !== undefined && typeof header.typ !== 'string') throw malformed('token typ is not a string');

  const payload = decodeJsonObject(p, 'payload');
  if (s.length === 0) throw new JwtInvalidError('signature_invalid', 'token is not signed');
  // Validate the signature's encoding here so a garbled signature reads as malformed, not as forged.
  decodeBase64Url(s, 'signature');
  return { header: header as JwsHeader, payload };
}
