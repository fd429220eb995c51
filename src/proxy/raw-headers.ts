/**
 * The documented header edits, applied in one pass over raw header lists (`[name, value, name,
 * value, …]` as Node's IncomingMessage.rawHeaders and undici give them): order, spelling and
 * repeats of everything that is not edited are kept. Pure; no Node types.
 *
 * Request edits: hop-by-hop headers and those named in Connection, client identity headers
 * (config + fixed families), forwarding headers (X-Forwarded-*, Forwarded, X-Real-Ip …), Host
 * (unless preserveHost), Expect (the gateway's own server answers 100-continue) and the gateway's
 * cookies are removed; then X-Forwarded-For/-Proto/-Host, X-Request-Id and the identity headers
 * are appended in that order.
 * Response edits: hop-by-hop headers and those named in Connection, Set-Cookie lines for the
 * gateway's cookies and the upstream's X-Request-Id are removed; X-Request-Id and the gateway's
 * Set-Cookie lines are appended.
 */
import { filterCookieHeader, cookiePairName } from './cookies';
import { compileStripRules, connectionTokens, FIXED_REQUEST_STRIP, HOP_BY_HOP_HEADERS, matchesCompiled, type CompiledStripRules } from './headers';
import type { UpstreamRequest } from './forward';

/** Lower case with `_` read as `-`, skipping the copies when the name is already canonical. */
function canonical(name: string): string {
  let lower = name;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c === 95) {
      lower = name.toLowerCase();
      if (lower.includes('_')) lower = lower.replaceAll('_', '-');
      break;
    }
  }
  return lower;
}

function connectionNamed(raw: readonly string[]): Set<string> | undefined {
  let values: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && canonical(name) === 'connection') {
      values ??= [];
      values.push(raw[i + 1]!);
    }
  }
  return values ? connectionTokens(values) : undefined;
}

/** The request head for the upstream, from the client's raw headers. */
export function upstreamRawHeaders(raw: readonly string[], opts: UpstreamRequest): string[] {
  const strip: CompiledStripRules = compileStripRules(opts.strip);
  const named = connectionNamed(raw);
  const identity = opts.identityHeaders;
  // The gateway's own headers replace a client's of the same name (identity headers are stripped
  // anyway; this also covers a malformed traceparent the gateway replaced).
  const replaced = new Set<string>();
  if (identity instanceof Headers) for (const n of identity.keys()) replaced.add(canonical(n));
  else for (const n in identity) replaced.add(canonical(n));
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const c = canonical(name);
    if (matchesCompiled(c, FIXED_REQUEST_STRIP) || matchesCompiled(c, strip) || named?.has(c) || replaced.has(c)) continue;
    if (c === 'host' || c === 'expect') continue;
    if (c === 'cookie') {
      const kept = filterCookieHeader(value, opts.isGatewayCookie);
      if (kept !== undefined) out.push(name, kept === value.trim() ? value : kept);
      continue;
    }
    out.push(name, value);
  }
  const chain = opts.trustedForwardedFor?.trim();
  out.push('x-forwarded-for', chain ? `${chain}, ${opts.clientAddress}` : opts.clientAddress);
  out.push('x-forwarded-proto', opts.proto, 'x-forwarded-host', opts.host, 'x-request-id', opts.requestId);
  if (opts.preserveHost) out.push('host', opts.host);
  if (identity instanceof Headers) for (const [n, v] of identity) out.push(n, v);
  else for (const n in identity) out.push(n, identity[n]!);
  return out;
}

/** Hop-by-hop response headers; an Upgrade exchange keeps Connection and Upgrade (they are its point). */
const RESPONSE_HOP = new Set(HOP_BY_HOP_HEADERS);
const UPGRADE_RESPONSE_HOP = new Set(HOP_BY_HOP_HEADERS.filter((h) => h !== 'connection' && h !== 'upgrade'));

export interface DownstreamHead {
  headers: string[];
  /** The upstream's Content-Length when it sent exactly one, else -1. */
  contentLength: number;
}

/** The response head for the client, from the upstream's raw headers. */
export function downstreamRawHeaders(
  raw: readonly string[],
  opts: Pick<UpstreamRequest, 'isGatewayCookie' | 'requestId' | 'setCookies' | 'responseHeaders'>,
  upgrade = false,
): DownstreamHead {
  const replaced = opts.responseHeaders ? new Set(Object.keys(opts.responseHeaders).map(canonical)) : undefined;
  const hop = upgrade ? UPGRADE_RESPONSE_HOP : RESPONSE_HOP;
  const named = upgrade ? undefined : connectionNamed(raw);
  const out: string[] = [];
  let contentLength = -1;
  let lengths = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const c = canonical(name);
    if (hop.has(c) || named?.has(c) || c === 'x-request-id' || replaced?.has(c)) continue;
    if (c === 'set-cookie' && opts.isGatewayCookie(cookiePairName(value))) continue;
    if (c === 'content-length') {
      lengths++;
      contentLength = Number(value);
    }
    out.push(name, value);
  }
  out.push('x-request-id', opts.requestId);
  for (const line of opts.setCookies ?? []) out.push('set-cookie', line);
  for (const [name, value] of Object.entries(opts.responseHeaders ?? {})) out.push(name, value);
  return { headers: out, contentLength: lengths === 1 && Number.isSafeInteger(contentLength) ? contentLength : -1 };
}
