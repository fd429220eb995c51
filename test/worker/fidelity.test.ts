/**
 * The documented header edits in workerd (the production Worker bundle forwarding with fetch): the
 * raw recording upstream sees each rule applied, and the gzip body reaches the client undecoded.
 * workerd itself lowercases header names and may add headers of its own, so this checks every rule
 * by name and value rather than the whole head byte for byte (the Node suite does that).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { rawExchange, splitResponse, startRawUpstream, type RawUpstream } from '../proxy/raw-peers';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

let up: RawUpstream;
let stack: WorkerStack;
let port: number;

beforeAll(async () => {
  up = await startRawUpstream();
  stack = await startWorkerStack({ bundleDir: inject('workerBundleDir'), vars: { DEMO_UPSTREAM_URL: up.url } });
  port = Number(new URL(stack.url).port);
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});
beforeEach(() => {
  up.received.length = 0;
});

const complete = (raw: Buffer) => {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const cl = /\r\ncontent-length: *(\d+)/i.exec(raw.subarray(0, end).toString('latin1'));
  return cl ? raw.length >= end + 4 + Number(cl[1]) : raw.includes('0\r\n\r\n', end);
};

function headers(head: string): Array<[string, string]> {
  return head
    .split('\r\n')
    .slice(1)
    .map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    });
}

describe('forwarding in workerd', () => {
  it('applies each request edit rule and keeps the end-to-end headers', async () => {
    up.respond = () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const req = [
      'GET /public/page?b=2&a=1 HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'X-Custom: one',
      'Accept-Encoding: gzip',
      'Connection: keep-alive, X-Drop-Me',
      'X-Drop-Me: 1',
      'X-Auth-User: mallory',
      'X_Auth_User: mallory',
      'X-Forwarded-Host: evil.example',
      'Forwarded: for=6.6.6.6',
      'X-Original-URL: /admin',
      'Remote-User: mallory',
      'Cookie: app=1; _cgw_session=stolen',
      '',
      '',
    ].join('\r\n');
    const res = await rawExchange(port, req, { until: complete });
    expect(splitResponse(res).lines[0]).toBe('HTTP/1.1 200 OK');
    const rec = up.received[0]!;
    expect(rec.head.split('\r\n')[0]).toBe('GET /public/page?b=2&a=1 HTTP/1.1');
    const h = headers(rec.head);
    const names = h.map(([n]) => n);
    const value = (n: string) => h.filter(([k]) => k === n).map(([, v]) => v);
    expect(value('x-custom')).toEqual(['one']);
    // workerd negotiates encodings itself (it asks for `br, gzip` and re-compresses for the client).
    expect(value('accept-encoding')[0]).toMatch(/\bgzip\b/);
    expect(value('cookie')).toEqual(['app=1']);
    for (const gone of ['x-drop-me', 'x-auth-user', 'x_auth_user', 'forwarded', 'x-original-url', 'remote-user']) expect(names).not.toContain(gone);
    expect(value('x-forwarded-host')).toEqual([`127.0.0.1:${port}`]);
    expect(value('x-forwarded-proto')).toEqual(['http']);
    expect(value('x-request-id')).toHaveLength(1);
  });

  it("passes a gzip body and its Content-Encoding through, drops hop-by-hop and gateway Set-Cookie, keeps the app's", async () => {
    const gz = gzipSync(Buffer.from('y'.repeat(4000)));
    up.respond = () =>
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\nSet-Cookie: a=1\r\nSet-Cookie: _cgw_session=evil\r\nSet-Cookie: b=2\r\nConnection: X-Hop\r\nX-Hop: 1\r\n\r\n`,
          'latin1',
        ),
        gz,
      ]);
    const res = await rawExchange(port, `GET /public/gz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept-Encoding: gzip\r\n\r\n`, { until: complete });
    const { lines, body } = splitResponse(res);
    const lower = lines.map((l) => l.toLowerCase());
    expect(lower).toContain('content-encoding: gzip');
    expect(lower.filter((l) => l.startsWith('set-cookie:'))).toEqual(['set-cookie: a=1', 'set-cookie: b=2']);
    expect(lower.some((l) => l.startsWith('x-hop:'))).toBe(false);
    const chunked = lower.includes('transfer-encoding: chunked');
    const bytes = chunked ? dechunk(body) : body;
    expect(Buffer.compare(bytes, gz)).toBe(0);
  });
});

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', i);
    const size = parseInt(body.subarray(i, eol).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}
