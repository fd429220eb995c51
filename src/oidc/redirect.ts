/**
 * Return-target validation for `rd` on sign-in and sign-out and for the page first asked for.
 *
 * Two layers, and both must agree: string-level checks on the raw input (what a browser, or a layer
 * that decodes once more, might turn into another origin), then the WHATWG URL parser against the
 * request origin, then a check on what we would actually emit. When in doubt, the fallback.
 */

export interface SafeReturnToOptions {
  /** The gateway's own origin for this request, e.g. `https://app.example.com`. */
  requestOrigin: string;
  /** Other hosts a return target may name: `host`, `host:port`, or `*.example.com` (any subdomain depth). */
  allowedHosts: string[];
  /** What to return when `raw` is refused. Default `/`. */
  fallback?: string;
}

const MAX_LENGTH = 4096;
/** Decoding rounds to look through (`%252F` -> `%2F` -> `/`). */
const DECODE_ROUNDS = 3;

// Visible ASCII only: no controls, no whitespace (browsers strip tab/CR/LF anywhere and trim spaces),
// no non-ASCII (look-alike slashes and hosts), no backslash (a slash to browsers in http(s) URLs).
const RAW_ALLOWED = /^[\x21-\x5B\x5D-\x7E]+$/;
const ABSOLUTE_PREFIX = /^(https?):\/\/([^/?#]*)([/?#].*)?$/s;
// host[:port]: an ASCII DNS name without trailing dot, or a bracketed IPv6 literal.
const AUTHORITY = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$/i;

export function safeReturnTo(raw: string | null | undefined, opts: SafeReturnToOptions): string {
  const fallback = opts.fallback ?? '/';
  let origin: URL;
  try {
    origin = new URL(opts.requestOrigin);
  } catch {
    return fallback;
  }
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return fallback;
  if (!RAW_ALLOWED.test(raw)) return fallback;

  if (raw.startsWith('/')) return sameOriginPath(raw, origin) ?? fallback;

  const absolute = ABSOLUTE_PREFIX.exec(raw);
  // Lower-case http(s) with `//` and a non-empty authority, or nothing: refuses `javascript:`,
  // `https:evil`, `http:/evil`, `HTTPS://`, relative paths like `evil/x`, `?x`, `#x`.
  if (!absolute) return fallback;
  // User info, `%`, an empty host, a trailing dot or a bad port all fail this.
  const authority = AUTHORITY.exec(absolute[2]!);
  if (!authority) return fallback;
  const rest = absolute[3] ?? '';
  if (!pathLooksSafe(rest.startsWith('/') ? rest : `/${rest}`)) return fallback;

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fallback;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return fallback;
  // The parser rewrites odd hosts (`0x7f.1` -> `127.0.0.1`); accept only hosts it left as written.
  if (url.hostname !== authority[1]!.toLowerCase()) return fallback;
  if (url.origin === origin.origin) return emittedPath(url) ?? fallback;
  if (!isAllowedHost(url.host, opts.allowedHosts)) return fallback;
  return url.href;
}

function sameOriginPath(raw: string, origin: URL): string | undefined {
  // `//host` and `/\host` are protocol-relative to browsers.
  if (raw.startsWith('//')) return undefined;
  if (!pathLooksSafe(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return undefined;
  }
  if (url.origin !== origin.origin) return undefined;
  return emittedPath(url);
}

/** The path, query and fragment we would put in `Location`, re-checked after dot-segment removal (`/.//evil`). */
function emittedPath(url: URL): string | undefined {
  const out = url.pathname + url.search + url.hash;
  if (!out.startsWith('/') || out.startsWith('//') || out.startsWith('/\\')) return undefined;
  return out;
}

/**
 * String-level checks on a path (with query/fragment), at each decoding level: no encoded slash or
 * backslash in the path, no controls or whitespace anywhere, no leading `//`.
 */
function pathLooksSafe(raw: string): boolean {
  let level = raw;
  for (let round = 0; round <= DECODE_ROUNDS; round++) {
    const cut = level.search(/[?#]/);
    const path = cut === -1 ? level : level.slice(0, cut);
    if (/%(?:2f|5c)/i.test(path)) return false;
    if (/[\\\s\x00-\x1F\x7F]/.test(path) || path.startsWith('//')) return false;
    if (/[\x00-\x1F\x7F]/.test(level)) return false;
    const next = decodeAsciiOnce(level);
    if (next === level) break;
    level = next;
  }
  return true;
}

/** Percent-decodes ASCII bytes only; never throws (unlike decodeURIComponent on `%E0%A4%A`). */
function decodeAsciiOnce(text: string): string {
  return text.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

interface HostPattern {
  wildcard: boolean;
  hostname: string;
  port: string;
}

function parseHostPattern(entry: string): HostPattern | undefined {
  let text = entry.trim().toLowerCase();
  const wildcard = text.startsWith('*.');
  if (wildcard) text = text.slice(2);
  const m = AUTHORITY.exec(text);
  if (m) return { wildcard, hostname: m[1]!, port: m[2] ?? '' };
  // A Unicode entry: compare in the punycode form the URL parser produces.
  try {
    const url = new URL(`http://${text}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    const port = /:(\d{1,5})$/.exec(text)?.[1] ?? '';
    return AUTHORITY.test(url.hostname) ? { wildcard, hostname: url.hostname, port } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `host` (`hostname[:port]` as in `URL.host`: lower case, punycode, default port omitted) is on
 * the list. An entry without a port matches only the default port; `*.example.com` matches subdomains
 * of example.com at any depth but not example.com itself. A trailing dot never matches.
 */
export function isAllowedHost(host: string, allowedHosts: readonly string[]): boolean {
  const m = AUTHORITY.exec(host);
  if (!m) return false;
  const hostname = m[1]!.toLowerCase();
  const port = m[2] ?? '';
  return allowedHosts.some((entry) => {
    const pattern = parseHostPattern(entry);
    if (!pattern || pattern.port !== port) return false;
    if (!pattern.wildcard) return hostname === pattern.hostname;
    return hostname.endsWith(`.${pattern.hostname}`) && !hostname.startsWith('[');
  });
}
