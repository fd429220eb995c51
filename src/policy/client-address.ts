/**
 * The client address (and country) that `ip_ranges` and `countries` rules see.
 *
 * `resolveClientAddress` (Node): the socket peer, unless the peer is a configured trusted proxy; then X-Forwarded-For is walked
 * from the right, skipping trusted hops, and the first untrusted hop is the client. Anything left of that
 * was written by the client and is ignored. `edgeClientAddress` (Workers): `CF-Connecting-IP`, set by Cloudflare's edge, and
 * `CF-IPCountry` (never read on Node, where any client could send it).
 */
import { formatIp, parseIp, compileCidrs, type CidrSet } from './cidr';

export interface HeaderReader {
  get(name: string): string | null;
}

export interface ClientAddressInput {
  /** Socket remote address (Node); ignored on Workers. */
  peer?: string;
  headers: HeaderReader;
  /** Compiled CIDRs (compileCidrs, once at load) or CIDR texts. */
  trustedProxies?: CidrSet | readonly string[];
}

export interface ClientAddress {
  /** Canonical text (IPv4-mapped IPv6 shown as IPv4), or undefined when unknown. */
  address?: string;
  /** ISO 3166-1 alpha-2, uppercase (Workers only). */
  country?: string;
  source: 'peer' | 'x-forwarded-for' | 'cf-connecting-ip' | 'none';
}

/** Accepts `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]`, `[::1]:5678`, `fe80::1%eth0`. */
export function parseAddressToken(token: string) {
  let t = token.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracket) t = bracket[1]!;
  else if (/^[\d.]+:\d+$/.test(t)) t = t.slice(0, t.indexOf(':'));
  t = t.replace(/%[\w.-]+$/, '');
  return parseIp(t);
}

/** Behind Cloudflare's edge (Workers): CF-Connecting-IP and CF-IPCountry, which the edge overwrites. */
export function edgeClientAddress(headers: HeaderReader): ClientAddress {
  const ip = parseAddressToken(headers.get('cf-connecting-ip') ?? '');
  const country = (headers.get('cf-ipcountry') ?? '').trim().toUpperCase();
  return {
    address: ip ? formatIp(ip) : undefined,
    country: /^[A-Z][A-Z0-9]$/.test(country) ? country : undefined,
    source: ip ? 'cf-connecting-ip' : 'none',
  };
}

/** A socket peer (Node): the peer, or the X-Forwarded-For hop left of the trusted proxies. */
export function resolveClientAddress(input: ClientAddressInput): ClientAddress {
  const peer = input.peer ? parseAddressToken(input.peer) : undefined;
  if (!peer) return { source: 'none' };
  const trusted = Array.isArray(input.trustedProxies) ? compileCidrs(input.trustedProxies) : (input.trustedProxies as CidrSet | undefined);
  if (!trusted?.matches(peer)) return { address: formatIp(peer), source: 'peer' };

  const hops = (input.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  let client = peer;
  let source: ClientAddress['source'] = 'peer';
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseAddressToken(hops[i]!);
    // A malformed entry ends the walk: the last trusted hop is the best we know.
    if (!hop) break;
    client = hop;
    source = 'x-forwarded-for';
    if (!trusted.matches(hop)) break;
  }
  return { address: formatIp(client), source };
}
