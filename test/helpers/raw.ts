import { request } from 'node:http';
import net from 'node:net';

/**
 * Sends a request with the target exactly as given (no URL normalisation: fetch() would resolve
 * `%2e%2e` and `..` before sending) and raw header names.
 */
export function rawRequest(
  origin: string,
  target: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: target, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The Cookie header a browser would send back after these Set-Cookie values (cleared cookies left out). */
export function cookieHeaderOf(setCookie: string | string[] | undefined): string {
  return [setCookie ?? []]
    .flat()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');
}

/** One raw keep-alive connection: write bytes to it, wait until what came back matches a pattern. */
export interface RawConnection {
  client: net.Socket;
  /** Everything received so far (latin1). */
  text(): string;
  /** Resolves once the received text matches; rejects if the connection closes first. */
  until(pattern: RegExp): Promise<void>;
}

export async function rawConnection(port: number): Promise<RawConnection> {
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise((r) => client.once('connect', r));
  let text = '';
  client.on('data', (d: Buffer) => (text += d.toString('latin1')));
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (pattern.test(text)) {
          clearInterval(t);
          resolve();
        } else if (client.destroyed) {
          clearInterval(t);
          reject(new Error(`connection closed; got: ${text.slice(0, 300)}`));
        }
      }, 5);
    });
  return { client, until, text: () => text };
}
