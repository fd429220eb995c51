/**
 * Client input never causes a 5xx: a seeded fuzzer sends a few thousand malformed or odd requests —
 * random request lines, targets, methods, header sets (duplicates, conflicts, junk bytes) — over raw
 * TCP to the real gateway and checks that every answer is a 2xx/3xx/4xx (or the connection is closed
 * by the HTTP parser), and that the gateway still serves a normal request afterwards.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../policy/helpers';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

/** Sends raw bytes, returns the status line's code (0 when the server closed without answering). */
function send(port: number, bytes: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : 0);
    };
    socket.setTimeout(3000, done);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (/\r\n\r\n/.test(data)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes, 'latin1');
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'QUERY', 'get', 'G\u00c9T', 'CONNECT', 'X', ''];
const TARGETS = [
  '/',
  '/public/x',
  '/admin/',
  '/api/things',
  '/_auth/login',
  '/_auth/me',
  '/_auth/verify',
  '/_auth/callback?code=x&state=y',
  '/_auth/logout?rd=//evil',
  '*',
  'http://evil.example/admin',
  '/%',
  '/%zz',
  '/%00',
  '/..%2f',
  '/a/../../b',
  '//x//y',
  '/\u00ff',
  '/public/%c0%ae',
  '/public/x#frag',
  '/?q=\u0001',
  `/${'a'.repeat(3000)}`,
  '/_auth/login?rd=%0d%0aSet-Cookie:x=1',
];
const HEADERS = [
  'Host: 127.0.0.1',
  'Host: evil.example',
  'Host:',
  'Host: a b',
  'Host: [::1',
  'Content-Length: 5',
  'Content-Length: -1',
  'Content-Length: 1, 2',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip, chunked',
  'Cookie: _cgw_session=Fe26.2**~2',
  'Cookie: _cgw_session_0=x; _cgw_session_1=y',
  'Cookie: =; ;;',
  'Authorization: Bearer x.y.z',
  'Authorization: Basic !!!',
  'Authorization: Bearer',
  'Accept: application/json',
  'Accept: text/html;q=abc',
  'X-Forwarded-For: 1.2.3.4',
  'X-Forwarded-Host: evil',
  'X-Original-URL: http://x/public',
  'Expect: 100-continue',
  'Connection: close, X-Auth-User',
  'Upgrade: websocket',
  'Sec-Fetch-Site: cross-site',
  'X-Request-Id: ../../etc',
  'Origin: null',
  'Range: bytes=0-',
  'Bad Header: x',
  'X-Junk: \u00ff\u0080',
  'Accept-Encoding: gzip',
];

describe('malformed and odd requests get 4xx, never 5xx', () => {
  it('2,000 seeded random requests', async () => {
    const rand = prng(20261201);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    const port = Number(new URL(stack.url).port);
    const seen = new Map<number, number>();
    const fivexx: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const headers = Array.from({ length: Math.floor(rand() * 6) }, () => pick(HEADERS));
      if (rand() < 0.85) headers.unshift(`Host: 127.0.0.1:${port}`);
      const version = rand() < 0.9 ? 'HTTP/1.1' : pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1', 'FOO']);
      const body = headers.some((h) => h.startsWith('Content-Length: 5')) ? 'hello' : '';
      const raw = `${pick(METHODS)} ${pick(TARGETS)} ${version}\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}Connection: close\r\n\r\n${body}`;
      const status = await send(port, raw);
      seen.set(status, (seen.get(status) ?? 0) + 1);
      if (status >= 500) fivexx.push(`${status} ${JSON.stringify(raw.slice(0, 200))}`);
    }
    expect(fivexx).toEqual([]);
    // The fuzzer reached the gateway's own answers, not only the parser's: 2xx, 3xx and 4xx all occur.
    expect([...seen.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...seen.keys()].some((s) => s >= 300 && s < 400)).toBe(true);
    expect([...seen.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(3);
    const after = await fetch(`${stack.url}/public/x`, { headers: { accept: 'application/json' } });
    expect(after.status).toBe(200);
    expect(stack.logs.filter((l) => l.msg === 'unhandled error')).toEqual([]);
  }, 120_000);
});
