/**
 * The documented header edits, applied in one pass over raw header lists (`[name, value, name,
 * value, …]` as Node's IncomingMessage.rawHeaders and undici give them): order, spelling and
 * repeats of everything that is not edited are kept. Pure; no Node types.
 *
 * Request edits: hop-by-hop headers and those named in Connection, client identity headers
 * (config + fixed families), forwarding headers (X-Forwarded-*, Forwarded, X-Real-Ip …), Host
 * (unless preserveHost), Expect (the gateway answers 100-continue itself, once it has decided) and the gateway's
 * cookies are removed; then X-Forwarded-For/-Proto/-Host, X-Request-Id, the identity headers and
 * the traceparent the gateway made (which replaces a client's) are appended in that order.
 * Response edits: hop-by-hop headers and those named in Connection, Set-Cookie lines for the
 * gateway's cookies and the upstream's X-Request-Id are removed; X-Request-Id and the gateway's
 * Set-Cookie lines are appended.
 */
import { filterCookieHeader, cookiePairName } from './cookies';
import {
  compileStripRules,
  connectionTokens,
  FIXED_REQUEST_STRIP,
  HOP_BY_HOP_HEADERS,
  matchesCompiled,
  type CompiledStripRules,
  type HeaderStripRules,
} from './headers';
import type { UpstreamRequest } from './forward';

/**
 * Canonical forms of the names seen with capitals or `_` (clients send Title-Case; the gateway's
 * own headers are fixed names): the answer depends on the name alone. Bounded in entries and in
 * bytes: only names of at most REMEMBERED_LENGTH characters are kept (a client's 30 KB header name
 * must not stay in memory), and once full, new names are computed each time.
 */
const canonicalNames = new Map<string, string>();
/** Longest name or Connection value remembered; real ones are far shorter. */
const REMEMBERED_LENGTH = 64;

/** Lower case with `_` read as `-`, skipping the copies when the name is already canonical. */
function canonical(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c === 95) {
      let lower = canonicalNames.get(name);
      if (lower === undefined) {
        lower = name.toLowerCase();
        if (lower.includes('_')) lower = lower.replaceAll('_', '-');
        if (name.length <= REMEMBERED_LENGTH && canonicalNames.size < 2048) canonicalNames.set(name, lower);
      }
      return lower;
    }
  }
  return name;
}

const NO_TOKENS: ReadonlySet<string> = new Set();
/** Connection values seen (keep-alive, close, Upgrade …: few distinct ones), bounded; long ones are not kept. */
const tokensByValue = new Map<string, ReadonlySet<string>>();

/**
 * The names the Connection lines list, canonical; undefined without a Connection line. Remembered
 * per value: the tokens depend on the joined value alone (the lines' tokens are the tokens of the
 * lines joined with ",").
 */
function connectionNamed(raw: readonly string[]): ReadonlySet<string> | undefined {
  let joined: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && canonical(name) === 'connection') joined = joined === undefined ? raw[i + 1]! : `${joined},${raw[i + 1]!}`;
  }
  if (joined === undefined) return undefined;
  let tokens = tokensByValue.get(joined);
  if (!tokens) {
    const set = connectionTokens([joined]);
    tokens = set.size === 0 ? NO_TOKENS : set;
    if (joined.length <= REMEMBERED_LENGTH) {
      if (tokensByValue.size >= 256) tokensByValue.clear();
      tokensByValue.set(joined, tokens);
    }
  }
  return tokens;
}

/** Names a request loses whatever the rules say: Host (the upstream's own, or re-added) and Expect (answered here). */
const ALWAYS_DROPPED = ['host', 'expect'];
const requestDropCache = new WeakMap<HeaderStripRules, CompiledStripRules>();

/**
 * One compiled set per strip rules object: the fixed request strip, the rules, Host and Expect, so
 * a header is checked with one Set look-up and one prefix scan. The same names in the same order
 * of checks as applying the three in turn: each only drops.
 */
function requestDropRules(rules: HeaderStripRules): CompiledStripRules {
  let compiled = requestDropCache.get(rules);
  if (!compiled) {
    const own = compileStripRules(rules);
    compiled = {
      names: new Set([...FIXED_REQUEST_STRIP.names, ...own.names, ...ALWAYS_DROPPED]),
      prefixes: [...new Set([...FIXED_REQUEST_STRIP.prefixes, ...own.prefixes])],
    };
    requestDropCache.set(rules, compiled);
  }
  return compiled;
}

/**
 * The canonical names of the headers the gateway sets itself (few: an array beats a Set), remembered
 * per frozen identity-headers object (one per identity and config, src/proxy/identity-headers.ts):
 * the names depend on its keys alone, and a frozen object's keys cannot change.
 */
const identityNames = new WeakMap<object, readonly string[]>();

function namesOf(identity: UpstreamRequest['identityHeaders']): readonly string[] {
  if (identity instanceof Headers) return Array.from(identity.keys(), canonical);
  let names = identityNames.get(identity);
  if (names === undefined) {
    const out: string[] = [];
    for (const n in identity) out.push(canonical(n));
    names = out;
    if (Object.isFrozen(identity)) identityNames.set(identity, out);
  }
  return names;
}

/** The request head for the upstream, from the client's raw headers. */
export function upstreamRawHeaders(raw: readonly string[], opts: UpstreamRequest): string[] {
  const drop = requestDropRules(opts.strip);
  const named = connectionNamed(raw);
  const identity = opts.identityHeaders;
  // The gateway's own headers replace a client's of the same name (identity headers are stripped
  // anyway), and its traceparent a client's malformed one.
  const replaced = namesOf(identity);
  const traceparent = opts.traceparent;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const c = canonical(name);
    if (matchesCompiled(c, drop) || named?.has(c) || (replaced.length > 0 && replaced.includes(c)) || (traceparent !== undefined && c === 'traceparent'))
      continue;
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
  if (traceparent !== undefined) out.push('traceparent', traceparent);
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
  const replaced = opts.responseHeaders ? Object.keys(opts.responseHeaders).map(canonical) : undefined;
  const hop = upgrade ? UPGRADE_RESPONSE_HOP : RESPONSE_HOP;
  const named = upgrade ? undefined : connectionNamed(raw);
  const out: string[] = [];
  let contentLength = -1;
  let lengths = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const c = canonical(name);
    if (hop.has(c) || named?.has(c) || c === 'x-request-id' || replaced?.includes(c)) continue;
    if (c === 'set-cookie' && opts.isGatewayCookie(cookiePairName(value))) continue;
    if (c === 'content-length') {
      lengths++;
      contentLength = Number(value);
    }
    out.push(name, value);
  }
  out.push('x-request-id', opts.requestId);
  const { setCookies, responseHeaders } = opts;
  if (setCookies !== undefined) for (let i = 0; i < setCookies.length; i++) out.push('set-cookie', setCookies[i]!);
  if (responseHeaders !== undefined) for (const [name, value] of Object.entries(responseHeaders)) out.push(name, value);
  return { headers: out, contentLength: lengths === 1 && Number.isSafeInteger(contentLength) ? contentLength : -1 };
}

/** How many header names and Connection values are remembered (for tests: the bounds above). */
export function rememberedHeaderMemos(): { names: number; connectionValues: number } {
  return { names: canonicalNames.size, connectionValues: tokensByValue.size };
}
