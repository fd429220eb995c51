/**
 * What node:http leaves to the gateway on one connection: bytes it cannot parse get the catalogue's
 * answer with a request id and a `request refused` log line (not Node's bare 400/431), and a request
 * pipelined behind one that closes the connection never reaches an upstream: the request before it
 * is answered, the connection closes, nothing after it is served (RFC 9112 §9.6).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawConnection } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';
import { startRawUpstream, type RawUpstream } from '../proxy/raw-peers';

let up: RawUpstream;
let stack: Stack;
let host: string;

beforeAll(async () => {
  up = await startRawUpstream();
  stack = await startStack({ env: { DEMO_UPSTREAM_URL: up.url } });
  host = `127.0.0.1:${stack.gateway.port}`;
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});
beforeEach(() => {
  up.received.length = 0;
  up.respond = () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
});

/** Writes `bytes` on a new connection and returns everything received until the gateway closes it. */
async function exchange(bytes: string): Promise<string> {
  const c = await rawConnection(stack.gateway.port);
  c.client.write(bytes);
  await new Promise((r) => c.client.once('close', r));
  return c.text();
}

const statusLines = (text: string) => text.match(/HTTP\/1\.[01] \d{3} [^\r]*/g) ?? [];
const upstreamTargets = () => up.received.map((r) => r.head.split('\r\n')[0]);
/** The JSON body and request id of the one answer in `text`. */
function jsonAnswer(text: string): { body: Record<string, string>; requestId: string | undefined } {
  const at = text.indexOf('\r\n\r\n');
  return { body: JSON.parse(text.slice(at + 4)) as Record<string, string>, requestId: /\r\nx-request-id: ([^\r]+)/i.exec(text)?.[1] };
}

describe('a request pipelined behind one that closes the connection', () => {
  const second = () => `POST /public/second HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\n\r\nhi`;

  it("after the client's Connection: close, the first is answered and the second never reaches the upstream", async () => {
    const got = await exchange(`GET /public/first HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n${second()}`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 200 OK']);
    expect(got.endsWith('\r\n\r\nok')).toBe(true);
    expect(upstreamTargets()).toEqual(['GET /public/first HTTP/1.1']);
  });

  it('after an HTTP/1.0 request (no keep-alive), the same', async () => {
    const got = await exchange(`GET /public/first HTTP/1.0\r\nHost: ${host}\r\n\r\n${second()}`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 200 OK']);
    expect(upstreamTargets()).toEqual(['GET /public/first HTTP/1.1']);
  });

  it('after a refusal that closes the connection (HTTP/1.0 without Host), the second is not served', async () => {
    const got = await exchange(`GET /public/first HTTP/1.0\r\nAccept: application/json\r\n\r\n${second()}`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(jsonAnswer(got).body.error).toBe('bad_request');
    expect(upstreamTargets()).toEqual([]);
  });

  it('on a keep-alive connection both pipelined requests are answered, in order', async () => {
    const c = await rawConnection(stack.gateway.port);
    c.client.write(`GET /public/first HTTP/1.1\r\nHost: ${host}\r\n\r\n${second()}`);
    await c.until(/\r\n\r\nok[\s\S]*\r\n\r\nok$/);
    c.client.destroy();
    expect(statusLines(c.text())).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(upstreamTargets()).toEqual(['GET /public/first HTTP/1.1', 'POST /public/second HTTP/1.1']);
  });

  it('an HTTP/1.1 request without Host gets the catalogue 400 and the connection carries the next request', async () => {
    const c = await rawConnection(stack.gateway.port);
    c.client.write(`GET /public/first HTTP/1.1\r\nAccept: application/json\r\n\r\n${second()}`);
    await c.until(/\r\n\r\nok$/);
    c.client.destroy();
    expect(statusLines(c.text())).toEqual(['HTTP/1.1 400 Bad Request', 'HTTP/1.1 200 OK']);
    expect(c.text()).toContain('"error":"bad_request"');
    expect(upstreamTargets()).toEqual(['POST /public/second HTTP/1.1']);
  });
});

describe('bytes node:http cannot parse', () => {
  it('an HTTP/1.1 request without Host but with an absolute-form target is refused, not routed by that target', async () => {
    const got = await exchange(`GET http://evil.example/public/x HTTP/1.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(jsonAnswer(got).body.error).toBe('bad_path');
    expect(upstreamTargets()).toEqual([]);
  });

  it('a header value with a control character: the catalogue 400 as JSON, a request id, a log line without the request bytes', async () => {
    const got = await exchange(`GET /dashboard HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer not-for-logs-123\r\nX-Bad: a\x01b\r\n\r\n`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 400 Bad Request']);
    const { body, requestId } = jsonAnswer(got);
    expect(body).toEqual({ error: 'bad_request', error_description: 'A request header has a character a header may not have.', request_id: requestId });
    expect(got).toMatch(/\r\nconnection: close\r\n/i);
    const line = stack.logs.find((l) => l.requestId === requestId);
    expect(line).toMatchObject({ level: 'warn', msg: 'request refused', parseError: 'HPE_INVALID_HEADER_TOKEN' });
    expect(JSON.stringify(stack.logs)).not.toContain('not-for-logs-123');
    expect(upstreamTargets()).toEqual([]);
  });

  it('Content-Length beside Transfer-Encoding: 400 with the framing named, nothing forwarded', async () => {
    const got = await exchange(`POST /public/x HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(jsonAnswer(got).body.error_description).toBe('The request body is framed ambiguously (Content-Length and Transfer-Encoding).');
    expect(upstreamTargets()).toEqual([]);
  });

  it('an invalid method token: 400 bad_request', async () => {
    const got = await exchange(`GE(T /public/x HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(jsonAnswer(got).body.error).toBe('bad_request');
  });

  it('headers beyond listen.maxHeaderSize: 431 headers_too_large, counted in the request metrics', async () => {
    const series = 'cognito_gateway_requests_total{app="",answer="refused",status_class="4xx"}';
    const count = () => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(stack.gateway.gateway().metrics.render())?.[1] ?? 0);
    const before = count();
    const got = await exchange(`GET /public/x HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
    expect(statusLines(got)).toEqual(['HTTP/1.1 431 Request Header Fields Too Large']);
    const { body, requestId } = jsonAnswer(got);
    expect(body.error).toBe('headers_too_large');
    expect(body.request_id).toBe(requestId);
    expect(count()).toBe(before + 1);
  });
});

describe('draining with a request pipelined behind one in flight', () => {
  it('both are answered (nothing the client sent is lost), the last with Connection: close', async () => {
    const slow = await startRawUpstream();
    const draining = await startStack({ env: { DEMO_UPSTREAM_URL: slow.url } });
    try {
      const h = `127.0.0.1:${draining.gateway.port}`;
      // The upstream answers each request when the test says so.
      const waiting: Array<() => void> = [];
      slow.respond = (_head, socket) => {
        waiting.push(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
        return undefined;
      };
      const c = await rawConnection(draining.gateway.port);
      c.client.write(`GET /public/first HTTP/1.1\r\nHost: ${h}\r\n\r\nPOST /public/second HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\n\r\nhi`);
      while (waiting.length === 0) await new Promise((r) => setTimeout(r, 10));
      const drained = draining.gateway.drain(5000);
      waiting.shift()!();
      while (waiting.length === 0 && !c.client.destroyed) await new Promise((r) => setTimeout(r, 10));
      waiting.shift()?.();
      await new Promise((r) => c.client.once('close', r));
      // Both were sent before the drain: both are answered, the last one closing the connection.
      expect(statusLines(c.text())).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      expect(c.text().slice(c.text().lastIndexOf('HTTP/1.1'))).toMatch(/\r\nConnection: close\r\n/i);
      expect(await drained).toEqual({ cut: 0 });
      expect(slow.received.map((r) => r.head.split('\r\n')[0])).toEqual(['GET /public/first HTTP/1.1', 'POST /public/second HTTP/1.1']);
    } finally {
      await draining.close();
      await slow.close();
    }
  });
});
