/**
 * Forwards one request to the upstream app and hands back its response, streaming both bodies.
 * Web APIs only: the caller injects `fetch`. Workers forward this way; Node uses undici's dispatcher
 * (src/runtime/node-forward.ts) with the raw-header rules of ./raw-headers.ts instead.
 */
import { filterCookieHeader, cookiePairName } from './cookies';
import { FORWARDING_STRIP_RULES, removeHopByHopHeaders, stripIdentityHeaders, type HeaderStripRules } from './headers';
import { UpstreamError } from './upstream-error';
import { upstreamUrl } from './upstream-url';

/** What the gateway asks a forwarder to do for one request; the same on every runtime. */
export interface UpstreamRequest {
  /** App origin, optionally with a base path (`http://app:8080/base`). */
  upstream: URL;
  /** The normalised, still percent-encoded path that policy matched; forwarded exactly. */
  path: string;
  /** The original raw query string including '?', or ''; forwarded byte-for-byte. */
  query: string;
  /** Headers the gateway adds (already mapped and sanitised). Set after stripping, so they win. */
  identityHeaders: Headers | Readonly<Record<string, string>>;
  /**
   * A traceparent the gateway made (the client sent none, or a malformed one): it replaces the
   * client's and is sent after the identity headers.
   */
  traceparent?: string;
  /** Incoming headers to remove before adding identityHeaders. */
  strip: HeaderStripRules;
  /** Cookies the gateway owns: removed from Cookie and from upstream Set-Cookie. */
  isGatewayCookie: (name: string) => boolean;
  clientAddress: string;
  proto: 'http' | 'https';
  /** The Host the client asked for; sent as X-Forwarded-Host (and as Host with preserveHost). */
  host: string;
  /** Incoming X-Forwarded-For chain to keep when the peer is a trusted proxy; else XFF is replaced. */
  trustedForwardedFor?: string;
  /** Sent upstream as X-Request-Id, and back to the client. */
  requestId: string;
  /** Time allowed until the upstream's response headers arrive; then 504. Default 30 s. */
  timeoutMs?: number;
  /** Sends the client's Host to the upstream instead of the upstream's own. */
  preserveHost?: boolean;
  /** Set-Cookie lines the gateway adds to the client response (a re-sealed session). */
  setCookies?: readonly string[];
  /** Told the response's Content-Length when the head goes out (the access log's bytes). */
  onResponseHead?: (head: { contentLength?: number }) => void;
  /** Headers the gateway sets on the client response (CORS for an allowed origin); they replace the upstream's. */
  responseHeaders?: Readonly<Record<string, string>>;
  /**
   * How long the credentials behind this request stay valid (session absolute lifetime, token
   * expiry), in ms from now. A long-lived exchange (WebSocket) is closed then.
   */
  closeAfterMs?: number;
  /**
   * What the revocation list names the credentials behind this request by (src/store/revocation.ts
   * RevocationQuery: the user, the session id, the token family, when the session or token began).
   * A long-lived exchange (WebSocket) is closed when a revocation covers them (Node).
   */
  revocation?: CredentialsRevocation;
}

/** The revocation list's names for one credential (the shape of src/store's RevocationQuery). */
export interface CredentialsRevocation {
  sub: string;
  sid?: string;
  originJti?: string;
  /** Seconds: when the session was created or the token issued. */
  issuedAt: number;
}

/**
 * The per-runtime upstream call. It either resolves with the client response, or (Node) writes
 * the response itself and resolves with a marker response that carries only the status.
 * Rejects with UpstreamError when the upstream gives no usable response head.
 */
export type Forwarder = (req: Request, opts: UpstreamRequest) => Promise<Response>;

/** forwardRequest's options: a request plus the Web fetch to send it with. */
export interface ForwardOptions extends UpstreamRequest {
  fetch: typeof fetch;
  /**
   * fetch decodes gzip/br/deflate response bodies. Where it does (undici's fetch on Node) the
   * decoded body must not keep the upstream's Content-Encoding, so by default the upstream is asked
   * for `Accept-Encoding: identity` and any Content-Encoding/Content-Length on an encoded response
   * is dropped. Workers re-encode a returned body according to its Content-Encoding header: set
   * this to true there to pass the client's Accept-Encoding and the upstream's Content-Encoding
   * through.
   */
  keepContentEncoding?: boolean;
}

/** The Forwarder for runtimes whose native client is fetch (Workers). */
export function fetchForwarder(fetchImpl: typeof fetch, extra: { keepContentEncoding?: boolean } = {}): Forwarder {
  return async (req, opts) => {
    return withGatewayHeaders(await forwardRequest(req, { ...opts, fetch: fetchImpl, keepContentEncoding: extra.keepContentEncoding }), opts);
  };
}

/** The answer for the client with what the gateway adds to it: its Set-Cookie lines (a re-sealed session) and its response headers (CORS). */
export function withGatewayHeaders(res: Response, opts: Pick<UpstreamRequest, 'setCookies' | 'responseHeaders'>): Response {
  for (const line of opts.setCookies ?? []) res.headers.append('set-cookie', line);
  for (const [name, value] of Object.entries(opts.responseHeaders ?? {})) res.headers.set(name, value);
  return res;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** What the standard RequestInit lacks: request-body streaming needs `duplex: 'half'`. */
type StreamingRequestInit = RequestInit & { duplex?: 'half' };

export async function forwardRequest(req: Request, opts: ForwardOptions): Promise<Response> {
  return downstreamResponse(await sendUpstream(req, opts, upstreamRequestHeaders(req.headers, opts)), opts);
}

/**
 * Sends the request upstream with these headers and hands back the upstream's response as it is
 * (forwardRequest cleans it for the client). Rejects with UpstreamError when no response head
 * arrives within the timeout or the upstream cannot be reached. A runtime's own forwarder (the
 * WebSocket upgrade on Workers) uses it with its headers, so a failure is the same error.
 */
export async function sendUpstream(req: Request, opts: ForwardOptions, headers: Headers): Promise<Response> {
  const url = upstreamUrl(opts.upstream, opts.path, opts.query);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`no response headers within ${timeoutMs} ms`)), timeoutMs);
  // The client going away cancels the upstream request (and, later, the response body) too.
  const signal = AbortSignal.any([req.signal, timeout.signal]);
  const hasBody = req.body !== null && req.method !== 'GET' && req.method !== 'HEAD';
  const init: StreamingRequestInit = {
    method: req.method,
    headers,
    body: hasBody ? req.body : null,
    redirect: 'manual',
    signal,
  };
  if (hasBody) init.duplex = 'half';

  try {
    // Called unbound: workerd's fetch throws "Illegal invocation" when called as a method of opts.
    const fetchUpstream = opts.fetch;
    return await fetchUpstream(url, init);
  } catch (e) {
    const origin = opts.upstream.origin;
    if (timeout.signal.aborted) throw new UpstreamError('timeout', origin, `no response headers within ${timeoutMs} ms`, { cause: e });
    if (req.signal.aborted) throw e; // the client left; nobody is waiting for an error page
    const code = failureCode(e);
    const kind = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : 'unreachable';
    throw new UpstreamError(kind, origin, code, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** The headers sent upstream. Order matters: clean first, then add the gateway's own. */
export function upstreamRequestHeaders(incoming: Headers, opts: ForwardOptions): Headers {
  const headers = new Headers(incoming);
  removeHopByHopHeaders(headers);
  stripIdentityHeaders(headers, opts.strip);
  stripIdentityHeaders(headers, FORWARDING_STRIP_RULES);
  headers.delete('host');
  // undici refuses Expect; the gateway answers 100-continue itself (on Node once it has decided).
  headers.delete('expect');

  const cookie = filterCookieHeader(incoming.get('cookie'), opts.isGatewayCookie);
  if (cookie === undefined) headers.delete('cookie');
  else headers.set('cookie', cookie);

  if (!opts.keepContentEncoding) headers.set('accept-encoding', 'identity');

  const chain = opts.trustedForwardedFor?.trim();
  headers.set('x-forwarded-for', chain ? `${chain}, ${opts.clientAddress}` : opts.clientAddress);
  headers.set('x-forwarded-proto', opts.proto);
  headers.set('x-forwarded-host', opts.host);
  headers.set('x-request-id', opts.requestId);
  if (opts.preserveHost) headers.set('host', opts.host);

  const identity = opts.identityHeaders instanceof Headers ? opts.identityHeaders : new Headers(opts.identityHeaders);
  for (const [name, value] of identity) headers.set(name, value);
  if (opts.traceparent !== undefined) headers.set('traceparent', opts.traceparent);
  return headers;
}

/** The response for the client: same status and body stream, cleaned headers. */
export function downstreamResponse(res: Response, opts: ForwardOptions): Response {
  if (res.status < 200 || res.status > 599) {
    void res.body?.cancel().catch(() => {});
    throw new UpstreamError('invalid_response', opts.upstream.origin, `status ${res.status}`);
  }
  const headers = downstreamResponseHeaders(res.headers, opts);
  const body = NULL_BODY_STATUSES.has(res.status) ? null : res.body;
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

export function downstreamResponseHeaders(upstream: Headers, opts: Pick<ForwardOptions, 'isGatewayCookie' | 'keepContentEncoding'>): Headers {
  const headers = new Headers();
  for (const [name, value] of upstream) if (name !== 'set-cookie') headers.append(name, value);
  for (const line of upstream.getSetCookie()) {
    if (!opts.isGatewayCookie(cookiePairName(line))) headers.append('set-cookie', line);
  }
  removeHopByHopHeaders(headers);
  if (!opts.keepContentEncoding && isDecodedByFetch(headers.get('content-encoding'))) {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return headers;
}

/** fetch decodes these codings (and only when every listed coding is one of them). */
function isDecodedByFetch(contentEncoding: string | null): boolean {
  if (!contentEncoding) return false;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return codings.length > 0 && codings.every((c) => ['gzip', 'x-gzip', 'deflate', 'br', 'zstd'].includes(c));
}

/** A short cause for logs: the socket error code when the runtime gives one. */
function failureCode(e: unknown): string {
  let current: unknown = e;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const err = current as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof err.code === 'string') return err.code;
    const first = err.errors?.[0] as { code?: unknown } | undefined;
    if (typeof first?.code === 'string') return first.code;
    current = err.cause;
  }
  return e instanceof Error ? e.message.slice(0, 120) : 'fetch failed';
}
