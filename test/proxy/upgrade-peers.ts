/**
 * Byte-level peers for Upgrade tests: an upstream on node:net that records each connection's
 * request head and every byte after it, and answers with a scripted behaviour (switch protocols
 * and echo, answer with a plain response, switch and hang up, or say nothing), and a raw client
 * connection to write to the gateway and read what comes back.
 */
import net from 'node:net';

export type UpgradeAnswer =
  /** 101 (after `delayMs`, default at once), then every byte received is echoed back prefixed with "echo:". */
  | { kind: 'switch'; delayMs?: number }
  /** 101, then the upstream closes the connection. */
  | { kind: 'switch-then-close' }
  /** An ordinary response (head lines after the status line, and a body; after `delayMs`), then close. */
  | { kind: 'respond'; status: string; headers: string[]; body: string; delayMs?: number }
  /** No answer at all. */
  | { kind: 'silent' };

export interface UpgradeConnection {
  /** The request head as received (request line and header lines, no blank line). */
  head: string;
  /** Every byte after the head (before and after the 101). */
  after: Buffer;
  socket: net.Socket;
  /** The behaviour chosen for it. */
  answer: UpgradeAnswer;
}

export interface UpgradeUpstream {
  url: string;
  port: number;
  connections: UpgradeConnection[];
  /** The behaviour, or a function choosing it from the request head. */
  answer: UpgradeAnswer | ((head: string) => UpgradeAnswer);
  close(): Promise<void>;
}

export async function startUpgradeUpstream(): Promise<UpgradeUpstream> {
  const sockets = new Set<net.Socket>();
  const up: UpgradeUpstream = {
    url: '',
    port: 0,
    connections: [],
    answer: { kind: 'switch' },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let conn: UpgradeConnection | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (conn) {
        conn.after = Buffer.concat([conn.after, chunk]);
        if (conn.answer.kind === 'switch') socket.write(Buffer.concat([Buffer.from('echo:'), chunk]));
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      conn = { head: buf.subarray(0, end).toString('latin1'), after: buf.subarray(end + 4), socket, answer: { kind: 'silent' } };
      up.connections.push(conn);
      const a = typeof up.answer === 'function' ? up.answer(conn.head) : up.answer;
      conn.answer = a;
      const switching = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Up: yes\r\n\r\n';
      if (a.kind === 'switch') {
        const c = conn;
        const go = () => {
          if (socket.destroyed) return;
          socket.write(switching);
          if (c.after.length > 0) socket.write(Buffer.concat([Buffer.from('echo:'), c.after]));
        };
        if (a.delayMs) setTimeout(go, a.delayMs);
        else go();
      } else if (a.kind === 'switch-then-close') {
        socket.end(switching);
      } else if (a.kind === 'respond') {
        const bytes = `HTTP/1.1 ${a.status}\r\n${a.headers.map((h) => `${h}\r\n`).join('')}Content-Length: ${Buffer.byteLength(a.body)}\r\n\r\n${a.body}`;
        if (a.delayMs) setTimeout(() => socket.end(bytes), a.delayMs);
        else socket.end(bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as net.AddressInfo).port;
  up.url = `http://127.0.0.1:${up.port}`;
  return up;
}

export interface RawClient {
  socket: net.Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once the received bytes (latin1) match; rejects when the socket closes first or after `ms`. */
  until(pattern: RegExp, ms?: number): Promise<string>;
  /** Resolves when the gateway has closed the connection (both ways), with everything received. */
  closed: Promise<string>;
}

export async function rawClient(port: number, bytes?: string | Buffer): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  let got = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(got.toString('latin1'))));
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  if (bytes !== undefined) socket.write(bytes);
  return {
    socket,
    received: () => got,
    closed,
    until: (pattern, ms = 10_000) =>
      new Promise<string>((resolve, reject) => {
        const deadline = Date.now() + ms;
        const t = setInterval(() => {
          const text = got.toString('latin1');
          if (pattern.test(text)) {
            clearInterval(t);
            resolve(text);
          } else if (isClosed || Date.now() > deadline) {
            clearInterval(t);
            reject(new Error(`${isClosed ? 'closed' : 'timed out'} before ${pattern}; got: ${JSON.stringify(text.slice(0, 400))}`));
          }
        }, 5);
      }),
  };
}

/** The head of a WebSocket upgrade request to `target`, with extra header lines. */
export function upgradeHead(port: number, target: string, extra: string[] = []): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** Header lines of a recorded head (without the request line). */
export function headerLines(head: string): string[] {
  return head.split('\r\n').slice(1);
}
