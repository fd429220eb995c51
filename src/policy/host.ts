/**
 * Host matching for apps. Hosts compare case-insensitively, without a trailing dot, and with the
 * default ports (80, 443) removed, so `Example.com:443` and `example.com` are the same host. A pattern
 * without a port therefore matches only default ports; `localhost:8787` must be written with its port.
 */
export type HostPattern =
  | { kind: 'exact'; host: string }
  /** `*.example.com`: any subdomain at any depth, never the apex `example.com`. */
  | { kind: 'wildcard'; suffix: string; port: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const HOST_PORT = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/** Lowercases, drops a trailing dot and a default port. Returns undefined for an unparseable host. */
export function normalizeHost(host: string): string | undefined {
  const m = HOST_PORT.exec(host.trim().toLowerCase());
  if (!m) return undefined;
  let name = m[1]!;
  if (!name.startsWith('[')) {
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (!name.split('.').every((l) => LABEL.test(l))) return undefined;
  }
  const port = m[2];
  if (port !== undefined && (Number(port) > 65535 || Number(port) === 0)) return undefined;
  return port === undefined || port === '80' || port === '443' ? name : `${name}:${port}`;
}

export type HostPatternResult = { ok: true; pattern: HostPattern } | { ok: false; message: string };

export function parseHostPattern(text: string): HostPatternResult {
  const fix = 'write host[:port] such as app.example.com or localhost:8787, or *.example.com';
  if (text.startsWith('*.')) {
    const rest = normalizeHost(text.slice(2));
    if (!rest || rest.startsWith('[')) return { ok: false, message: `"${text}" is not a host pattern; ${fix}` };
    const [suffix, port = ''] = rest.split(':') as [string, string?];
    return { ok: true, pattern: { kind: 'wildcard', suffix, port } };
  }
  if (text.includes('*')) return { ok: false, message: `"${text}": * is only allowed as the first label ("*.example.com")` };
  const host = normalizeHost(text);
  if (!host) return { ok: false, message: `"${text}" is not a host; ${fix}` };
  return { ok: true, pattern: { kind: 'exact', host } };
}

/** The key two patterns share when they select the same requests (for duplicate detection). */
export function hostPatternKey(p: HostPattern): string {
  return p.kind === 'exact' ? p.host : `*.${p.suffix}${p.port ? `:${p.port}` : ''}`;
}

/**
 * How specifically a pattern matches a normalised request host: 0 = no match; exact matches rank above
 * every wildcard; among wildcards the longer suffix ranks higher.
 */
export function hostMatchRank(pattern: HostPattern, host: string): number {
  if (pattern.kind === 'exact') return pattern.host === host ? 1_000_000 : 0;
  const colon = host.startsWith('[') ? host.indexOf(']:') + 1 : host.lastIndexOf(':');
  const name = colon > 0 ? host.slice(0, colon) : host;
  const port = colon > 0 ? host.slice(colon + 1) : '';
  if (port !== pattern.port) return 0;
  return name.endsWith(`.${pattern.suffix}`) ? 1 + pattern.suffix.length : 0;
}
