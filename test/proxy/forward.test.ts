/**
 * forwardRequest against a recording node:http upstream over loopback, with undici's and the global
 * fetch: method, path, query and body byte-for-byte (base path prefixed), bodies streamed both ways,
 * hop-by-hop headers dropped both ways, spoofed identity headers and look-alikes stripped (also on
 * bypass), gateway cookies removed from Cookie and from upstream Set-Cookie, X-Forwarded-* replaced
 * from untrusted peers and extended from trusted ones, redirects untouched, identity encoding asked
 * for, a refused connection 502 unreachable and a slow upstream 504 naming the configured time limit;
 * preserveHost sends the client's Host.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { headerValues, rawRequest, startGateway, startUpstream, within, type GatewaySettings, type Upstream } from './helpers';

/** How CGI-style upstreams read a header name (independent of the code under test). */
const canonicalHeaderName = (n: string) => n.toLowerCase().replaceAll('_', '-');

const fetchImpls: Array<[string, typeof fetch]> = [
  ['undici fetch', undiciFetch as unknown as typeof fetch],
  ['global fetch', globalThis.fetch],
];

describe.each(fetchImpls)('forwardRequest with %s', (_name, fetchImpl) => {
  let upstream: Upstream;
  let gateway: { port: number; close(): Promise<void> };
  let settings: GatewaySettings;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(() => settings);
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    settings = { upstream: upstream.url, fetch: fetchImpl, identityHeaders: { 'X-Auth-User': 'alice' }, trustPeer: false };
  });

  const lastRequest = () => {
    const r = upstream.requests.at(-1);
    if (!r) throw new Error('the upstream received no request');
    return r;
  };

  it('keeps method, path and query byte-for-byte, and the body', async () => {
    const target = '/p/a%2Fb/%7Euser/caf%C3%A9;v=1?a=1&a=2&b=%20x&c';
    const res = await rawRequest(gateway.port, 'PATCH', target, [['content-type', 'text/plain']], 'payload');
    expect(res.status).toBe(200);
    expect(lastRequest()).toMatchObject({ method: 'PATCH', url: target, body: 'payload' });

    await rawRequest(gateway.port, 'PURGE', '/x?', []);
    expect(lastRequest()).toMatchObject({ method: 'PURGE', url: '/x?' });
  });

  it('calls the injected fetch unbound (workerd throws "Illegal invocation" for fetch called as a method)', async () => {
    settings.fetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return fetchImpl(input, init);
    } as typeof fetch;
    const res = await rawRequest(gateway.port, 'GET', '/unbound', []);
    expect(res.status).toBe(200);
    expect(lastRequest().url).toBe('/unbound');
  });

  it('prefixes the upstream base path', async () => {
    settings.upstream = new URL('/base/', upstream.url);
    await rawRequest(gateway.port, 'GET', '/inner?q=%2F', []);
    expect(lastRequest().url).toBe('/base/inner?q=%2F');
  });

  it('streams the request body: the upstream sees the first chunk before the client has finished', async () => {
    let firstChunk!: () => void;
    const upstreamGotFirstChunk = new Promise<void>((r) => (firstChunk = r));
    upstream.routes.set('/slow-request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
        firstChunk();
      });
      req.on('end', () => res.end(`got:${body}`));
    });
    const client = http.request({ host: '127.0.0.1', port: gateway.port, method: 'POST', path: '/slow-request', agent: false });
    const response = new Promise<string>((resolve, reject) => {
      client.on('response', (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve(b));
      });
      client.on('error', reject);
    });
    client.flushHeaders();
    client.write('first;');
    await within(5_000, upstreamGotFirstChunk, 'upstream to receive the first chunk while the client is still sending');
    client.end('second');
    expect(await response).toBe('got:first;second');
  });

  it('streams the response body: the client sees the first chunk before the upstream has finished', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    upstream.routes.set('/slow-response', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      void released.then(() => res.end('second'));
    });
    const text = await within(
      5_000,
      new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: gateway.port, path: '/slow-response', agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
            if (body === 'first;') release(); // only the first chunk can have arrived: the upstream waits for this
          });
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
      }),
      'the client to receive the first chunk while the upstream is still sending',
    );
    expect(text).toBe('first;second');
  });

  it('drops hop-by-hop request headers, including the ones Connection names', async () => {
    await rawRequest(gateway.port, 'GET', '/hop', [
      ['Connection', 'keep-alive, X-Custom-Hop'],
      ['X-Custom-Hop', 'secret-hop'],
      ['Keep-Alive', 'timeout=77'],
      ['TE', 'trailers'],
      ['Upgrade', 'h2c'],
      ['Proxy-Authorization', 'Basic Zm9vOmJhcg=='],
      ['X-Ordinary', 'kept'],
    ]);
    const names = lastRequest().rawHeaders.map(([n]) => n.toLowerCase());
    for (const hop of ['x-custom-hop', 'keep-alive', 'te', 'upgrade', 'proxy-authorization']) expect(names).not.toContain(hop);
    expect(headerValues(lastRequest().rawHeaders, 'connection').join()).not.toMatch(/x-custom-hop/i);
    expect(headerValues(lastRequest().rawHeaders, 'x-ordinary')).toEqual(['kept']);
  });

  it('drops hop-by-hop response headers, including the ones Connection names', async () => {
    upstream.routes.set('/hop-response', (_req, res) => {
      res.setHeader('Connection', 'keep-alive, X-Up-Hop');
      res.setHeader('X-Up-Hop', 'secret');
      res.setHeader('Keep-Alive', 'timeout=77');
      res.setHeader('Proxy-Authenticate', 'Basic realm="x"');
      res.setHeader('Upgrade', 'foo');
      res.setHeader('X-Ordinary', 'kept');
      res.end('ok');
    });
    const res = await rawRequest(gateway.port, 'GET', '/hop-response', []);
    expect(res.body).toBe('ok');
    const names = res.rawHeaders.map(([n]) => n.toLowerCase());
    for (const hop of ['x-up-hop', 'proxy-authenticate', 'upgrade']) expect(names).not.toContain(hop);
    expect(headerValues(res.rawHeaders, 'keep-alive').join()).not.toContain('77');
    expect(headerValues(res.rawHeaders, 'x-ordinary')).toEqual(['kept']);
  });

  it('strips spoofed identity headers and their look-alikes, then adds its own', async () => {
    const spoofed: Array<[string, string]> = [
      ['X-Auth-User', 'mallory'],
      ['X_Auth_User', 'mallory'],
      ['x-auth_user', 'mallory'],
      ['X-Auth-Groups', 'admins'],
      ['X_AUTH_ASSERTION', 'forged'],
      ['X-Auth-Anything', 'x'],
      ['X-Forwarded-User', 'mallory'],
      ['X_Forwarded_Email', 'mallory@evil.example'],
      ['x-forwarded-preferred_username', 'mallory'],
      ['Remote-User', 'mallory'],
      ['remote_groups', 'admins'],
      ['X-Auth-Request-Email', 'mallory@evil.example'],
      ['X-Amzn-Oidc-Data', 'forged'],
      ['x_amzn_oidc_identity', 'forged'],
      ['X-Request-Id', 'forged-id'],
      ['X-Real-IP', '6.6.6.6'],
      ['Forwarded', 'for=6.6.6.6'],
      ['X-Original-URL', '/admin/'],
      ['X_Forwarded_Prefix', '/evil'],
      ['X-Custom', 'kept'],
      ['X_Custom_Thing', 'kept-too'],
    ];
    await rawRequest(gateway.port, 'GET', '/spoof', spoofed);
    const raw = lastRequest().rawHeaders;
    // The only identity-like headers left are the ones the gateway set.
    const identityLike = raw.filter(([n]) => /^(x-auth-|x-forwarded-(user|email|groups|preferred)|remote-|x-amzn-oidc-)/.test(canonicalHeaderName(n)));
    expect(identityLike).toEqual([['x-auth-user', 'alice']]);
    expect(headerValues(raw, 'x-request-id')).toEqual(['req-test-1']);
    const names = raw.map(([n]) => canonicalHeaderName(n));
    for (const gone of ['x-real-ip', 'forwarded', 'x-original-url', 'x-forwarded-prefix']) expect(names).not.toContain(gone);
    expect(headerValues(raw, 'x-custom')).toEqual(['kept']);
    expect(headerValues(raw, 'x_custom_thing')).toEqual(['kept-too']);
  });

  it('strips spoofed identity headers on a route that adds none (bypass)', async () => {
    settings.identityHeaders = {};
    await rawRequest(gateway.port, 'GET', '/public/', [
      ['X_Auth_User', 'mallory'],
      ['Remote-User', 'mallory'],
    ]);
    const names = lastRequest().rawHeaders.map(([n]) => canonicalHeaderName(n));
    expect(names).not.toContain('x-auth-user');
    expect(names).not.toContain('remote-user');
  });

  it('removes gateway cookies from Cookie, and drops Cookie when nothing is left', async () => {
    await rawRequest(gateway.port, 'GET', '/c', [['Cookie', 'gw_session=SECRET; app=1; gw_login_abc=x; other=2']]);
    expect(headerValues(lastRequest().rawHeaders, 'cookie')).toEqual(['app=1; other=2']);

    await rawRequest(gateway.port, 'GET', '/c', [['Cookie', 'gw_session=SECRET; gw_login_abc=x']]);
    expect(headerValues(lastRequest().rawHeaders, 'cookie')).toEqual([]);
  });

  it("drops upstream Set-Cookie for gateway cookies and keeps the app's", async () => {
    upstream.routes.set('/set-cookies', (_req, res) => {
      res.setHeader('Set-Cookie', ['gw_session=evil; Path=/', 'app=1; Path=/; HttpOnly', 'gw_login_x=1', 'theme=dark']);
      res.end('ok');
    });
    const res = await rawRequest(gateway.port, 'GET', '/set-cookies', []);
    expect(headerValues(res.rawHeaders, 'set-cookie')).toEqual(['app=1; Path=/; HttpOnly', 'theme=dark']);
  });

  it('replaces X-Forwarded-* from an untrusted peer', async () => {
    await rawRequest(gateway.port, 'GET', '/xff', [
      ['X-Forwarded-For', '1.2.3.4'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'evil.example'],
      ['Host', 'app.example:8080'],
    ]);
    const raw = lastRequest().rawHeaders;
    expect(headerValues(raw, 'x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(headerValues(raw, 'x-forwarded-proto')).toEqual(['http']);
    expect(headerValues(raw, 'x-forwarded-host')).toEqual(['app.example:8080']);
    // Without preserveHost the upstream sees its own host.
    expect(headerValues(raw, 'host')).toEqual([upstream.url.host]);
  });

  it('keeps the X-Forwarded-For chain from a trusted peer and appends the peer', async () => {
    settings.trustPeer = true;
    await rawRequest(gateway.port, 'GET', '/xff', [['X-Forwarded-For', '1.2.3.4, 10.0.0.1']]);
    expect(headerValues(lastRequest().rawHeaders, 'x-forwarded-for')).toEqual(['1.2.3.4, 10.0.0.1, 127.0.0.1']);
  });

  it('passes upstream redirects through untouched', async () => {
    upstream.routes.set('/redirect', (_req, res) => {
      res.writeHead(302, { location: 'http://elsewhere.example/landing?x=1' });
      res.end();
    });
    const res = await rawRequest(gateway.port, 'GET', '/redirect', []);
    expect(res.status).toBe(302);
    expect(headerValues(res.rawHeaders, 'location')).toEqual(['http://elsewhere.example/landing?x=1']);
  });

  it('asks for an identity encoding and never passes on a Content-Encoding that fetch has decoded', async () => {
    upstream.routes.set('/gzip', (req, res) => {
      res.setHeader('x-seen-accept-encoding', String(req.headers['accept-encoding']));
      // A misbehaving upstream that compresses anyway.
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync('hello, plain text'));
    });
    const res = await rawRequest(gateway.port, 'GET', '/gzip', [['Accept-Encoding', 'gzip, br']]);
    expect(headerValues(res.rawHeaders, 'x-seen-accept-encoding')).toEqual(['identity']);
    expect(headerValues(res.rawHeaders, 'content-encoding')).toEqual([]);
    expect(res.body).toBe('hello, plain text');
  });

  it('maps a refused connection to UpstreamError unreachable (502)', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    settings.upstream = new URL(`http://127.0.0.1:${port}`);
    const res = await rawRequest(gateway.port, 'GET', '/x', []);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'unreachable' });
  });

  it('maps a slow upstream to UpstreamError timeout (504) after timeoutMs', async () => {
    upstream.routes.set('/sleep', (_req, res) => {
      const t = setTimeout(() => res.end('late'), 3_000);
      res.on('close', () => clearTimeout(t));
    });
    settings.timeoutMs = 300;
    const res = await rawRequest(gateway.port, 'GET', '/sleep', []);
    // The upstream would answer after 3 s: a 504 naming 300 ms is the configured limit at work.
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toEqual({ kind: 'timeout', detail: 'no response headers within 300 ms' });
  });
});

describe('preserveHost', () => {
  let upstream: Upstream;
  let gateway: { port: number; close(): Promise<void> };
  // WHATWG fetch drops Host; a Node fetch that honours preserveHost reads it from init.headers and
  // puts it back at the dispatcher. This is the recipe the Node runtime can use.
  const agent = new Agent();
  const hostPreservingFetch = ((input: string, init: RequestInit & { dispatcher?: unknown }) => {
    const host = new Headers(init.headers).get('host');
    const dispatcher = host
      ? agent.compose((dispatch) => (opts, handler) => dispatch({ ...opts, headers: { ...(opts.headers as Record<string, string>), host } }, handler))
      : agent;
    return undiciFetch(input, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1]);
  }) as unknown as typeof fetch;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(() => ({ upstream: upstream.url, fetch: hostPreservingFetch, identityHeaders: {}, trustPeer: false, preserveHost: true }));
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
    await agent.close();
  });

  it("sends the client's Host to the upstream", async () => {
    await rawRequest(gateway.port, 'GET', '/h', [['Host', 'app.example']]);
    expect(headerValues(upstream.requests.at(-1)!.rawHeaders, 'host')).toEqual(['app.example']);
  });
});
