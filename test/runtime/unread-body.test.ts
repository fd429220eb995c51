/**
 * A request the gateway refuses before anything reads its body (a 401 for a POST upload, on the
 * direct path): the refusal reaches the client, the unread body is read and thrown away by the
 * gateway, and the keep-alive connection serves the next request. Both framings: Content-Length
 * and chunked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnection as connection } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

describe('a refused request whose body nobody read', () => {
  it('Content-Length: the 401 arrives, then the next request on the same connection is proxied', async () => {
    const c = await connection(stack.gateway.port);
    const body = 'x'.repeat(512 * 1024);
    const host = `127.0.0.1:${stack.gateway.port}`;
    c.client.write(
      `POST /dashboard HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await c.until(/"error":"unauthorized"/);
    c.client.write(`GET /public/after-upload HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\n\r\n`);
    await c.until(/\/public\/after-upload/);
    expect(c.text().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 401', 'HTTP/1.1 200']);
    // The upstream saw only the second request, exactly as sent: nothing of the refused body.
    expect(echoOf(c.text())).toEqual({ method: 'GET', path: '/public/after-upload', accept: 'application/json' });
    c.client.destroy();
  });

  it('chunked: the same, with the body still arriving after the answer', async () => {
    const c = await connection(stack.gateway.port);
    const host = `127.0.0.1:${stack.gateway.port}`;
    const chunk = 'y'.repeat(64 * 1024);
    c.client.write(`POST /dashboard HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    c.client.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    await c.until(/"error":"unauthorized"/);
    // The rest of the body comes after the refusal was sent: still read and discarded.
    for (let i = 0; i < 4; i++) c.client.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    c.client.write('0\r\n\r\n');
    c.client.write(`GET /public/after-chunks HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\n\r\n`);
    await c.until(/\/public\/after-chunks/);
    expect(c.text().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 401', 'HTTP/1.1 200']);
    expect(echoOf(c.text())).toEqual({ method: 'GET', path: '/public/after-chunks', accept: 'application/json' });
    c.client.destroy();
  });
});

/** What the demo upstream echoed for the last answer on the connection. */
function echoOf(text: string): { method: string; path: string; accept: string | undefined } {
  const echo = JSON.parse(text.slice(text.lastIndexOf('\r\n\r\n') + 4)) as { method: string; path: string; headers: Record<string, string> };
  return { method: echo.method, path: echo.path, accept: echo.headers.accept };
}
