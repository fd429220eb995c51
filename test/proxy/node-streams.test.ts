/**
 * Streamed responses through the real Node gateway, on the direct path and through
 * @hono/node-server's listener (directProxy: false): each server-sent event and each chunk of a
 * chunked response reaches the client before the upstream sends the next one (the upstream waits
 * for the client to have it), and a client that stops reading holds the upstream back
 * (backpressure) instead of the gateway buffering the whole body; every byte arrives once it reads.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { openAppConfig } from '../helpers/open-config';

const configText = (upstream: string) => openAppConfig(upstream);

const BIG = 64 * 1024 * 1024;
let upstream: http.Server;
/** The lockstep stream's pending "send the next piece" callback. */
let next: (() => void) | undefined;
/** Bytes the upstream's /big response has handed to its socket so far, and whether it is blocked. */
let bigWritten = 0;
let bigBlocked = false;
let gateways: Record<'direct' | 'hono', RunningGateway>;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/sse' || req.url === '/chunks') {
      const sse = req.url === '/sse';
      res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/octet-stream' });
      let i = 0;
      const send = () => {
        i++;
        if (i > 5) return res.end();
        res.write(sse ? `id: ${i}\ndata: event ${i}\n\n` : `chunk-${i};`);
        next = send;
      };
      send();
      return;
    }
    if (req.url === '/big') {
      bigWritten = 0;
      bigBlocked = false;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
      const piece = Buffer.alloc(256 * 1024, 0x61);
      const pump = () => {
        while (bigWritten < BIG) {
          bigWritten += piece.length;
          const ok = res.write(piece);
          if (bigWritten >= BIG) return res.end();
          if (!ok) {
            bigBlocked = true;
            res.once('drain', () => {
              bigBlocked = false;
              pump();
            });
            return;
          }
        }
      };
      pump();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const start = (directProxy: boolean) =>
    startNodeGateway({ config: loadConfig(configText(url), {}, 'streams.yaml'), port: 0, host: '127.0.0.1', logger: createMemoryLogger(), directProxy });
  gateways = { direct: await start(true), hono: await start(false) };
});
afterAll(async () => {
  await gateways?.direct.close();
  await gateways?.hono.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

/** Reads the response piece by piece: the upstream sends the next piece only once this one arrived whole. */
function lockstep(port: number, path: string, piece: (i: number) => string): Promise<{ headers: http.IncomingHttpHeaders; pieces: string[] }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.setEncoding('utf8');
        const pieces: string[] = [];
        let buf = '';
        res.on('data', (d: string) => {
          buf += d;
          const want = piece(pieces.length + 1);
          if (buf === want) {
            pieces.push(buf);
            buf = '';
            const go = next;
            next = undefined;
            go?.();
          }
        });
        res.on('end', () => resolve({ headers: res.headers, pieces: buf ? [...pieces, buf] : pieces }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

for (const path of ['direct', 'hono'] as const) {
  describe(`streams (${path === 'direct' ? 'direct path' : "@hono/node-server's listener"})`, () => {
    it('delivers each server-sent event before the upstream sends the next', async () => {
      const sse = (i: number) => `id: ${i}\ndata: event ${i}\n\n`;
      const r = await lockstep(gateways[path].port, '/sse', sse);
      expect(r.headers['content-type']).toBe('text/event-stream');
      expect(r.headers['transfer-encoding']).toBe('chunked');
      expect(r.pieces).toEqual([1, 2, 3, 4, 5].map(sse));
    });

    it('delivers each chunk of a chunked response before the upstream sends the next', async () => {
      const chunk = (i: number) => `chunk-${i};`;
      const r = await lockstep(gateways[path].port, '/chunks', chunk);
      expect(r.pieces).toEqual([1, 2, 3, 4, 5].map(chunk));
    });

    it('holds the upstream back while the client does not read, then delivers every byte', async () => {
      const got = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: gateways[path].port, path: '/big', agent: false }, (res) => {
            res.pause();
            // The upstream writes until its socket pushes back, and stays blocked while nobody reads.
            const check = setInterval(() => {
              if (bigWritten >= BIG) {
                clearInterval(check);
                reject(new Error('the upstream sent the whole body while the client read nothing: buffered in the gateway'));
                return;
              }
              if (!bigBlocked) return;
              const blockedAt = bigWritten;
              setTimeout(() => {
                if (!bigBlocked || bigWritten !== blockedAt) return;
                clearInterval(check);
                try {
                  expect(bigWritten).toBeLessThan(BIG / 2);
                } catch (e) {
                  reject(e);
                  return;
                }
                let n = 0;
                res.on('data', (d: Buffer) => (n += d.length));
                res.on('end', () => resolve(n));
                res.resume();
              }, 300);
            }, 50);
            res.on('error', reject);
          })
          .on('error', reject);
      });
      expect(got).toBe(BIG);
    }, 30_000);
  });
}
