import type { Gateway, RequestInfo } from '../context';
import { done, identityHeadersFor, outcomeLog, refusalResponse, refusedResponse, refuse, resolve, viewOf, withCookies } from '../handle';

/**
 * Forward-auth mode (`/_auth/verify`): another proxy asks whether a request may pass and copies the
 * identity headers from the answer. nginx `auth_request` sends `X-Original-URL` (and, if configured,
 * `X-Original-Method`); Traefik `forwardAuth` and Caddy `forward_auth` send `X-Forwarded-Method`,
 * `-Proto`, `-Host` and `-Uri`. Those headers decide what is being asked about, so they are believed
 * only from a configured proxy address (trustedProxies); from anyone else the endpoint refuses.
 *
 * Answers: 200 + identity headers (allow), 200 without (bypass), 403 (deny), and for a missing
 * sign-in 401, or a 302 to sign in for a browser behind Traefik or Caddy, which hand any non-2xx
 * answer to the client. nginx's auth_request only understands 2xx/401/403, so it gets 401 and its
 * `error_page 401` sends the browser to /_auth/login (see README).
 */
export interface OriginalRequest {
  method: string;
  /** Raw path + query as the proxy reported it. */
  target: string;
  host: string;
  proto: 'http' | 'https';
  /** nginx cannot pass a redirect through auth_request. */
  canRedirect: boolean;
}

/** Reads the original request from the proxy's headers. Pure. Undefined when they are missing or malformed. */
export function originalRequest(headers: Headers): OriginalRequest | undefined {
  const originalUrl = headers.get('x-original-url');
  if (originalUrl) {
    // Keep the raw path: parsing with URL would resolve dot segments before policy sees them.
    const m = /^(https?):\/\/([^/?#\s]+)(\/[^\s#]*)?$/i.exec(originalUrl.trim());
    if (!m) return undefined;
    return {
      method: (headers.get('x-original-method') ?? headers.get('x-forwarded-method') ?? 'GET').toUpperCase(),
      target: m[3] ?? '/',
      host: m[2]!,
      proto: m[1]!.toLowerCase() === 'https' ? 'https' : 'http',
      canRedirect: false,
    };
  }
  const host = headers.get('x-forwarded-host')?.split(',')[0]?.trim();
  const uri = headers.get('x-forwarded-uri');
  if (!host || !uri || !uri.startsWith('/') || /\s/.test(uri)) return undefined;
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https' ? 'https' : 'http';
  return {
    method: (headers.get('x-forwarded-method') ?? 'GET').toUpperCase(),
    target: uri,
    host,
    proto,
    canRedirect: true,
  };
}

export async function handleForwardAuth(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const flag = { forwardAuth: true };
  if (!info.peerTrusted) {
    const res = refuse(req, info, 'untrusted_proxy', {}, { peer: info.peerAddress });
    return done(gw, info, req, res, { ...flag, error: 'untrusted_proxy', peer: info.peerAddress });
  }
  const original = originalRequest(req.headers);
  if (!original) return done(gw, info, req, refuse(req, info, 'missing_original_request'), { ...flag, error: 'missing_original_request' });

  const origin = gw.publicUrl ? gw.publicUrl.origin : `${original.proto}://${original.host}`;
  const asked: RequestInfo = { ...info, host: original.host, proto: original.proto, origin, rawTarget: original.target };
  const view = viewOf(gw, req, asked, { method: original.method, canRedirect: original.canRedirect });
  const resolved = await resolve(gw, req, asked, view);
  if (resolved.kind === 'respond') return done(gw, asked, req, resolved.res, { ...resolved.log, ...flag });
  const { outcome, setCookies } = resolved;
  if (outcome.kind === 'endpoint') {
    // The gateway's own endpoints are served by the gateway, never guarded through another proxy.
    return done(gw, asked, req, refuse(req, asked, 'not_found'), { ...flag, endpoint: outcome.endpoint, error: 'not_found' });
  }
  if (outcome.kind === 'refused') return done(gw, asked, req, withCookies(refusedResponse(req, asked, outcome), setCookies), { ...outcomeLog(outcome), ...flag });

  let res: Response;
  if (outcome.upstream) {
    const headers = new Headers({ 'cache-control': 'no-store' });
    for (const [k, v] of Object.entries(await identityHeadersFor(gw, outcome, outcome.upstream))) headers.set(k, v);
    res = new Response(null, { status: 200, headers });
  } else {
    res = await refusalResponse(gw, req, asked, outcome);
    if (res.status === 401 && !outcome.decision.bearerOnly) {
      // nginx cannot follow a redirect from auth_request; its error_page reads this instead.
      res = withHeader(res, 'x-auth-signin', `/_auth/login?rd=${encodeURIComponent(outcome.path + outcome.query)}`);
    }
  }
  return done(gw, asked, req, withCookies(res, setCookies), { ...outcomeLog(outcome), ...flag });
}

function withHeader(res: Response, name: string, value: string): Response {
  const out = new Response(res.body, res);
  out.headers.set(name, value);
  return out;
}
