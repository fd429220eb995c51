/**
 * Fidelity of the Node data plane, byte for byte: a raw recording upstream (node:net) behind the
 * real gateway (demo config, emulator sign-in), and a raw client. Each documented edit rule is
 * checked on the exact bytes the upstream and the client receive; everything else must arrive as
 * sent (order, spelling, repeats), and nothing may be added.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { rawExchange, splitResponse, startRawUpstream, type RawUpstream } from './raw-peers';

let up: RawUpstream;
let stack: Stack;
let gwPort: number;
let sessionCookie: string;
/** The gateway's own session cookie name (from the sign-in). */
let gwCookie: string;

beforeAll(async () => {
  up = await startRawUpstream();
  stack = await startStack({ env: { DEMO_UPSTREAM_URL: up.url } });
  gwPort = stack.gateway.port;
  const b = new TestBrowser();
  await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
  sessionCookie = b.cookieHeader(stack.url)!;
  gwCookie = sessionCookie.split('=')[0]!;
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});
beforeEach(() => {
  up.received.length = 0;
  up.respond = () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
});

const complete = (raw: Buffer) => {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const head = raw.subarray(0, end).toString('latin1');
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (cl) return raw.length >= end + 4 + Number(cl[1]);
  return raw.includes('0\r\n\r\n', end) || /^HTTP\/1\.1 (1\d\d|204|304)/.test(head);
};

function headerLines(head: string): string[] {
  return head.split('\r\n').slice(1);
}

describe('request head towards the upstream', () => {
  it('keeps every end-to-end header as sent and applies exactly the documented edits', async () => {
    const req = [
      'GET /public/page?b=2&a=1&a=1 HTTP/1.1',
      `Host: 127.0.0.1:${gwPort}`,
      'X-Custom: one',
      'Accept-Encoding: gzip, br',
      'Sec-Fetch-Mode: navigate',
      'x-custom: Two',
      'Connection: keep-alive, X-Drop-Me',
      'X-Drop-Me: 1',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Proxy-Authorization: Basic Zm9vOmJhcg==',
      'X-Auth-User: mallory',
      'X_Auth_User: mallory',
      'X-Forwarded-For: 6.6.6.6',
      'X-Forwarded-Host: evil.example',
      'Forwarded: for=6.6.6.6',
      'X-Real-IP: 6.6.6.6',
      'X-Original-URL: /admin',
      'X-Request-Id: client-chosen',
      'Remote-User: mallory',
      `Cookie: app=1; ${gwCookie}=stolen; other=2`,
      'Accept: */*',
      '',
      '',
    ].join('\r\n');
    const res = await rawExchange(gwPort, req, { until: complete });
    expect(splitResponse(res).lines[0]).toBe('HTTP/1.1 200 OK');
    expect(up.received).toHaveLength(1);
    const head = up.received[0]!.head;
    const lines = headerLines(head);
    const requestId = lines.find((l) => l.startsWith('x-request-id: '))!.slice('x-request-id: '.length);
    expect(requestId).not.toBe('client-chosen');
    expect(head.split('\r\n')[0]).toBe('GET /public/page?b=2&a=1&a=1 HTTP/1.1');
    // undici writes the upstream's host and its own connection header first: hop-by-hop, its own connection.
    expect(lines).toEqual([
      `host: 127.0.0.1:${up.port}`,
      'connection: keep-alive',
      'X-Custom: one',
      'Accept-Encoding: gzip, br',
      'Sec-Fetch-Mode: navigate',
      'x-custom: Two',
      'Cookie: app=1; other=2',
      'Accept: */*',
      'x-forwarded-for: 127.0.0.1',
      'x-forwarded-proto: http',
      `x-forwarded-host: 127.0.0.1:${gwPort}`,
      `x-request-id: ${requestId}`,
      // The documented W3C trace-context edit: added when the client sent none.
      expect.stringMatching(/^traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    ]);
  });

  it('drops every connection-describing header other products set: address, country, scheme, host, target, client certificate', async () => {
    const forged = [
      'Client-Ip: 6.6.6.6',
      'Cf-Connecting-Ipv6: 2001:db8::66',
      'CF-IPCountry: KP',
      'X-Original-Forwarded-For: 6.6.6.6',
      'X-Azure-ClientIP: 6.6.6.6',
      'X-Azure-SocketIP: 6.6.6.6',
      'X-Envoy-External-Address: 6.6.6.6',
      'X-Envoy-Original-Path: /admin',
      'Cf-Visitor: {"scheme":"https"}',
      'Front-End-Https: on',
      'X-Url-Scheme: https',
      'X-Host: evil.example',
      'X-Original-Host: evil.example',
      'X-HTTP-Host-Override: evil.example',
      'X-SSL-Client-Verify: SUCCESS',
      'X-SSL-Client-S-DN: CN=admin',
      'SSL-Client-Cert: -----BEGIN%20CERTIFICATE-----',
      'X-Client-Cert: forged',
      'X-Client-Verify: SUCCESS',
      'X-Client-DN: CN=admin',
      'X-Amzn-Mtls-Clientcert-Subject: CN=admin',
    ];
    await rawExchange(gwPort, ['GET /public/forged HTTP/1.1', `Host: 127.0.0.1:${gwPort}`, 'X-Kept: yes', ...forged, '', ''].join('\r\n'), { until: complete });
    expect(headerLines(up.received[0]!.head).map((l) => l.split(':')[0]!.toLowerCase())).toEqual([
      'host',
      'connection',
      'x-kept',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'x-request-id',
      'traceparent',
    ]);
  });

  it('adds nothing but the documented edits when the client sends almost nothing (no user-agent, accept-language, sec-fetch-*)', async () => {
    await rawExchange(gwPort, `GET /public/bare HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\n\r\n`, { until: complete });
    const lines = headerLines(up.received[0]!.head);
    expect(lines.map((l) => l.split(':')[0]!.toLowerCase())).toEqual([
      'host',
      'connection',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'x-request-id',
      'traceparent',
    ]);
  });

  it('passes a client traceparent on exactly once and unchanged', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await rawExchange(gwPort, `GET /public/traced HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\ntraceparent: ${tp}\r\n\r\n`, { until: complete });
    expect(headerLines(up.received[0]!.head).filter((l) => l.toLowerCase().startsWith('traceparent:'))).toEqual([`traceparent: ${tp}`]);
  });

  it("replaces a malformed client traceparent with the gateway's, once, after the other edits", async () => {
    await rawExchange(gwPort, `GET /public/traced HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nTraceparent: garbage\r\nX-After: 1\r\n\r\n`, { until: complete });
    const lines = headerLines(up.received[0]!.head);
    expect(lines.filter((l) => l.toLowerCase().startsWith('traceparent:'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(lines).toContain('X-After: 1');
  });

  it('sends the traceparent it made after the identity headers and the assertion of a signed-in user', async () => {
    await rawExchange(gwPort, `GET /reports HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nAccept: text/html\r\nCookie: ${sessionCookie}\r\n\r\n`, {
      until: complete,
    });
    const names = headerLines(up.received[0]!.head).map((l) => l.split(':')[0]!);
    expect(names.at(-2)).toBe(stack.config.assertion.header);
    expect(names.at(-1)).toBe('traceparent');
  });

  it('appends the identity headers and the assertion for a signed-in user, after the forwarding headers', async () => {
    await rawExchange(gwPort, `GET /reports HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nAccept: text/html\r\nCookie: ${sessionCookie}; app=1\r\n\r\n`, {
      until: complete,
    });
    const lines = headerLines(up.received[0]!.head);
    const names = lines.map((l) => l.split(':')[0]!);
    expect(names).toEqual([
      'host',
      'connection',
      'Accept',
      'Cookie',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'x-request-id',
      ...names.slice(8),
    ]);
    expect(lines).toContain('Cookie: app=1');
    expect(lines).toContain('X-Auth-User: alice');
    expect(names.slice(8)).toContain(stack.config.assertion.header);
  });

  it('forwards any method the upstream accepts (PROPFIND, QUERY, MKCOL) with its body', async () => {
    for (const method of ['PROPFIND', 'QUERY', 'MKCOL']) {
      up.received.length = 0;
      const body = '<propfind/>';
      const extra = body ? `Content-Type: text/xml\r\nContent-Length: ${body.length}\r\n` : '';
      const res = await rawExchange(gwPort, `${method} /public/dav HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\n${extra}\r\n${body}`, { until: complete });
      expect(splitResponse(res).lines[0]).toBe('HTTP/1.1 200 OK');
      expect(up.received[0]!.head.split('\r\n')[0]).toBe(`${method} /public/dav HTTP/1.1`);
      expect(up.received[0]!.body.toString()).toBe(body);
    }
  });

  it('answers Expect: 100-continue itself and sends the body on without Expect', async () => {
    const res = await rawExchange(gwPort, `POST /public/upload HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, {
      afterFirstResponse: 'hello',
      until: (r) => r.includes('\r\n\r\nok'),
    });
    expect(res.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')).toBe(true);
    expect(up.received[0]!.body.toString()).toBe('hello');
    expect(up.received[0]!.head.toLowerCase()).not.toContain('expect:');
  });

  it('streams a chunked request body: the upstream has the head and first chunk before the client sends the rest', async () => {
    const net = await import('node:net');
    const socket = net.connect(gwPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`PUT /public/c HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`);
    const until = Date.now() + 5000;
    while (!up.received[0]?.body.toString().includes('abc') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const rec = up.received[0]!;
    expect(rec.head.toLowerCase()).toContain('\r\ntransfer-encoding: chunked');
    expect(rec.body.toString()).toContain('abc');
    socket.write('2\r\nde\r\n0\r\n\r\n');
    while (!rec.body.toString().endsWith('0\r\n\r\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    expect(rec.body.toString().replace(/\r\n/g, '|')).toMatch(/abc\|.*de\|0\|\|$/);
  });

  it('answers 400 (not 500) for a request with two Host lines, without reaching the upstream', async () => {
    const res = await rawExchange(gwPort, `GET /public/x HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nHost: evil.example\r\nAccept: application/json\r\n\r\n`, {
      until: complete,
    });
    const { lines, body } = splitResponse(res);
    expect(lines[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(body.toString()).error ?? JSON.parse(body.toString()).code).toBe('bad_request');
    expect(up.received).toHaveLength(0);
  });
});

describe('response head and body towards the client', () => {
  it('passes the head through as sent except hop-by-hop and gateway cookies, and the gzip body undecoded', async () => {
    const gz = gzipSync(Buffer.from('x'.repeat(5000)));
    up.respond = () =>
      Buffer.concat([
        Buffer.from(
          [
            'HTTP/1.1 201 Made It',
            'X-Zeta: 1',
            'Content-Type: text/plain',
            'Content-Encoding: gzip',
            `Content-Length: ${gz.length}`,
            'Set-Cookie: a=1; Path=/',
            'Connection: X-Hop',
            'X-Hop: secret',
            `Set-Cookie: ${gwCookie}=evil; Path=/`,
            'set-cookie: b=2',
            'Keep-Alive: timeout=1',
            'X-Request-Id: upstream-id',
            'x-zeta: 2',
            '',
            '',
          ].join('\r\n'),
          'latin1',
        ),
        gz,
      ]);
    const res = await rawExchange(gwPort, `GET /public/gz HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nAccept-Encoding: gzip\r\n\r\n`, { until: complete });
    const { lines, body } = splitResponse(res);
    const requestId = headerLines(up.received[0]!.head)
      .find((l) => l.startsWith('x-request-id: '))!
      .slice(14);
    expect(lines).toEqual([
      'HTTP/1.1 201 Made It',
      'X-Zeta: 1',
      'Content-Type: text/plain',
      'Content-Encoding: gzip',
      `Content-Length: ${gz.length}`,
      'Set-Cookie: a=1; Path=/',
      'set-cookie: b=2',
      'x-zeta: 2',
      `x-request-id: ${requestId}`,
      'Connection: keep-alive',
      'Keep-Alive: timeout=5',
    ]);
    expect(Buffer.compare(body, gz)).toBe(0);
  });

  it('forwards 103 Early Hints, then the response', async () => {
    up.respond = () => 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const res = await rawExchange(gwPort, `GET /public/hints HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\n\r\n`, { until: (r) => r.includes('\r\n\r\nok') });
    const text = res.toString('latin1');
    expect(text.startsWith('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
  });

  it('forwards trailers of a chunked response', async () => {
    up.respond = () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n';
    const res = await rawExchange(gwPort, `GET /public/trailers HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nTE: trailers\r\n\r\n`, {
      until: (r) => r.includes('\r\n0\r\n') && r.toString('latin1').endsWith('\r\n\r\n') && r.indexOf('\r\n\r\n') !== r.length - 4,
    });
    expect(res.toString('latin1')).toMatch(/\r\n0\r\nX-Checksum: abc\r\n\r\n$/);
  });

  it('answers TRACE itself with 405 (it would echo cookies back), never reaching the upstream', async () => {
    up.received.length = 0;
    const res = await rawExchange(gwPort, `TRACE /public/t HTTP/1.1\r\nHost: 127.0.0.1:${gwPort}\r\nAccept: application/json\r\n\r\n`, { until: complete });
    const { lines, body } = splitResponse(res);
    expect(lines[0]).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(JSON.parse(body.toString()).error).toBe('method_not_allowed');
    expect(up.received).toHaveLength(0);
  });
});
