/**
 * Request path normalisation. The result is both what policies match and what the gateway forwards, so
 * the upstream can never see a path other than the one whose policy was evaluated.
 *
 * Ambiguous encodings that upstreams disagree about (`%2F`, `%5C`, `\`, `;` parameters, NUL and other
 * control characters) are refused with 400 instead of guessed at.
 */
export type NormalizedPath = { ok: true; path: string } | { ok: false; status: 400; reason: string };

const HEX = '0123456789ABCDEF';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
/** RFC 3986 unreserved: decoded wherever they appear as %XX. */
const isUnreserved = (code: number) =>
  (code >= 0x41 && code <= 0x5a) ||
  (code >= 0x61 && code <= 0x7a) ||
  (code >= 0x30 && code <= 0x39) ||
  code === 0x2d ||
  code === 0x2e ||
  code === 0x5f ||
  code === 0x7e;
/** Characters kept raw in a path segment (pchar minus `%` and `;`, plus `/`). */
const RAW_OK = /^[A-Za-z0-9\-._~!$&'()*+,=:@/]$/;

const bad = (reason: string): NormalizedPath => ({ ok: false, status: 400, reason });
const pct = (byte: number) => `%${HEX[byte >> 4]}${HEX[byte & 15]}`;

/**
 * Normalises the path of a request target as received on the wire (not yet decoded).
 * Query and fragment are cut off first: they never take part in matching. `%23`/`%3F` inside the path
 * are ordinary characters and stay encoded.
 */
export function normalizePath(raw: string): NormalizedPath {
  const cut = raw.search(/[?#]/);
  const target = cut < 0 ? raw : raw.slice(0, cut);
  if (target === '') return { ok: true, path: '/' };
  if (!target.startsWith('/')) return bad('the request path must start with "/"');
  // Most paths are already normal: only characters kept raw, no empty or dot segments. The loop and
  // removeDotSegments below would return them unchanged, so they are returned as they are.
  if (isPlainPath(target)) return { ok: true, path: target };

  let out = '';
  for (let i = 0; i < target.length; i++) {
    const c = target[i]!;
    const code = c.charCodeAt(0);
    if (c === '%') {
      const h1 = target[i + 1];
      const h2 = target[i + 2];
      if (!isHex(h1) || !isHex(h2)) return bad(`invalid percent-escape at offset ${i}`);
      const byte = parseInt(h1! + h2!, 16);
      if (byte === 0x2f) return bad('an encoded slash (%2F) in the path is ambiguous');
      if (byte === 0x5c) return bad('an encoded backslash (%5C) in the path is ambiguous');
      if (byte < 0x20 || byte === 0x7f) return bad('an encoded control character in the path');
      out += isUnreserved(byte) ? String.fromCharCode(byte) : pct(byte);
      i += 2;
    } else if (c === '\\') {
      return bad('a backslash in the path is ambiguous');
    } else if (c === ';') {
      return bad('";" path parameters are not accepted');
    } else if (code < 0x20 || code === 0x7f) {
      return bad('a control character in the path');
    } else if (RAW_OK.test(c)) {
      out += c;
    } else {
      // Space, quotes, non-ASCII...: percent-encode as UTF-8 so the forwarded path is a valid URI path.
      const cp = target.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      if (ch.length === 1 && cp >= 0xd800 && cp <= 0xdfff) return bad('an invalid character in the path');
      for (const b of new TextEncoder().encode(ch)) out += pct(b);
      i += ch.length - 1;
    }
  }
  return { ok: true, path: removeDotSegments(out) };
}

/** Characters kept raw in a path segment, by char code (RAW_OK as a table). */
const RAW_OK_CODE = new Uint8Array(128);
for (let code = 0; code < 128; code++) RAW_OK_CODE[code] = RAW_OK.test(String.fromCharCode(code)) ? 1 : 0;

/**
 * A path normalizePath leaves as it is: every character kept raw (no `%`, no character to encode),
 * and no `//` or `/.` (so no empty, `.` or `..` segment; a trailing slash is kept either way).
 */
function isPlainPath(target: string): boolean {
  let previous = 0;
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code >= 128 || RAW_OK_CODE[code] === 0) return false;
    if (previous === 0x2f && (code === 0x2f || code === 0x2e)) return false;
    previous = code;
  }
  return true;
}

/** Resolves `.`/`..` (clamped at the root) and drops empty segments; keeps a trailing slash. */
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '' || seg === '.') {
      trailingSlash = last;
    } else if (seg === '..') {
      out.pop();
      trailingSlash = last;
    } else {
      out.push(seg);
      trailingSlash = false;
    }
  }
  if (out.length === 0) return '/';
  return `/${out.join('/')}${trailingSlash ? '/' : ''}`;
}

/**
 * Segment-boundary prefix test on normalised paths: `/admin` covers `/admin`, `/admin/` and
 * `/admin/x`, never `/administrator`.
 */
export function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** Non-ASCII characters whose compatibility form is a dot, slash or backslash (fullwidth `．／＼`, `․`, `∕`, `⁄` …). */
function looksLikeSeparator(ch: string): boolean {
  // NFKC maps fullwidth and small forms; the slash-like math symbols it keeps are listed.
  return /[./\\]/.test(ch.normalize('NFKC')) || /[\u2044\u2215\u2216\u29f5\u29f8\u29f9]/.test(ch);
}

const ENCODED_DANGER = /%25(2e|2f|5c|[01][0-9a-f]|7f)/i;

/**
 * Spellings of a normalised path that some upstreams read as another path (IIS and Windows file
 * systems drop a trailing dot or space and read `::$DATA` as the file; a decoder that runs twice
 * turns `%252e` into `.`; lax UTF-8 decoders turn overlong `%C0%AE` into `.`; NFKC-normalising
 * frameworks turn `．` into `.`). Pure. Returns why, or an empty list.
 */
export function unusualSpellings(path: string): string[] {
  // The common case, a plain ASCII path without escapes, needs no decoding (normalised paths carry
  // every non-ASCII character percent-encoded).
  if (!path.includes('%')) {
    if (!/[. ](?:\/|$)/.test(path) && !path.includes('::$')) return [];
  }
  const reasons: string[] = [];
  if (ENCODED_DANGER.test(path)) reasons.push('a double-encoded dot, slash, backslash or control character (%25…)');
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%') {
      bytes.push(parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(path.charCodeAt(i));
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    reasons.push('invalid or overlong UTF-8');
    return reasons;
  }
  for (const segment of decoded.split('/')) {
    if (segment.length > 0 && /[. ]$/.test(segment) && segment !== '.' && segment !== '..') {
      reasons.push(`a segment ending in a dot or space ("${segment.slice(-24)}")`);
      break;
    }
  }
  if (decoded.includes('::$')) reasons.push('an NTFS stream name (::$…)');
  for (const ch of decoded) {
    if (ch.charCodeAt(0) > 0x7f && looksLikeSeparator(ch)) {
      reasons.push(`a look-alike of ".", "/" or "\\" (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`);
      break;
    }
  }
  return reasons;
}

/** ASCII letters folded to lower case; percent-escapes keep their (upper-case) hex digits. */
export function foldPathCase(path: string): string {
  // Nothing to fold (the loop below would copy it unchanged): no upper-case ASCII, no non-ASCII.
  if (!/[A-Z\u0080-\uffff]/.test(path)) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%') {
      out += path.slice(i, i + 3);
      i += 2;
    } else out += path[i]!.toLowerCase();
  }
  return out;
}
