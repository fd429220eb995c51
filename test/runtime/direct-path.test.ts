/**
 * The Node entry's direct path (requests for apps served straight from the node:http handler, not
 * through @hono/node-server's listener) against the listener it replaced: the same bytes for the
 * gateway's own answers (refusal pages, HEAD, a sign-in redirect with two Set-Cookie lines, a 403
 * whose re-sealed session goes out with it), the same header values for decisions, an upstream
 * request aborted when the client leaves (mid-body too), and an in-flight count that drain relies on.
 */
import http from 'node:http';
import net from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log';
import { IncomingHeaders } from '../../src/runtime/node-request';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { TestBrowser } from '../helpers/browser';
import { rawConnection } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';
import { rawExchange } from '../proxy/raw-peers';

/** An upstream on node:net that records what each connection received and when it closed. */
interface HoldingUpstream {
  url: string;
  /** Per connection: the bytes so far and whether the gateway closed it. */
  connections: Array<{ bytes: Buffer; closed: boolean }>;
  /** Resolves when a connection has received `text` (from the start of the request). */
  received(text: string): Promise<number>;
  /** Resolves when connection `i` is closed. */
  closed(i: number): Promise<void>;
  close(): Promise<void>;
}

/** Never answers: every request is held until the gateway gives up on it. */
async function startHoldingUpstream(): Promise<HoldingUpstream> {
  const sockets = new Set<net.Socket>();
  const waiters: Array<() => void> = [];
  const up: HoldingUpstream = {
    url: '',
    connections: [],
    received: (text) =>
      new Promise((resolve) => {
        const check = () => {
          const i = up.connections.findIndex((c) => c.bytes.includes(text));
          if (i === -1) return false;
          resolve(i);
          return true;
        };
        if (!check()) waiters.push(() => void check());
      }),
    closed: (i) =>
      new Promise((resolve) => {
        const check = () => {
          if (!up.connections[i]?.closed) return false;
          resolve();
          return true;
        };
        if (!check()) waiters.push(() => void check());
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const conn = { bytes: Buffer.alloc(0), closed: false };
    up.connections.push(conn);
    socket.on('data', (c: Buffer) => {
      conn.bytes = Buffer.concat([conn.bytes, c]);
      wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closed = true;
      sockets.delete(socket);
      wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return up;
}

let clock = Date.now();
let stack: Stack;
/** The same config and clock, every request through @hono/node-server's listener. */
let viaHono: RunningGateway;

beforeAll(async () => {
  stack = await startStack({ now: () => clock });
  viaHono = await startNodeGateway({ config: stack.config, port: 0, host: '127.0.0.1', logger: createMemoryLogger(), now: () => clock, directProxy: false });
});
afterAll(async () => {
  await viaHono?.close();
  await stack?.close();
});

/** A raw request to a gateway, its Host naming that gateway. */
async function exchange(port: number, request: string): Promise<string> {
  const text = request.replace('Host: GW', `Host: 127.0.0.1:${port}`);
  const done = (b: Buffer) => {
    const end = b.indexOf('\r\n\r\n');
    if (end === -1) return false;
    const cl = /\r\ncontent-length: *(\d+)/i.exec(b.subarray(0, end).toString('latin1'));
    return request.startsWith('HEAD') || !cl || b.length >= end + 4 + Number(cl[1]);
  };
  return (await rawExchange(port, text, { until: done })).toString('latin1');
}

/** What differs between two answers to the same request: ids, the date, the port, and the random parts of a sign-in. */
function masked(raw: string, port: number): string {
  const id = /\r\nx-request-id: ([A-Za-z0-9_-]{16})\r\n/i.exec(raw)?.[1];
  let out = id ? raw.replaceAll(id, '<request-id>') : raw;
  out = out.replaceAll(String(port), '<port>').replace(/\r\nDate: [^\r]+/, '\r\nDate: <date>');
  out = out.replace(/(state|nonce|code_challenge)=[A-Za-z0-9_-]+/g, '$1=<random>');
  // Sealed values (iron: Fe26.2*…) and the state prefix in a login cookie's name.
  out = out.replace(/_login_(?!1_abcdefgh)[0-9a-z]+_[A-Za-z0-9_-]{8}=/g, '_login_<time>_<state>=').replace(/=Fe26\.2\*[^;\r]+/g, '=<sealed>');
  return out;
}

async function bothWays(request: string): Promise<{ direct: string; hono: string }> {
  const d = await exchange(stack.gateway.port, request);
  const h = await exchange(viaHono.port, request);
  return { direct: masked(d, stack.gateway.port), hono: masked(h, viaHono.port) };
}

describe('the direct path answers byte for byte as @hono/node-server’s listener', () => {
  it('a JSON 401, and its HEAD without a body but with the same head', async () => {
    const get = await bothWays('GET /dashboard HTTP/1.1\r\nHost: GW\r\nAccept: application/json\r\n\r\n');
    expect(get.direct.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(get.direct).toContain('\r\n\r\n{"error":"unauthorized","error_description":"Sign in to continue.","request_id":"<request-id>"}');
    expect(get.direct).toBe(get.hono);

    const head = await bothWays('HEAD /dashboard HTTP/1.1\r\nHost: GW\r\nAccept: application/json\r\n\r\n');
    expect(head.direct.endsWith('\r\n\r\n')).toBe(true);
    expect(head.direct.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(head.direct).toBe(head.hono);
  });

  it('a JSON 401 for a POST with a body nobody reads', async () => {
    const res = await bothWays('POST /dashboard HTTP/1.1\r\nHost: GW\r\nAccept: text/html\r\nContent-Length: 3\r\n\r\na=1');
    expect(res.direct.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(res.direct).toBe(res.hono);
  });

  it('a sign-in redirect that also deletes an expired login cookie: two Set-Cookie lines', async () => {
    const res = await bothWays('GET /dashboard?a=1 HTTP/1.1\r\nHost: GW\r\nAccept: text/html\r\nCookie: _cgw_login_1_abcdefgh=old\r\n\r\n');
    expect(res.direct.split('\r\n')[0]).toBe('HTTP/1.1 302 Found');
    expect(res.direct.split('\r\n').filter((l) => l.toLowerCase().startsWith('set-cookie:'))).toHaveLength(2);
    expect(res.direct).toContain('\r\nset-cookie: _cgw_login_1_abcdefgh=; Max-Age=0;');
    expect(res.direct).toBe(res.hono);
  });

  it('a 403 HTML page, then the same page carrying the re-sealed session cookie (a streamed body)', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const request = `GET /admin/users HTTP/1.1\r\nHost: GW\r\nAccept: text/html\r\nCookie: ${b.cookieHeader(stack.url)!}\r\n\r\n`;
    const page = await bothWays(request);
    expect(page.direct.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(page.direct).toContain('\r\ncontent-type: text/html; charset=utf-8\r\n');
    expect(page.direct).toContain('Signed in as <strong>bob</strong>.');
    expect(page.direct).not.toContain('set-cookie');
    expect(page.direct).toBe(page.hono);

    // Past the last-seen write interval: the session is re-sealed with the answer.
    clock += 61_000;
    const resealed = await bothWays(request);
    expect(resealed.direct.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(resealed.direct).toMatch(/\r\nset-cookie: _cgw_session=<sealed>; /);
    expect(resealed.direct).toContain('Signed in as <strong>bob</strong>.');
    expect(resealed.direct).toBe(resealed.hono);
  });
});

describe('request headers as the decision reads them', () => {
  it('reads every value as @hono/node-server’s lightweight Request does (repeats, Cookie, dropped duplicates, whitespace, obs-text)', async () => {
    const names = ['host', 'cookie', 'x-forwarded-for', 'authorization', 'user-agent', 'accept', 'x-empty', 'x-absent', 'X-Mixed-Case', 'x-bad', 'Traceparent'];
    const seen: Array<{ ours: Array<string | null>; hono: Array<string | null>; oursHas: boolean[]; honoHas: boolean[] }> = [];
    const hono = getRequestListener((req) => {
      const ours = new IncomingHeaders(current!);
      seen.push({
        ours: names.map((n) => ours.get(n)),
        hono: names.map((n) => req.headers.get(n)),
        oursHas: names.map((n) => ours.has(n)),
        honoHas: names.map((n) => req.headers.has(n)),
      });
      return new Response('ok');
    });
    let current: http.IncomingMessage | undefined;
    const server = http.createServer((req, res) => {
      current = req;
      void hono(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const requests = [
        'GET / HTTP/1.1\r\nHost: a.example\r\nCookie: a=1\r\nCookie: b=2\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\nUser-Agent:  spaced  \r\nX-Empty:\r\nx-mixed-case: v\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n',
        // Node's parser refuses NUL, CR and LF in values before any listener; obs-text passes.
        'GET / HTTP/1.1\r\nHost: b.example\r\nAccept: text/html\r\nX-Bad: caf\u00e9\r\nX-Bad: \u00ff\r\n\r\n',
      ];
      for (const r of requests) await rawExchange(port, r, { until: (b) => b.includes('\r\n\r\nok') });
    } finally {
      server.close();
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]!.ours.slice(0, 4)).toEqual(['a.example', 'a=1; b=2', '1.1.1.1, 2.2.2.2', 'Bearer one, Bearer two']);
    for (const s of seen) {
      expect(s.ours).toEqual(s.hono);
      expect(s.oursHas).toEqual(s.honoHas);
    }
  });
});

describe('client aborts and the in-flight count', () => {
  let up: HoldingUpstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    up = await startHoldingUpstream();
    const config = structuredClone(stack.config);
    for (const app of config.apps) if (app.id === 'demo') app.upstream = up.url;
    gw = await startNodeGateway({ config, port: 0, host: '127.0.0.1', logger: createMemoryLogger() });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  it('a client that leaves mid-body aborts the upstream request, and is no longer in flight', async () => {
    const client = net.connect(gw.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    client.write(`POST /public/upload HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n`);
    // undici sends a chunk's closing CRLF with the next chunk.
    const i = await up.received('5\r\nfirst');
    expect(up.connections[i]!.bytes.toString('latin1')).toMatch(/^POST \/public\/upload HTTP\/1\.1\r\n/);
    client.destroy();
    await up.closed(i);
    expect(up.connections[i]!.closed).toBe(true);
  });

  it('a client that leaves before the answer aborts a GET too', async () => {
    const client = net.connect(gw.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    client.write(`GET /public/slow HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n\r\n`);
    const i = await up.received('GET /public/slow ');
    client.destroy();
    await up.closed(i);
    expect(up.connections[i]!.closed).toBe(true);
  });

  it('drain counts the one request still waiting for its upstream, and nothing for those that left', async () => {
    const client = net.connect(gw.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    client.write(`GET /public/held HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n\r\n`);
    await up.received('GET /public/held ');
    expect(await gw.drain(200)).toEqual({ cut: 1 });
    client.destroy();
  });
});

describe('an upstream that answers before it reads the request body', () => {
  let upstream: http.Server;
  let gw: RunningGateway;
  let upstreamSawBytes = 0;
  beforeAll(async () => {
    // Answers 413 at once, before reading the body (as an upstream refusing an upload does); Node's
    // server then reads and discards the rest to keep the connection.
    upstream = http.createServer((req, res) => {
      if (req.method === 'POST') {
        req.on('data', (c: Buffer) => (upstreamSawBytes += c.length));
        res.writeHead(413, { 'content-type': 'text/plain' });
        res.end('too large');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.url}`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const config = structuredClone(stack.config);
    for (const app of config.apps) if (app.id === 'demo') app.upstream = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
    gw = await startNodeGateway({ config, port: 0, host: '127.0.0.1', logger: createMemoryLogger() });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((r) => upstream.close(r));
  });

  it('its answer reaches the client, and the next request on the same connection is answered', async () => {
    const { client, until, text: received } = await rawConnection(gw.port);
    const body = 'x'.repeat(256 * 1024);
    client.write(`POST /public/upload HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await until(/too large/);
    expect(received()).toMatch(/^HTTP\/1\.1 413 /);
    client.write(`GET /public/after HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n\r\n`);
    await until(/ok \/public\/after/);
    expect(received().match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 200']);
    // The body still went through untouched (the upstream read and discarded it after answering).
    expect(upstreamSawBytes).toBe(body.length);
    client.destroy();
  });
});
