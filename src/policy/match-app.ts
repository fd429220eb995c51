/**
 * Picks the app for a request: the most specific host match first (exact beats wildcard beats an app
 * without hosts), then the longest pathPrefix. No match means the request is refused (see `unmatched`).
 */
import type { CompiledApp } from './compile';
import { hostMatchRank, normalizeHost } from './host';

/** `host` as sent (Host header / URL authority); `path` normalised (normalizePath). */
export function matchApp(apps: readonly CompiledApp[], host: string, path: string): CompiledApp | undefined {
  // Both computed on first need: the request host only for apps with hosts, the lower-case path only
  // for case-insensitive apps.
  let requestHost: string | undefined | null = null;
  let lowerPath: string | undefined;
  let best: CompiledApp | undefined;
  let bestHostRank = -1;
  let bestPrefixLength = -1;
  for (const app of apps) {
    let hostRank = 0;
    if (app.hosts) {
      if (requestHost === null) requestHost = normalizedRequestHost(host);
      if (requestHost !== undefined) {
        for (const pattern of app.hosts) {
          const rank = hostMatchRank(pattern, requestHost);
          if (rank > hostRank) hostRank = rank;
        }
      }
      if (hostRank === 0) continue;
    }
    if (!app.caseSensitive && lowerPath === undefined) lowerPath = path.toLowerCase();
    const folded = app.caseSensitive ? path : lowerPath!;
    const prefix = app.prefixMatch.folded;
    // pathHasPrefix(folded, prefix), with the prefix's `/`-terminated form made once at compile.
    if (prefix !== '/' && folded !== prefix && !folded.startsWith(app.prefixMatch.below)) continue;
    if (hostRank > bestHostRank || (hostRank === bestHostRank && prefix.length > bestPrefixLength)) {
      best = app;
      bestHostRank = hostRank;
      bestPrefixLength = prefix.length;
    }
  }
  return best;
}

// normalizeHost per request Host value, remembered: a gateway sees few distinct hosts. The key is
// normalizeHost's only input, so a remembered answer is the answer; bounded in entries (cleared when
// full) and in bytes (a Host longer than HOST_REMEMBERED_LENGTH is never kept: a client's 30 KB Host
// values must not stay in memory), so a client sending many hosts costs only misses.
const HOSTS_REMEMBERED = 256;
const HOST_REMEMBERED_LENGTH = 255;
const normalizedHosts = new Map<string, string | undefined>();

/** normalizeHost(host), remembered. */
export function normalizedRequestHost(host: string): string | undefined {
  const known = normalizedHosts.get(host);
  if (known !== undefined || normalizedHosts.has(host)) return known;
  const normal = normalizeHost(host);
  if (host.length <= HOST_REMEMBERED_LENGTH) {
    if (normalizedHosts.size >= HOSTS_REMEMBERED) normalizedHosts.clear();
    normalizedHosts.set(host, normal);
  }
  return normal;
}

/** How many request hosts are remembered (for tests: the bounds above). */
export function rememberedHostCount(): number {
  return normalizedHosts.size;
}
