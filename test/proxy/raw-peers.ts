/**
 * Byte-level peers for fidelity tests: an upstream on node:net that records every request exactly
 * as it arrived on the wire and answers with scripted raw bytes, and a client that sends raw bytes
 * and returns the raw response.
 */
import net from 'node:net';

export interface RecordedExchange {
  /** The request head exactly as received (request line and header lines, without the blank line). */
  head: string;
  /** Raw bytes after the head (body, chunk framing included). */
  body: Buffer;
}

export interface RawUpstream {
  url: string;
  port: number;
  received: RecordedExchange[];
  /** What to answer for a request head; default a small 200. Return raw bytes (or write to the socket yourself). */
  respond: (head: string, socket: net.Socket) => string | Buffer | undefined;
  close(): Promise<void>;
}

export async function startRawUpstream(): Promise<RawUpstream> {
  const sockets = new Set<net.Socket>();
  const up: RawUpstream = {
    url: '',
    port: 0,
    received: [],
    respond: () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    let current: RecordedExchange | undefined;
    let need = 0;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!current) {
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
          current = { head, body: Buffer.alloc(0) };
          up.received.push(current);
          const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
          need = cl ? Number(cl[1]) : /\r\ntransfer-encoding: *chunked/i.test(head) ? -1 : 0;
        }
        if (need === -1) {
          current.body = Buffer.concat([current.body, buf]);
          buf = Buffer.alloc(0);
          if (!current.body.includes('0\r\n\r\n')) return;
        } else {
          if (buf.length < need) return;
          current.body = buf.subarray(0, need);
          buf = buf.subarray(need);
        }
        const answer = up.respond(current.head, socket);
        if (answer !== undefined) socket.write(answer);
        current = undefined;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as net.AddressInfo).port;
  up.url = `http://127.0.0.1:${up.port}`;
  return up;
}

/**
 * Sends raw bytes to `port` and collects the response until the socket closes, `until` says the
 * collected bytes are complete, or 5 s pass. `afterHead` is sent once the first bytes arrive.
 */
export function rawExchange(
  port: number,
  request: string | Buffer,
  opts: { until?: (received: Buffer) => boolean; afterFirstResponse?: string | Buffer } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    let sentMore = false;
    const timer = setTimeout(() => finish(), 5000);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (opts.afterFirstResponse !== undefined && !sentMore) {
        sentMore = true;
        socket.write(opts.afterFirstResponse);
      }
      if (opts.until?.(got)) finish();
    });
    socket.on('end', finish);
    socket.on('error', reject);
  });
}

/** Splits a raw HTTP response into head lines and the bytes after the blank line. */
export function splitResponse(raw: Buffer): { lines: string[]; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  return { lines: raw.subarray(0, end).toString('latin1').split('\r\n'), body: raw.subarray(end + 4) };
}
