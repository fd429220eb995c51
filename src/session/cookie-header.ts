/**
 * A small RFC 6265 `Cookie` parser and `Set-Cookie` serialiser.
 *
 * The parser never throws: browsers, proxies and attackers all send odd headers, and a bad pair must
 * only cost that pair. Values are kept raw (no percent-decoding): the gateway's own values are seals,
 * which are plain cookie-octets.
 */

export interface CookiePair {
  name: string;
  value: string;
}

// RFC 6265 §4.1.1 cookie-name is an RFC 7230 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 §4.1.1 cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash.
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

export function isCookieName(name: string): boolean {
  return TOKEN.test(name);
}

export function isCookieValue(value: string): boolean {
  return COOKIE_OCTETS.test(value);
}

/** Pairs in header order. Pairs without `=` or with an invalid name are skipped; DQUOTEs around a value are removed. */
export function parseCookieHeader(header: string | null | undefined): CookiePair[] {
  if (typeof header !== 'string' || header.length === 0) return [];
  const pairs: CookiePair[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (!isCookieName(name)) continue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    pairs.push({ name, value });
  }
  return pairs;
}

// The request core reads the same Cookie header in several places per request: each realm's session
// store (strip, detect, read), the login state, the CSRF check. The last parse is kept for all of
// them; comparing the header is a pointer comparison for the same string, a memcmp for an equal copy,
// and stops at the first differing character for another session's cookie.
let lastHeader: string | null | undefined;
let lastPairs: readonly CookiePair[] = Object.freeze([]);

/** `parseCookieHeader`, shared: the same array for the same header as the call before. Read-only. */
export function cookiePairsOf(header: string | null | undefined): readonly CookiePair[] {
  if (header !== lastHeader) {
    lastPairs = Object.freeze(parseCookieHeader(header));
    lastHeader = header;
  }
  return lastPairs;
}

/** The first value sent for `name` (browsers send the most specific cookie first), or undefined. */
export function firstCookie(pairs: readonly CookiePair[], name: string): string | undefined {
  for (const pair of pairs) if (pair.name === name) return pair.value;
  return undefined;
}

export type SameSite = 'lax' | 'strict' | 'none';

export interface SetCookieAttributes {
  maxAgeSeconds: number;
  path: string;
  domain?: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: SameSite;
}

const SAME_SITE: Record<SameSite, string> = { lax: 'Lax', strict: 'Strict', none: 'None' };
// RFC 6265 §4.1.1 av-octets for path/domain values: no CTLs and no semicolon.
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]+$/;

/** Serialises one `Set-Cookie` value. Throws on a name or value the header cannot carry (a bug, not input). */
export function serializeSetCookie(name: string, value: string, attrs: SetCookieAttributes): string {
  if (!isCookieName(name)) throw new TypeError(`invalid cookie name ${JSON.stringify(name)}`);
  if (!isCookieValue(value)) throw new TypeError(`cookie ${name}: value holds characters a cookie cannot carry`);
  if (!ATTRIBUTE_VALUE.test(attrs.path)) throw new TypeError(`cookie ${name}: invalid Path`);
  if (attrs.domain !== undefined && !ATTRIBUTE_VALUE.test(attrs.domain)) throw new TypeError(`cookie ${name}: invalid Domain`);
  const maxAge = Math.max(0, Math.floor(attrs.maxAgeSeconds));
  const parts = [`${name}=${value}`, `Max-Age=${maxAge}`];
  // Expires as well for the rare client that ignores Max-Age; only needed for deletion.
  if (maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (attrs.domain !== undefined) parts.push(`Domain=${attrs.domain}`);
  parts.push(`Path=${attrs.path}`);
  if (attrs.secure) parts.push('Secure');
  if (attrs.httpOnly) parts.push('HttpOnly');
  parts.push(`SameSite=${SAME_SITE[attrs.sameSite]}`);
  return parts.join('; ');
}
