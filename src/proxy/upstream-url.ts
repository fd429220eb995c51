/**
 * Pure: the URL to fetch upstream. The path and query are appended as strings, never re-encoded,
 * so they reach the upstream byte-for-byte (as far as the WHATWG URL parser leaves them alone: it
 * keeps percent-escapes, order and repeated keys).
 */
/**
 * Pure: the request target for the upstream (its base path, then the matched path and the raw
 * query), validated so that it cannot leave the configured origin. For clients that take the
 * origin separately (undici's dispatcher): no URL parsing.
 */
export function upstreamPath(upstream: URL, path: string, query: string): string {
  if (!path.startsWith('/')) throw new Error(`forwardRequest: path must start with "/", got ${JSON.stringify(path.slice(0, 80))}`);
  // '?' or '#' in the path would move the query or cut the URL: the caller must pass the
  // percent-encoded path (URL.pathname form), never a decoded one.
  if (/[?#\u0000-\u001f\u007f]/.test(path)) {
    throw new Error('forwardRequest: path contains "?", "#" or a control character; pass the encoded path');
  }
  if (query !== '' && !query.startsWith('?')) throw new Error('forwardRequest: query must be "" or start with "?"');
  if (/[#\u0000-\u001f\u007f]/.test(query)) throw new Error('forwardRequest: query contains "#" or a control character');
  return `${partsOf(upstream).base}${path}${query}`;
}

interface UpstreamParts {
  href: string;
  origin: string;
  /** The pathname without a trailing '/'. */
  base: string;
}
const partsByUrl = new WeakMap<URL, UpstreamParts>();

/**
 * An upstream URL's origin and base path, worked out once per URL object (an app's upstream URL
 * serves all its requests; URL getters build new strings each time). Both are functions of the
 * href, checked on every use: a URL object changed since is worked out again.
 */
function partsOf(upstream: URL): UpstreamParts {
  const href = upstream.href;
  let parts = partsByUrl.get(upstream);
  if (parts === undefined || parts.href !== href) {
    const pathname = upstream.pathname;
    parts = { href, origin: upstream.origin, base: pathname.endsWith('/') ? pathname.slice(0, -1) : pathname };
    partsByUrl.set(upstream, parts);
  }
  return parts;
}

/** `upstream.origin`, without a new string per request. */
export function upstreamOrigin(upstream: URL): string {
  return partsOf(upstream).origin;
}

export function upstreamUrl(upstream: URL, path: string, query: string): string {
  const url = `${upstream.origin}${upstreamPath(upstream, path, query)}`;
  // Defence in depth: whatever the path holds, the request goes to the configured origin.
  if (new URL(url).origin !== upstream.origin) throw new Error('forwardRequest: path would leave the upstream origin');
  return url;
}
