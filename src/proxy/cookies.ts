/**
 * Keeping the gateway's own cookies (session, login state) away from the upstream, and the
 * upstream from overwriting them.
 */

/**
 * Pure: the Cookie header without the gateway's cookies, or undefined when nothing is left.
 * Pairs are kept byte-for-byte in their original order; only whole `name=value` pairs are removed.
 * The kept pairs are trimmed and joined with "; " (as `split(';')`, trim, filter, `join('; ')`
 * would give), in one pass.
 */
export function filterCookieHeader(cookieHeader: string | null, isGatewayCookie: (name: string) => boolean): string | undefined {
  if (!cookieHeader) return undefined;
  let kept: string | undefined;
  let start = 0;
  while (start <= cookieHeader.length) {
    let end = cookieHeader.indexOf(';', start);
    if (end === -1) end = cookieHeader.length;
    const pair = cookieHeader.slice(start, end).trim();
    if (pair.length > 0 && !isGatewayCookie(cookiePairName(pair))) kept = kept === undefined ? pair : `${kept}; ${pair}`;
    start = end + 1;
  }
  return kept;
}

/** The cookie name of a `name=value` pair or of a Set-Cookie line (before the first `=` or `;`). */
export function cookiePairName(pairOrSetCookie: string): string {
  const eq = pairOrSetCookie.indexOf('=');
  const semi = pairOrSetCookie.indexOf(';');
  const end = eq === -1 ? semi : semi === -1 ? eq : Math.min(eq, semi);
  return (end === -1 ? pairOrSetCookie : pairOrSetCookie.slice(0, end)).trim();
}
