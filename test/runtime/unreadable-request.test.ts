/**
 * Requests @hono/node-server cannot make a URL of (a Host that is no host name, a backslash in the
 * path, an absolute target of another scheme, HTTP/1.0 without a Host) get the catalogue's 400 —
 * the page or JSON, a request id, a log line with it — not the library's bare 400; an upgrade
 * request too. Found by the direct-path differential test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack';
import { rawExchange, splitResponse } from '../proxy/raw-peers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

async function send(request: string) {
  const raw = await rawExchange(stack.gateway.port, request, {
    until: (b: Buffer) => {
      const end = b.indexOf('\r\n\r\n');
      const cl = end === -1 ? null : /\r\ncontent-length: *(\d+)/i.exec(b.subarray(0, end).toString('latin1'));
      return cl !== null && b.length >= end + 4 + Number(cl[1]);
    },
  });
  const { lines, body } = splitResponse(raw);
  const header = (name: string) =>
    lines
      .find((l) => l.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  const requestId = header('x-request-id');
  const logged = stack.logs.find((l) => l.requestId === requestId);
  return { status: lines[0], contentType: header('content-type'), requestId, body: body.toString('utf8'), logged };
}

describe('a request the HTTP layer cannot make a URL of', () => {
  const host = () => `127.0.0.1:${stack.gateway.port}`;
  it.each([
    [
      'a Host with userinfo',
      () => `GET /public/x HTTP/1.1\r\nHost: user@gw.example\r\nAccept: application/json\r\n\r\n`,
      'The Host header is not a host name (with an optional port).',
      'Invalid host header',
    ],
    [
      'a Host with a path',
      () => `GET /_auth/me HTTP/1.1\r\nHost: gw.example/x\r\nAccept: application/json\r\n\r\n`,
      'The Host header is not a host name (with an optional port).',
      'Invalid host header',
    ],
    [
      'a backslash in the path',
      () => `GET /public\\x HTTP/1.1\r\nHost: ${host()}\r\nAccept: application/json\r\n\r\n`,
      'The request path contains a backslash.',
      'Backslash in request path',
    ],
    [
      'an absolute target of another scheme',
      () => `GET ftp://x/ HTTP/1.1\r\nHost: ${host()}\r\nAccept: application/json\r\n\r\n`,
      'The request target is not a valid path.',
      'Invalid URL',
    ],
    ['HTTP/1.0 without a Host', () => 'GET /public/x HTTP/1.0\r\nAccept: application/json\r\n\r\n', 'The request has no Host header.', 'Missing host header'],
  ])('%s: the catalogue’s JSON 400 with a request id, and a log line with it', async (_what, request, detail, reason) => {
    const res = await send(request());
    expect(res.status).toBe('HTTP/1.1 400 Bad Request');
    expect(res.contentType).toBe('application/json; charset=utf-8');
    expect(res.requestId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(JSON.parse(res.body)).toEqual({ error: 'bad_request', error_description: detail, request_id: res.requestId });
    expect(res.logged).toMatchObject({ level: 'warn', msg: 'request refused', reason, method: 'GET' });
  });

  it('a browser gets the HTML page', async () => {
    const res = await send('GET /public/x HTTP/1.1\r\nHost: user@gw.example\r\nAccept: text/html\r\n\r\n');
    expect([res.status, res.contentType]).toEqual(['HTTP/1.1 400 Bad Request', 'text/html; charset=utf-8']);
    expect(res.body).toContain('<p>The Host header is not a host name (with an optional port).</p>');
    expect(res.body).toContain(res.requestId);
  });

  it('a WebSocket upgrade with such a Host gets the same answer', async () => {
    const res = await send(
      'GET /ws HTTP/1.1\r\nHost: user@gw.example\r\nAccept: application/json\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(res.status).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_request', error_description: 'The Host header is not a host name (with an optional port).' });
    expect(res.logged).toMatchObject({ msg: 'request refused', reason: 'Invalid host header' });
  });
});
