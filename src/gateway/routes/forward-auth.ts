import type { CompiledApp } from '../../policy';
import { mappedHeaderNames } from '../../proxy';
import type { ForwardAuthProxy } from '../../config/schema';
import type { Gateway, RequestInfo } from '../context';
import { auditDecision, done, identityHeadersFor, outcomeLog, refusalResponse, refusedResponse, resolve, viewOf, withCookies } from '../handle';
import { refuse } from '../refuse';

/**
 * Forward-auth mode (`/_auth/verify`): another proxy asks whether a request may pass and copies the
 * identity headers from the answer. Which headers say what was asked depends on the proxy, and only
 * that proxy's family is believed (`forwardAuth.proxy`, or per address `forwardAuth.proxies`):
 *
 * - nginx `auth_request` sets `X-Original-URL` / `X-Original-Method` itself; the client's own
 *   `X-Forwarded-*` reach the gateway too and are ignored.
 * - Traefik `forwardAuth` and Caddy `forward_auth` set `X-Forwarded-Method`, `-Proto`, `-Host` and
 *   `-Uri` themselves but pass every other client header, so a client's `X-Original-URL` is ignored.
 * - Envoy's ext_authz HTTP service sends the original request itself: its method, its Host, and its
 *   path after `path_prefix: /_auth/verify`; `X-Forwarded-Proto` is Envoy's own.
 *
 * A request carrying the other family with a different target is refused 400: it is an attempt to
 * make the gateway decide about another request than the one being served. The headers are believed
 * only from `trustedProxies`; anyone else gets 403.
 *
 * Answers: 200 + identity headers (allow), 200 without (bypass), 403 (deny), and for a missing
 * sign-in 401, or a 302 to sign in for a browser behind Traefik or Caddy, which hand any non-2xx
 * answer to the client. nginx's auth_request only understands 2xx/401/403, so it gets 401 and its
 * `error_page 401` sends the browser to /_auth/login (see README).
 */
export type { ForwardAuthProxy };

/** Envoy's ext_authz HTTP service: `path_prefix: /_auth/verify` puts the original path after it. */
export const ENVOY_PATH_PREFIX = '/_auth/verify';

export interface OriginalRequest {
  method: string;
  /** Raw path + query as the proxy reported it. */
  target: string;
  host: string;
  proto: 'http' | 'https';
  /** nginx cannot pass a redirect through auth_request. */
  canRedirect: boolean;
}

export type OriginalRequestResult =
  | { ok: true; request: OriginalRequest }
  | { ok: false; code: 'missing_original_request' | 'conflicting_original_request'; reason: string };

type Target = { host?: string; target?: string };

function fromOriginalUrl(headers: Headers): (Target & { proto?: 'http' | 'https'; malformed?: boolean }) | undefined {
  const originalUrl = headers.get('x-original-url');
  if (originalUrl === null) return undefined;
  // Keep the raw path: parsing with URL would resolve dot segments before policy sees them.
  const m = /^(https?):\/\/([^/?#\s]+)(\/[^\s#]*)?$/i.exec(originalUrl.trim());
  if (!m) return { malformed: true };
  return { host: m[2]!, target: m[3] ?? '/', proto: m[1]!.toLowerCase() === 'https' ? 'https' : 'http' };
}

function fromForwarded(headers: Headers): (Target & { malformed?: boolean }) | undefined {
  const host = headers.get('x-forwarded-host')?.split(',')[0]?.trim();
  const uri = headers.get('x-forwarded-uri');
  if (uri === null) return undefined;
  if (!uri.startsWith('/') || /\s/.test(uri)) return { malformed: true };
  return { host: host || undefined, target: uri };
}

/** Whether the other family names another request than the believed one. */
function differs(believed: OriginalRequest, other: Target & { malformed?: boolean }): boolean {
  if (other.malformed) return true;
  if (other.target !== undefined && other.target !== believed.target) return true;
  return other.host !== undefined && other.host.toLowerCase() !== believed.host.toLowerCase();
}

/**
 * Reads the original request from the headers of the given proxy's family (Envoy: from the check
 * request itself, `self` = its method and raw target). Pure.
 */
export function originalRequest(headers: Headers, proxy: ForwardAuthProxy, self?: { method: string; rawTarget: string }): OriginalRequestResult {
  const original = fromOriginalUrl(headers);
  const forwarded = fromForwarded(headers);
  let request: OriginalRequest;
  if (proxy === 'envoy') {
    const host = headers.get('host');
    const raw = self?.rawTarget ?? '';
    if (!host || !raw.startsWith(`${ENVOY_PATH_PREFIX}/`))
      return {
        ok: false,
        code: 'missing_original_request',
        reason: 'envoy: the check request must be /_auth/verify/<original path> (path_prefix: /_auth/verify)',
      };
    const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https' ? 'https' : 'http';
    request = { method: (self?.method ?? 'GET').toUpperCase(), target: raw.slice(ENVOY_PATH_PREFIX.length), host, proto, canRedirect: true };
    if (original && differs(request, original))
      return { ok: false, code: 'conflicting_original_request', reason: 'X-Original-URL names another request than the one Envoy asks about' };
    if (forwarded && differs(request, forwarded))
      return { ok: false, code: 'conflicting_original_request', reason: 'X-Forwarded-Uri/-Host name another request than the one Envoy asks about' };
    return { ok: true, request };
  }
  if (proxy === 'nginx') {
    if (!original || original.malformed) return { ok: false, code: 'missing_original_request', reason: 'nginx: no valid X-Original-URL' };
    request = {
      method: (headers.get('x-original-method') ?? 'GET').toUpperCase(),
      target: original.target!,
      host: original.host!,
      proto: original.proto!,
      canRedirect: false,
    };
    if (forwarded && differs(request, forwarded))
      return { ok: false, code: 'conflicting_original_request', reason: 'X-Forwarded-Uri/-Host name another request than X-Original-URL' };
  } else {
    if (!forwarded || forwarded.malformed || !forwarded.host)
      return { ok: false, code: 'missing_original_request', reason: `${proxy}: no valid X-Forwarded-Host and X-Forwarded-Uri` };
    const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https' ? 'https' : 'http';
    request = { method: (headers.get('x-forwarded-method') ?? 'GET').toUpperCase(), target: forwarded.target!, host: forwarded.host, proto, canRedirect: true };
    if (original && differs(request, original))
      return { ok: false, code: 'conflicting_original_request', reason: 'X-Original-URL names another request than X-Forwarded-Host/-Uri' };
  }
  return { ok: true, request };
}

export async function handleForwardAuth(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const flag = { forwardAuth: true };
  if (!info.peerTrusted) {
    const res = refuse(req, info, 'untrusted_proxy', {}, { peer: info.peerAddress });
    return done(gw, info, req, res, { ...flag, error: 'untrusted_proxy', peer: info.peerAddress });
  }
  const proxy = gw.forwardAuthProxy(info.peerAddress);
  if (!proxy) return done(gw, info, req, refuse(req, info, 'forward_auth_disabled'), { ...flag, error: 'forward_auth_disabled' });
  const read = originalRequest(req.headers, proxy, { method: req.method, rawTarget: info.rawTarget });
  if (!read.ok) return done(gw, info, req, refuse(req, info, read.code, {}, { proxy, reason: read.reason }), { ...flag, proxy, error: read.code });
  const original = read.request;

  const origin = gw.publicUrl ? gw.publicUrl.origin : `${original.proto}://${original.host}`;
  const asked: RequestInfo = { ...info, host: original.host, proto: original.proto, origin, rawTarget: original.target };
  const view = viewOf(gw, req, asked, { method: original.method, canRedirect: original.canRedirect });
  const resolved = await resolve(gw, req, asked, view);
  Object.assign(flag, { proxy });
  if (resolved.kind === 'respond') return done(gw, asked, req, resolved.res, { ...resolved.log, ...flag });
  const { outcome, setCookies } = resolved;
  if (outcome.kind === 'endpoint') {
    // The gateway's own endpoints are served by the gateway, never guarded through another proxy.
    return done(gw, asked, req, refuse(req, asked, 'not_found'), { ...flag, endpoint: outcome.endpoint, error: 'not_found' });
  }
  if (outcome.kind === 'refused')
    return done(gw, asked, req, withCookies(refusedResponse(req, asked, outcome), setCookies), { ...outcomeLog(outcome), ...flag });
  if (outcome.kind === 'preflight') {
    // A CORS preflight carries no credentials: let it through to the app, with no identity.
    return done(gw, asked, req, new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } }), { ...outcomeLog(outcome), ...flag });
  }

  let res: Response;
  if (outcome.upstream) {
    const headers = new Headers({ 'cache-control': 'no-store' });
    // Every header the proxy may copy is present, empty when it does not apply (bypass, an absent
    // claim): Caddy's copy_headers would otherwise forward its unreplaced placeholder
    // "{http.reverse_proxy.header.X-Auth-User}", and a blank value overwrites a client's own copy.
    for (const name of forwardAuthHeaderNames(gw, outcome.app)) headers.set(name, '');
    for (const [k, v] of Object.entries(await identityHeadersFor(gw, outcome, outcome.upstream))) headers.set(k, v);
    res = new Response(null, { status: 200, headers });
  } else {
    res = await refusalResponse(gw, req, asked, outcome);
    if (res.status === 401 && !outcome.decision.bearerOnly) {
      // nginx cannot follow a redirect from auth_request; its error_page reads this instead.
      res = withHeader(res, 'x-auth-signin', `/_auth/login?rd=${encodeURIComponent(outcome.path + outcome.query)}`);
    }
  }
  auditDecision(gw, asked, outcome, res.status, { forwardAuth: true });
  return done(gw, asked, req, withCookies(res, setCookies), { ...outcomeLog(outcome), ...flag });
}

/** The identity headers an app's mapping can set, plus the assertion header. */
function forwardAuthHeaderNames(gw: Gateway, app: CompiledApp): string[] {
  const names = mappedHeaderNames(gw.compiled.appHeaders[app.id] ?? gw.compiled.defaultHeaders);
  if (gw.compiled.assertionHeader) names.push(gw.compiled.assertionHeader);
  return names;
}

function withHeader(res: Response, name: string, value: string): Response {
  const out = new Response(res.body, res);
  out.headers.set(name, value);
  return out;
}
