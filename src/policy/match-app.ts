/**
 * Picks the app for a request: the most specific host match first (exact beats wildcard beats an app
 * without hosts), then the longest pathPrefix. No match means the request is refused (see `unmatched`).
 */
import type { CompiledApp } from './compile';
import { hostMatchRank, normalizeHost } from './host';
import { pathHasPrefix } from './path';

/** `host` as sent (Host header / URL authority); `path` normalised (normalizePath). */
export function matchApp(apps: readonly CompiledApp[], host: string, path: string): CompiledApp | undefined {
  const requestHost = normalizeHost(host);
  let best: CompiledApp | undefined;
  let bestHostRank = -1;
  let bestPrefixLength = -1;
  for (const app of apps) {
    let hostRank = 0;
    if (app.hosts) {
      hostRank = requestHost === undefined ? 0 : Math.max(0, ...app.hosts.map((h) => hostMatchRank(h, requestHost)));
      if (hostRank === 0) continue;
    }
    const folded = app.caseSensitive ? path : path.toLowerCase();
    const prefix = app.caseSensitive ? app.pathPrefix : app.pathPrefix.toLowerCase();
    if (!pathHasPrefix(folded, prefix)) continue;
    if (hostRank > bestHostRank || (hostRank === bestHostRank && prefix.length > bestPrefixLength)) {
      best = app;
      bestHostRank = hostRank;
      bestPrefixLength = prefix.length;
    }
  }
  return best;
}
