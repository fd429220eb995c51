/**
 * The Node listener's limits from listen.*: a client that never finishes its headers is cut at
 * headersTimeout (408 `request_timeout`), too many header lines or too many header bytes get 431
 * (`headers_too_large`), both the catalogue's JSON, and connections
 * beyond maxConnections are closed at once.
 */
import net from 'node:net';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';

let gw: RunningGateway;
let upstream: http.Server;

beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const config = loadConfig(
    `
listen: { headersTimeout: 1, maxHeaderCount: 20, maxHeaderSize: 8192, maxConnections: 3 }
idp: { issuer: "http://127.0.0.1:9/us-east-1_Limits1", userPoolId: us-east-1_Limits1, clientId: limits }
session: { secrets: ["limits-test-cookie-secret-0123456789abcdef"] }
apps:
  - id: app
    upstream: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
    policies: [{ name: open, action: bypass, paths: ["/*"], include: [{ everyone: true }] }]
`,
    {},
    'limits.yaml',
  );
  gw = await startNodeGateway({ config, port: 0, host: '127.0.0.1', logger: createMemoryLogger() });
});
afterAll(async () => {
  await gw?.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

function raw(text: string, waitMs = 4000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(gw.port, '127.0.0.1', () => s.write(text));
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, waitMs);
    s.on('data', (d) => (got += d));
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.on('error', () => {});
  });
}

describe('listener limits', () => {
  it('answers 408 and closes a connection whose headers are not complete within headersTimeout', async () => {
    const t0 = Date.now();
    const got = await raw('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(got.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(got).toContain('"error":"request_timeout"');
    expect(Date.now() - t0).toBeLessThan(3500);
  });

  it('answers 431 for more header lines than maxHeaderCount', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `X-H${i}: v`).join('\r\n');
    const got = await raw(`GET / HTTP/1.1\r\nHost: x\r\n${lines}\r\n\r\n`);
    expect(got.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(got).toContain('"error":"headers_too_large"');
  });

  it('answers 431 for headers larger than maxHeaderSize', async () => {
    const got = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`);
    expect(got.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(got).toContain('"error":"headers_too_large"');
  });

  it('closes connections beyond maxConnections and still serves the ones it holds', async () => {
    const held = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((r) => {
            const s = net.connect(gw.port, '127.0.0.1', () => r(s));
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const extra = await raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
    expect(extra).toBe('');
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      held[0]!.on('data', (d) => {
        got += d;
        if (got.endsWith('ok')) resolve(got);
      });
      held[0]!.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(answer.startsWith('HTTP/1.1 200 OK')).toBe(true);
    for (const s of held) s.destroy();
  });
});
