/** The gateway's own endpoints under /_auth/, dispatched from the decision's `endpoint`. */
import { IdpUnavailableError } from '../../oidc/provider';
import type { Gateway, RequestInfo } from '../context';
import type { Endpoint } from '../decide';
import { refuse } from '../refuse';
import { handleCallback } from './callback';
import { handleForwardAuth } from './forward-auth';
import { handleLogin } from './login';
import { handleLogout } from './logout';
import { handleMe } from './me';
import { handlePassword } from './password';
import { handlePasswordChallenge } from './password-challenge';

export async function serveEndpoint(gw: Gateway, req: Request, info: RequestInfo, endpoint: Endpoint): Promise<Response> {
  switch (endpoint) {
    case 'healthz':
      // Liveness only: it proxies nothing, so it is no side door.
      return new Response(req.method === 'HEAD' ? null : 'ok', {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=UTF-8', 'cache-control': 'no-store' },
      });
    case 'readyz':
      return readiness(gw, req, info);
    case 'login':
      try {
        return await handleLogin(gw, req, info);
      } catch (e) {
        if (!(e instanceof IdpUnavailableError)) throw e;
        return refuse(req, info, 'idp_unavailable', {}, { reason: e.message });
      }
    case 'password':
      return handlePassword(gw, req, info);
    case 'password-challenge':
      return handlePasswordChallenge(gw, req, info);
    case 'callback':
      return handleCallback(gw, req, info);
    case 'logout':
      return handleLogout(gw, req, info);
    case 'me':
      return handleMe(gw, req, info);
    case 'jwks': {
      const body = JSON.stringify(gw.signer ? gw.signer.publicJwks() : { keys: [] });
      return new Response(req.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      });
    }
    case 'verify':
      return handleForwardAuth(gw, req, info);
  }
}

/**
 * Readiness: 200 once the config is loaded and the pool's signing keys have been fetched (it tries a
 * fetch when they have not); 503 with the reason otherwise, and 503 while the process drains, so a
 * load balancer stops sending before the listener closes. Liveness stays /_auth/healthz.
 */
export async function readiness(gw: Gateway, req: Request, info: Pick<RequestInfo, 'requestId' | 'log'>): Promise<Response> {
  if (gw.deps.isDraining?.()) return refuse(req, info, 'not_ready', { detail: 'draining' });
  // Every realm's pool (realms of the default pool share its key set).
  const loaded = await Promise.all([...new Set([...gw.realms.byName.values()].map((r) => r.verifier))].map((v) => v.keysLoaded()));
  if (loaded.includes(false)) return refuse(req, info, 'not_ready', { detail: 'the signing keys (JWKS) could not be fetched yet' });
  return new Response(req.method === 'HEAD' ? null : JSON.stringify({ ready: true }), {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
