/**
 * The benchmark's peer processes, one per `node bench/peers.ts <kind> <upstream-url>` (each in its own
 * process so the load generator and the proxies never share an event loop). Each prints
 * "ready <port>" once listening.
 *
 *   upstream      node:http answering a small fixed body (what every proxy forwards to)
 *   raw-undici    node:http + undici Pool.request, headers and bodies passed through: the floor
 *                 for a Node proxy
 *   hono-fetch    Hono on @hono/node-server + undici fetch: the usual "Hono proxy" recipe
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Agent, fetch as undiciFetch, Pool } from 'undici';

const [kind, upstreamUrl] = process.argv.slice(2);
const BODY = Buffer.from('{"ok":true,"hello":"world"}');

function ready(server: http.Server | ReturnType<typeof serve>) {
  server.on('listening', () => console.log(`ready ${(server.address() as AddressInfo).port}`));
}

if (kind === 'upstream') {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
  server.keepAliveTimeout = 60_000;
  ready(server);
  server.listen(0, '127.0.0.1');
} else if (kind === 'raw-undici') {
  // BENCH_SOCKET_LOG: this proxy's upstream connections opened and closed (bench/socket-log.mjs).
  (await import('./socket-log.mjs' as string)).logUpstreamSockets('raw-undici');
  const pool = new Pool(upstreamUrl!, { connections: 128, keepAliveTimeout: 60_000 });
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers.host;
    pool.request({ method: req.method as 'GET', path: req.url!, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, (err, data) => {
      if (err) {
        res.writeHead(502).end();
        return;
      }
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(data.headers))
        if (k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding' && v !== undefined) out[k] = v;
      res.writeHead(data.statusCode, out);
      data.body.pipe(res);
    });
  });
  server.keepAliveTimeout = 60_000;
  ready(server);
  server.listen(0, '127.0.0.1');
} else if (kind === 'hono-fetch') {
  const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 60_000 });
  const app = new Hono();
  app.all('*', async (c) => {
    const url = new URL(c.req.url);
    const headers = new Headers(c.req.raw.headers);
    headers.delete('host');
    const res = await undiciFetch(`${upstreamUrl}${url.pathname}${url.search}`, {
      method: c.req.method,
      headers: headers as never,
      body: c.req.method === 'GET' || c.req.method === 'HEAD' ? null : (c.req.raw.body as never),
      redirect: 'manual',
      duplex: 'half',
      dispatcher,
    } as never);
    return new Response(res.body as never, { status: res.status, headers: res.headers as never });
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  ready(server);
} else {
  console.error('usage: peers.ts upstream | raw-undici URL | hono-fetch URL');
  process.exit(2);
}
