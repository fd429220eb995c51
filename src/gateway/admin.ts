/**
 * The admin listener's surface (`admin.listen`, loopback by default, never the public port):
 * Prometheus metrics at /metrics, and liveness and readiness for orchestrators.
 */
import { newRequestId } from '../http';
import type { Gateway } from './context';
import { refuse } from './refuse';
import { readiness } from './routes';

export function createAdminHandler(current: () => Gateway): (req: Request) => Promise<Response> {
  return async (req) => {
    const gw = current();
    const path = new URL(req.url).pathname;
    const requestId = newRequestId();
    const info = { requestId, log: gw.log.child({ requestId, admin: true }) };
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, info, 'method_not_allowed', { headers: new Headers({ allow: 'GET, HEAD' }) });
    if (path === '/metrics') {
      return new Response(req.method === 'HEAD' ? null : gw.metrics.render(), {
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' },
      });
    }
    if (path === '/_auth/healthz' || path === '/healthz')
      return new Response('ok', { headers: { 'content-type': 'text/plain; charset=UTF-8', 'cache-control': 'no-store' } });
    if (path === '/_auth/readyz' || path === '/readyz') return readiness(gw, req, info);
    return refuse(req, info, 'not_found');
  };
}
