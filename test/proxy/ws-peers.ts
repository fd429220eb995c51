/**
 * WebSocket peers for revocation tests: a `ws` upstream that echoes and records each connection
 * (its upgrade request and when its socket closed), and a `ws` client that reports the close code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface WsUpstreamConnection {
  req: http.IncomingMessage;
  ws: WebSocket;
  /** Resolves with the close code the upstream saw once its socket closed. */
  closed: Promise<number>;
}

export interface WsUpstream {
  url: string;
  connections: WsUpstreamConnection[];
  close(): Promise<void>;
}

export async function startWsUpstream(): Promise<WsUpstream> {
  const up: WsUpstream = { url: '', connections: [], close: async () => {} };
  const server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    up.connections.push({ req, ws, closed });
    ws.on('message', (data) => ws.send(`echo:${data.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = () =>
    new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return up;
}

export interface OpenSocket {
  ws: WebSocket;
  /** Resolves with the close code the client saw. */
  closed: Promise<number>;
  /** Resolves with the close reason the client saw ('' when none). */
  reason: Promise<string>;
  /** Sends `text` and resolves with the next message. */
  echo(text: string): Promise<string>;
}

/** Opens a WebSocket; rejects with the status when the gateway answers without switching. */
export function openSocket(url: string, headers: Record<string, string>): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const reason = new Promise<string>((r) => ws.once('close', (_code, why) => r(why.toString())));
    ws.once('open', () =>
      resolve({
        ws,
        closed,
        reason,
        echo: (text) =>
          new Promise((r) => {
            ws.once('message', (d) => r(d.toString()));
            ws.send(text);
          }),
      }),
    );
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`no upgrade: ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}
