/** The gateway's own endpoints under /_auth/, dispatched from the decision's `endpoint`. */
import { IdpUnavailableError } from '../../oidc/provider';
import type { Gateway, RequestInfo } from '../context';
import type { Endpoint } from '../decide';
import { refuse } from '../handle';
import { handleCallback } from './callback';
import { handleForwardAuth } from './forward-auth';
import { handleLogin } from './login';
import { handleLogout } from './logout';
import { handleMe } from './me';

export async function serveEndpoint(gw: Gateway, req: Request, info: RequestInfo, endpoint: Endpoint): Promise<Response> {
  switch (endpoint) {
    case 'healthz':
      // Liveness only: it proxies nothing, so it is no side door.
      return new Response(req.method === 'HEAD' ? null : 'ok', { status: 200, headers: { 'content-type': 'text/plain; charset=UTF-8', 'cache-control': 'no-store' } });
    case 'login':
      try {
        return await handleLogin(gw, req, info);
      } catch (e) {
        if (!(e instanceof IdpUnavailableError)) throw e;
        return refuse(req, info, 'idp_unavailable', {}, { reason: e.message });
      }
    case 'callback':
      return handleCallback(gw, req, info);
    case 'logout':
      return handleLogout(gw, req, info);
    case 'me':
      return handleMe(gw, req, info);
    case 'jwks': {
      const body = JSON.stringify(gw.signer ? gw.signer.publicJwks() : { keys: [] });
      return new Response(req.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' } });
    }
    case 'verify':
      return handleForwardAuth(gw, req, info);
  }
}
