/**
 * The verified-token cache: claims of tokens whose signature already passed, kept until the token's
 * `exp` and never beyond. A hit skips decoding and the signature check only; the caller still applies
 * every claim rule (clock, token use, client) to the cached claims. Bounded LRU in memory, with an
 * optional shared second level (Workers' Cache API).
 *
 * The in-memory level is keyed by the token's last 64 characters (its signature) and a hit must be
 * the exact same token: an exact-match lookup, where a SHA-256 through Web Crypto cost more than the
 * whole rest of a cached verification, and hashing the whole ~1 KB token (a new string on every
 * request) for the Map cost more than the rest of the look-up (measured with `npm run bench`). Only
 * verified tokens are stored, so the bound is maxEntries IdP-issued tokens (~1 KB each for Cognito). The shared level, which leaves the process, is keyed by SHA-256 and
 * never holds the token.
 */
import { Lru } from '../lru';
import type { SharedCache } from './shared-cache';

export interface VerifiedEntry {
  /** Deep-frozen verified claims. */
  claims: Readonly<Record<string, unknown>>;
  /** The token's `exp` (seconds): the entry's end of life. */
  exp: number;
  /** JOSE header `typ`, which some claim rules read. */
  typ?: string;
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** Shared-cache key of a token: hex SHA-256, so the shared cache never holds the token itself. */
export async function tokenCacheKey(token: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The in-memory key of a token: its signature's end (an entry is used only for the exact same token). */
function memoryKey(token: string): string {
  return token.length > 64 ? token.slice(-64) : token;
}

export class VerifiedTokenCache {
  hits = 0;
  misses = 0;
  private readonly lru: Lru<{ token: string; entry: VerifiedEntry }>;

  constructor(
    maxEntries: number,
    private readonly shared?: SharedCache,
  ) {
    this.lru = new Lru(maxEntries);
  }

  get size(): number {
    return this.lru.size;
  }

  async get(token: string, nowSeconds: number): Promise<VerifiedEntry | undefined> {
    const key = memoryKey(token);
    const found = this.lru.get(key);
    // Another token ending the same way is a miss (and replaces this one when it verifies).
    let entry = found?.token === token ? found.entry : undefined;
    if (entry && nowSeconds >= entry.exp) {
      this.lru.delete(key);
      entry = undefined;
    }
    if (!entry && this.shared) {
      entry = await this.getShared(await tokenCacheKey(token), nowSeconds);
      if (entry) this.lru.set(key, { token, entry });
    }
    if (entry) this.hits++;
    else this.misses++;
    return entry;
  }

  async set(token: string, entry: VerifiedEntry, nowSeconds: number): Promise<void> {
    const ttl = entry.exp - nowSeconds;
    if (!(ttl > 0)) return;
    this.lru.set(memoryKey(token), { token, entry });
    if (this.shared) {
      const value = JSON.stringify({ claims: entry.claims, typ: entry.typ });
      await this.shared.put(`jwt:${await tokenCacheKey(token)}`, value, Math.floor(ttl)).catch(() => {});
    }
  }

  private async getShared(key: string, nowSeconds: number): Promise<VerifiedEntry | undefined> {
    const text = await this.shared!.get(`jwt:${key}`).catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as { claims?: Record<string, unknown>; typ?: string };
      const exp = parsed.claims?.exp;
      if (!parsed.claims || typeof exp !== 'number' || nowSeconds >= exp) return undefined;
      return { claims: deepFreeze(parsed.claims), exp, typ: typeof parsed.typ === 'string' ? parsed.typ : undefined };
    } catch {
      return undefined;
    }
  }
}
