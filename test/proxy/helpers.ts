/**
 * Loopback peers for the proxy tests: a recording node:http upstream, a gateway (Hono on
 * @hono/node-server) whose only job is forwardRequest, and a raw client that can send header
 * spellings (X_Auth_User) that Web clients would normalise.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { forwardRequest, type ForwardOptions } from '../../src/proxy/forward';
import { UpstreamError } from '../../src/proxy/upstream-error';
import { BASE_IDENTITY_STRIP_RULES, mergeStripRules } from '../../src/proxy/headers';

export interface RecordedRequest {
  method: string;
  url: string;
  /** [name, value] pairs exactly as they arrived. */
  rawHeaders: Array<[string, string]>;
  body: string;
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Upstream {
  url: URL;
  requests: RecordedRequest[];
  /** Handlers by exact path (before '?'); others echo the request as JSON after reading the body. */
  routes: Map<string, UpstreamHandler>;
  close(): Promise<void>;
}

export function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

export async function startUpstream(): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, UpstreamHandler>();
  const server = http.createServer((req, res) => {
    const route = routes.get((req.url ?? '').split('?')[0]!);
    if (route) return route(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', rawHeaders: pairs(req.rawHeaders), body: Buffer.concat(chunks).toString() };
      requests.push(rec);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(rec));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    requests,
    routes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Per-test knobs of the gateway under test. */
export interface GatewaySettings {
  upstream: URL;
  fetch: typeof fetch;
  identityHeaders: Record<string, string>;
  trustPeer: boolean;
  timeoutMs?: number;
  preserveHost?: boolean;
  keepContentEncoding?: boolean;
}

export const TEST_STRIP_RULES = mergeStripRules(BASE_IDENTITY_STRIP_RULES, {
  names: ['X-Auth-User', 'X-Auth-Email', 'X-Auth-Groups', 'X-Auth-Assertion'],
  prefixes: ['X-Auth-'],
});

export const isGatewayCookie = (name: string) => name === 'gw_session' || name.startsWith('gw_login_');

/** Raw path and query of a request URL, untouched (URL.search would drop a bare '?'). */
export function rawTarget(url: string): { path: string; query: string } {
  const afterOrigin = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  const q = afterOrigin.indexOf('?');
  return q === -1 ? { path: afterOrigin, query: '' } : { path: afterOrigin.slice(0, q), query: afterOrigin.slice(q) };
}

export async function startGateway(settings: () => GatewaySettings): Promise<{ port: number; close(): Promise<void> }> {
  const app = new Hono();
  app.all('*', async (c) => {
    const s = settings();
    const { path, query } = rawTarget(c.req.url);
    const opts: ForwardOptions = {
      upstream: s.upstream,
      path,
      query,
      identityHeaders: s.identityHeaders,
      strip: TEST_STRIP_RULES,
      isGatewayCookie,
      clientAddress: getConnInfo(c).remote.address ?? '',
      proto: 'http',
      host: c.req.header('host') ?? '',
      trustedForwardedFor: s.trustPeer ? c.req.header('x-forwarded-for') : undefined,
      requestId: 'req-test-1',
      fetch: s.fetch,
      timeoutMs: s.timeoutMs,
      preserveHost: s.preserveHost,
      keepContentEncoding: s.keepContentEncoding,
    };
    try {
      return await forwardRequest(c.req.raw, opts);
    } catch (e) {
      if (e instanceof UpstreamError) return c.json({ kind: e.kind, detail: e.detail }, e.status);
      throw e;
    }
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  rawHeaders: Array<[string, string]>;
  body: string;
}

/** An HTTP/1.1 request with headers sent exactly as given (names keep their case and underscores). */
export function rawRequest(port: number, method: string, target: string, headers: Array<[string, string]>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, agent: false });
    for (const [name, value] of headers) req.setHeader(name, value);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: pairs(res.rawHeaders), body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const headerValues = (raw: Array<[string, string]>, name: string) => raw.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);

/** Resolves with the value, or rejects with a message after ms: turns a hang into a readable failure. */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), ms))]);
}
