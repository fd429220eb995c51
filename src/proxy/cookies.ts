/**
 * Keeping the gateway's own cookies (session, login state) away from the upstream, and the
 * upstream from overwriting them.
 */

/**
 * Pure: the Cookie header without the gateway's cookies, or undefined when nothing is left.
 * Pairs are kept byte-for-byte in their original order; only whole `name=value` pairs are removed.
 */
export function filterCookieHeader(cookieHeader: string | null, isGatewayCookie: (name: string) => boolean): string | undefined {
  if (!cookieHeader) return undefined;
  const kept = cookieHeader
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.length > 0 && !isGatewayCookie(cookiePairName(pair)));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** The cookie name of a `name=value` pair or of a Set-Cookie line (before the first `=` or `;`). */
export function cookiePairName(pairOrSetCookie: string): string {
  const end = pairOrSetCookie.search(/[=;]/);
  return (end === -1 ? pairOrSetCookie : pairOrSetCookie.slice(0, end)).trim();
}
