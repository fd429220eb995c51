/**
 * Header hygiene for the proxy: which incoming headers never reach the upstream, and which headers
 * are hop-by-hop (RFC 9110 §7.6.1) and so never cross the gateway in either direction.
 */

/** Exact names and name prefixes to remove from a request before the gateway adds its own headers. */
export interface HeaderStripRules {
  names: readonly string[];
  prefixes: readonly string[];
}

/**
 * Canonical form for comparing header names: lower case, `_` read as `-`. Many upstreams (CGI, PHP,
 * Django, Rails, nginx with `underscores_in_headers`) map `X_Auth_User` onto the same variable as
 * `X-Auth-User`, so a client must not be able to smuggle one past us with the other spelling.
 */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/**
 * Identity headers that the gateway or a well-known proxy sets, stripped from every request whatever
 * the config says: an upstream set up for oauth2-proxy, Authelia or an ALB must never read a
 * client-supplied value.
 */
export const BASE_IDENTITY_STRIP_RULES: HeaderStripRules = {
  names: [
    'X-Forwarded-User',
    'X-Forwarded-Email',
    'X-Forwarded-Groups',
    'X-Forwarded-Preferred-Username',
    'X-Forwarded-Access-Token',
    'Remote-User',
    'Remote-Groups',
    'Remote-Email',
    'Remote-Name',
    'X-Request-Id',
  ],
  prefixes: ['X-Auth-Request-', 'X-Amzn-Oidc-', 'Remote-'],
};

/**
 * Headers that describe the client connection or override the request target. The gateway sets
 * X-Forwarded-For/-Proto/-Host itself; the rest are dropped so a client cannot forge its address,
 * country, scheme, host, path or TLS client certificate towards the upstream (X-Original-URL and
 * X-Rewrite-URL are honoured by IIS, Symfony and others as the real path; a client certificate
 * header is how an upstream behind an mTLS-terminating proxy learns who connected).
 */
export const FORWARDING_STRIP_RULES: HeaderStripRules = {
  // What CDNs, load balancers and service meshes set: an upstream that believes one of them must
  // only ever see the gateway's own X-Forwarded-* (or nothing).
  names: [
    'Forwarded',
    // client address and location
    'X-Real-Ip',
    'X-Client-Ip',
    'Client-Ip',
    'True-Client-Ip',
    'X-Cluster-Client-Ip',
    'Fastly-Client-Ip',
    'Cf-Connecting-Ip',
    'Cf-Connecting-Ipv6',
    'Cf-Ipcountry',
    'X-Original-Forwarded-For',
    'X-Azure-ClientIP',
    'X-Azure-SocketIP',
    // scheme and host
    'Cf-Visitor',
    'Front-End-Https',
    'X-Url-Scheme',
    'X-Host',
    'X-Original-Host',
    'X-Http-Host-Override',
    // target
    'X-Original-Url',
    'X-Original-Uri',
    'X-Rewrite-Url',
    'X-Original-Method',
    // TLS client certificate (nginx, Apache, HAProxy conventions)
    'Ssl-Client-Cert',
    'X-Client-Cert',
    'X-Client-Verify',
    'X-Client-Dn',
  ],
  prefixes: ['X-Forwarded-', 'X-Envoy-', 'X-Ssl-Client-', 'X-Client-Cert-', 'X-Amzn-Mtls-'],
};

/** Hop-by-hop headers (RFC 9110 §7.6.1), plus Proxy-Connection which old clients still send. */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Combines rule sets (duplicates are harmless). */
export function mergeStripRules(...rules: HeaderStripRules[]): HeaderStripRules {
  return {
    names: rules.flatMap((r) => r.names),
    prefixes: rules.flatMap((r) => r.prefixes),
  };
}

/** Pure: does this header name match the rules (case-insensitive, `_` = `-`)? */
export function matchesStripRules(name: string, rules: HeaderStripRules): boolean {
  return matchesCompiled(canonicalHeaderName(name), compileStripRules(rules));
}

/**
 * Removes every header matching the rules, in place. Returns the removed names (for debug logs;
 * never log the values).
 */
export function stripIdentityHeaders(headers: Headers, rules: HeaderStripRules): string[] {
  const doomed = new Set<string>();
  for (const name of headers.keys()) if (matchesStripRules(name, rules)) doomed.add(name);
  for (const name of doomed) headers.delete(name);
  return [...doomed];
}

/**
 * Removes hop-by-hop headers in place: the fixed list and every header that Connection names.
 * Connection tokens are compared with `_` = `-` too, so `Connection: X_Auth_User` cannot be used to
 * make us drop (or keep) a header under another spelling.
 */
export function removeHopByHopHeaders(headers: Headers): void {
  const named = (headers.get('connection') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  const rules: HeaderStripRules = { names: [...HOP_BY_HOP_HEADERS, ...named], prefixes: [] };
  stripIdentityHeaders(headers, rules);
}

/**
 * Strip rules with every name already in canonical form, built once per rule set: matching a
 * header is then one Set look-up plus a short prefix scan, not a canonicalisation per header × rule.
 */
export interface CompiledStripRules {
  names: ReadonlySet<string>;
  prefixes: readonly string[];
}

const compiledCache = new WeakMap<HeaderStripRules, CompiledStripRules>();

/** Compiles (and caches per rules object) the canonical form of a rule set. */
export function compileStripRules(rules: HeaderStripRules): CompiledStripRules {
  let compiled = compiledCache.get(rules);
  if (!compiled) {
    compiled = {
      names: new Set(rules.names.map(canonicalHeaderName)),
      prefixes: [...new Set(rules.prefixes.filter((p) => p.length > 0).map(canonicalHeaderName))],
    };
    compiledCache.set(rules, compiled);
  }
  return compiled;
}

/** Does an already-canonical header name match the compiled rules? */
export function matchesCompiled(canonical: string, rules: CompiledStripRules): boolean {
  if (rules.names.has(canonical)) return true;
  for (const p of rules.prefixes) if (canonical.startsWith(p)) return true;
  return false;
}

/** Every request header the proxy drops whatever the config: hop-by-hop plus the forwarding family. */
export const FIXED_REQUEST_STRIP: CompiledStripRules = (() => {
  const fwd = compileStripRules(FORWARDING_STRIP_RULES);
  return { names: new Set([...HOP_BY_HOP_HEADERS, ...fwd.names]), prefixes: fwd.prefixes };
})();

/** The names a Connection header lists, canonical; empty for a missing or empty header. */
export function connectionTokens(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values)
    for (const t of v.split(',')) {
      const token = t.trim();
      if (token) out.add(canonicalHeaderName(token));
    }
  return out;
}

const withNameCache = new WeakMap<HeaderStripRules, Map<string, HeaderStripRules>>();

/**
 * The rules plus one more exact name, as the same object every time for the same rules and name:
 * compiled forms are cached per rules object, so a per-request copy would be compiled per request.
 * For the gateway's own names (Authorization), not client input: one entry per name.
 */
/**
 * Whether an Upgrade header offers exactly WebSocket (the token is case-insensitive). Any other
 * offer, or several, is not one: on Node its bytes are piped without close frames, and Workers
 * forward it on the plain path (without Upgrade).
 */
export function isWebSocketOffer(offer: string | null | undefined): boolean {
  return typeof offer === 'string' && offer.trim().toLowerCase() === 'websocket';
}

export function withStrippedName(rules: HeaderStripRules, name: string): HeaderStripRules {
  let byName = withNameCache.get(rules);
  if (!byName) {
    byName = new Map();
    withNameCache.set(rules, byName);
  }
  let out = byName.get(name);
  if (!out) {
    out = { ...rules, names: [...rules.names, name] };
    byName.set(name, out);
  }
  return out;
}
