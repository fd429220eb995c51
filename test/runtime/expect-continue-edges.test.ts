/**
 * `Expect: 100-continue` at the edges (real gateway, emulator, raw recording upstream, raw TCP
 * client): a refused request whose body the client sends anyway (a whole request in it, and one
 * more after it) never reaches the upstream as a request of its own; pipelined requests with Expect
 * get their 100 in turn; an allowed request whose upstream is down gets its 100 and then the
 * catalogue's 502; the gateway's own endpoints (/_auth/me, /_auth/verify) answer and never leave a
 * body waiting for a 100; an HTTP/1.0 client's Expect is not answered with a 100 (RFC 9110
 * §10.1.1) and its body is forwarded; chunked bodies (two pipelined) get their 100s in turn; an expectation other than 100-continue gets the catalogue's
 * 417 with a request id and a log line, and never reaches the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnection, type RawConnection } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';
import { startRawUpstream, type RawUpstream } from '../proxy/raw-peers';

let up: RawUpstream;
let stack: Stack;
let port: number;

beforeAll(async () => {
  up = await startRawUpstream();
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: up.url },
    edit: (raw) => {
      // An app whose upstream nobody listens on (port 1), open to everyone.
      raw.apps.unshift({
        id: 'dead',
        name: 'Dead upstream',
        contact: 'it-help@example.com',
        pathPrefix: '/dead',
        upstream: 'http://127.0.0.1:1',
        policies: [{ name: 'dead-open', action: 'bypass', include: [{ everyone: true }] }],
      });
    },
  });
  port = stack.gateway.port;
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});

const BODY = 'name=value&x=1';
const head = (target: string, lines: string[], method = 'POST', version = '1.1') =>
  `${method} ${target} HTTP/${version}\r\nHost: 127.0.0.1:${port}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

async function connection(): Promise<RawConnection & { closed: Promise<void> }> {
  const c = await rawConnection(port);
  const closed = new Promise<void>((r) => c.client.once('close', () => r()));
  return { ...c, closed };
}

/** The responses in `text`, in order (head lines, body by Content-Length; 1xx have no body). */
function responses(text: string): Array<{ lines: string[]; body: string }> {
  const out: Array<{ lines: string[]; body: string }> = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const cl = Number(lines.find((l) => /^content-length:/i.test(l))?.split(':')[1] ?? 0);
    out.push({ lines, body: rest.slice(end + 4, end + 4 + cl) });
    rest = rest.slice(end + 4 + cl);
  }
  return out;
}
const header = (lines: string[], name: string) =>
  lines
    .find((l) => l.toLowerCase().startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim();
const targets = (from: number) => up.received.slice(from).map((e) => e.head.split('\r\n')[0]);

describe('Expect: 100-continue at the edges', () => {
  it('a refused request whose body the client sends anyway: the request inside it, and the one after it, never reach the upstream', async () => {
    const before = up.received.length;
    const smuggled = `GET /public/smuggled HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const c = await connection();
    c.client.write(head('/upload', ['Accept: application/json', `Content-Length: ${smuggled.length}`, 'Expect: 100-continue']));
    await c.until(/\r\n\r\n\{[\s\S]*\}$/);
    // The refusal is in; the client sends the body regardless, and one more request after it.
    c.client.write(`${smuggled}GET /public/after HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await c.closed;
    const rs = responses(c.text());
    expect(rs.map((r) => r.lines[0])).toEqual(['HTTP/1.1 401 Unauthorized']);
    expect(header(rs[0]!.lines, 'connection')).toBe('close');
    expect(targets(before)).toEqual([]);
  });

  it('the same when head and body come in one write without waiting for the 100', async () => {
    const before = up.received.length;
    const smuggled = `GET /public/smuggled2 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const c = await connection();
    c.client.write(
      `${head('/upload', ['Accept: application/json', `Content-Length: ${smuggled.length}`, 'Expect: 100-continue'])}${smuggled}GET /public/after2 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    );
    await c.closed;
    const rs = responses(c.text());
    expect(rs.map((r) => r.lines[0])).toEqual(['HTTP/1.1 401 Unauthorized']);
    expect((JSON.parse(rs[0]!.body) as { error: string }).error).toBe('unauthorized');
    expect(targets(before)).toEqual([]);
  });

  it('pipelined: a GET, then a POST with Expect, get their answers in turn and the 100 comes after the first answer', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(`${head('/public/first', [], 'GET')}${head('/public/second', [`Content-Length: ${BODY.length}`, 'Expect: 100-continue'])}`);
    await c.until(/\r\n\r\nokHTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.client.write(BODY);
    await c.until(/\r\n\r\nok[\s\S]*\r\n\r\nok$/);
    expect(responses(c.text()).map((r) => r.lines[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
    expect(targets(before)).toEqual(['GET /public/first HTTP/1.1', 'POST /public/second HTTP/1.1']);
    expect(up.received[before + 1]!.body.toString('latin1')).toBe(BODY);
    c.client.destroy();
  });

  it('pipelined: a GET, then a refused POST with Expect: the GET is answered, the POST refused without a 100, and the connection closed', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(
      `${head('/public/third', [], 'GET')}${head('/upload', ['Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue'])}`,
    );
    await c.closed;
    const rs = responses(c.text());
    expect(rs.map((r) => r.lines[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 401 Unauthorized']);
    expect(header(rs[1]!.lines, 'connection')).toBe('close');
    expect(targets(before)).toEqual(['GET /public/third HTTP/1.1']);
  });

  it('an allowed request whose upstream is down gets its 100, then the catalogue 502 with a request id', async () => {
    const c = await connection();
    c.client.write(head('/dead/upload', ['Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    c.client.write(BODY);
    await c.until(/\r\n\r\n\{[\s\S]*\}$/);
    const rs = responses(c.text());
    expect(rs.map((r) => r.lines[0])).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 502 Bad Gateway']);
    const body = JSON.parse(rs[1]!.body) as { error: string; request_id: string };
    expect(body.error).toBe('upstream_unreachable');
    expect(body.request_id).toBe(header(rs[1]!.lines, 'x-request-id'));
    expect(stack.logs.some((l) => l.msg === 'request' && l.requestId === body.request_id && l.status === 502)).toBe(true);
    c.client.destroy();
  });

  it('/_auth/me and /_auth/verify with a body and Expect get a 100 first and then their answer, never a hang', async () => {
    const expected: Array<[string, string, string]> = [
      // POST is not a method /_auth/me takes; forward auth from a peer not in trustedProxies.
      ['/_auth/me', 'HTTP/1.1 405 Method Not Allowed', 'method_not_allowed'],
      ['/_auth/verify', 'HTTP/1.1 403 Forbidden', 'untrusted_proxy'],
    ];
    for (const [target, status, code] of expected) {
      const c = await connection();
      c.client.write(head(target, ['Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
      await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
      c.client.write(BODY);
      await c.until(/\r\n\r\n\{[\s\S]*\}$/);
      const rs = responses(c.text());
      expect(rs.map((r) => r.lines[0])).toEqual(['HTTP/1.1 100 Continue', status]);
      const body = JSON.parse(rs[1]!.body) as { error: string; request_id: string };
      expect([body.error, body.request_id]).toEqual([code, header(rs[1]!.lines, 'x-request-id')]);
      c.client.destroy();
    }
  });

  it('an HTTP/1.0 client with Expect gets no 100 (its body comes anyway) and the body is forwarded', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(`${head('/public/old', [`Content-Length: ${BODY.length}`, 'Expect: 100-continue'], 'POST', '1.0')}${BODY}`);
    await c.closed;
    const rs = responses(c.text());
    expect(rs.map((r) => r.lines[0])).toEqual(['HTTP/1.1 200 OK']);
    expect(rs[0]!.body).toBe('ok');
    expect(targets(before)).toEqual(['POST /public/old HTTP/1.1']);
    expect(up.received[before]!.body.toString('latin1')).toBe(BODY);
  });

  it('an expectation other than 100-continue gets the catalogue 417 with a request id and a log line, and never reaches the upstream', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(head('/public/expects', ['Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: something-else']));
    await c.until(/\r\n\r\n\{[\s\S]*\}$/);
    const rs = responses(c.text());
    expect(rs[0]!.lines[0]).toBe('HTTP/1.1 417 Expectation Failed');
    const body = JSON.parse(rs[0]!.body) as { error: string; request_id: string };
    expect(body.error).toBe('expectation_failed');
    expect(body.request_id).toBe(header(rs[0]!.lines, 'x-request-id'));
    expect(header(rs[0]!.lines, 'connection')).toBe('close');
    await c.closed;
    expect(targets(before)).toEqual([]);
    expect(stack.logs.some((l) => l.msg === 'request refused' && l.requestId === body.request_id)).toBe(true);
  });
  it('a chunked body with Expect: the 100 first, then the chunks reach the upstream as sent; two such requests pipelined each get theirs in turn', async () => {
    const before = up.received.length;
    const chunked = '5\r\nhello\r\n0\r\n\r\n';
    const c = await connection();
    const post = (target: string) => head(target, ['Transfer-Encoding: chunked', 'Expect: 100-continue']);
    c.client.write(`${post('/public/chunk1')}`);
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.client.write(`${chunked}${post('/public/chunk2')}`);
    await c.until(/\r\n\r\nokHTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.client.write(chunked);
    await c.until(/\r\n\r\nok[\s\S]*\r\n\r\nok$/);
    expect(responses(c.text()).map((r) => r.lines[0])).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK', 'HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
    expect(targets(before)).toEqual(['POST /public/chunk1 HTTP/1.1', 'POST /public/chunk2 HTTP/1.1']);
    expect(up.received.slice(before).map((e) => e.body.toString('latin1'))).toEqual([chunked, chunked]);
    c.client.destroy();
  });
});
