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

interface RawAnswer {
  text: string;
  /** Who ended the connection: the gateway, or the client giving up after `waitMs`. */
  closedBy: 'server' | 'client';
}

/** How long a client waits for the gateway to close its connection: a generous deadline, not a timing claim. */
const GIVE_UP_MS = 10_000;

/** Writes `text` on a new connection and reads until the gateway closes it (or the client gives up). */
function raw(text: string): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s = net.connect(gw.port, '127.0.0.1', () => s.write(text));
    let got = '';
    let gaveUp = false;
    const t = setTimeout(() => {
      gaveUp = true;
      s.destroy();
    }, GIVE_UP_MS);
    s.on('data', (d) => (got += d));
    s.on('close', () => {
      clearTimeout(t);
      resolve({ text: got, closedBy: gaveUp ? 'client' : 'server' });
    });
    s.on('error', () => {});
  });
}

describe('listener limits', () => {
  it('answers 408 and closes a connection whose headers are not complete within headersTimeout', async () => {
    // The gateway, not the client, ends it: headersTimeout is 1 s here, Node's and the gateway's
    // default 20 s, and the client waits for the close for 10 s at most.
    const got = await raw('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(got.closedBy).toBe('server');
    expect(got.text.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(got.text).toContain('"error":"request_timeout"');
  });

  it('answers 431 for more header lines than maxHeaderCount', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `X-H${i}: v`).join('\r\n');
    const got = (await raw(`GET / HTTP/1.1\r\nHost: x\r\n${lines}\r\n\r\n`)).text;
    expect(got.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(got).toContain('"error":"headers_too_large"');
  });

  it('answers 431 for headers larger than maxHeaderSize', async () => {
    const got = (await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`)).text;
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
    // Closed by the gateway without an answer (not merely left unanswered until the client gives up).
    const extra = await raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(extra).toEqual({ text: '', closedBy: 'server' });
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
