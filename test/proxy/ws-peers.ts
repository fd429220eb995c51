/**
 * WebSocket peers for the upgrade tests (Node and workerd): a `ws` upstream that echoes (text as
 * `echo:<text>`, binary as the same bytes) and records each connection (its upgrade request, the
 * close it saw) and each plain request, and a `ws` client that reports the close code.
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
  /** Requests that were not upgraded, in order. */
  plain: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  /** Close code and reason each upstream socket ended with, in order. */
  closes: Array<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export interface WsUpstreamOptions {
  /** Answers a plain request itself (true) instead of the default 200 `plain` (an SSE route, say). */
  onPlain?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/**
 * The upstream. Paths under `/refused` are not upgraded (403 `no sockets here`), and of the
 * subprotocols a client offers it picks `chat.v2`.
 */
export async function startWsUpstream(opts: WsUpstreamOptions = {}): Promise<WsUpstream> {
  const up: WsUpstream = { url: '', connections: [], plain: [], closes: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    up.plain.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (!opts.onPlain?.(req, res)) res.end('plain');
  });
  const wss = new WebSocketServer({
    server,
    verifyClient: (info, cb) => (info.req.url?.startsWith('/refused') ? cb(false, 403, 'no sockets here') : cb(true)),
    handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
  });
  wss.on('connection', (ws, req) => {
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code, reason) => {
        up.closes.push({ code, reason: reason.toString() });
        resolve(code);
      }),
    );
    up.connections.push({ req, ws, closed });
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${data.toString()}`, { binary: isBinary }));
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

/** A connection attempt's outcome: the open socket (and the 101's headers), or the answer without one. */
export interface WsAttempt {
  ws?: WebSocket;
  /** The 101's headers. */
  head?: http.IncomingHttpHeaders;
  status?: number;
  location?: string;
  body?: string;
  /** The non-101 answer's headers. */
  headers?: http.IncomingHttpHeaders;
}

/** Opens a WebSocket; resolves with the socket, or with the status, headers and body of a refusal. */
export function connectWs(url: string, headers: Record<string, string>, protocols?: string[]): Promise<WsAttempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    let head: http.IncomingHttpHeaders | undefined;
    ws.once('upgrade', (res) => (head = res.headers));
    ws.once('open', () => resolve({ ws, head }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body, headers: res.headers }));
    });
    ws.once('error', reject);
  });
}

/**
 * Sends `text`, then resolves with what the client saw in order until its socket closed:
 * `message <text>` for each message, then `close <code> <reason>`.
 */
export function eventsUntilClose(ws: WebSocket, text: string): Promise<string[]> {
  const seen: string[] = [];
  ws.on('message', (d) => seen.push(`message ${d.toString()}`));
  const ended = new Promise<string[]>((resolve) =>
    ws.once('close', (code, why) => {
      seen.push(`close ${code} ${why.toString()}`);
      resolve(seen);
    }),
  );
  ws.send(text);
  return ended;
}
