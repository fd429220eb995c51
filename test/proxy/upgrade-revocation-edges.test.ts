/**
 * Open WebSockets closed on revocation, at the edges (real Node gateway and emulator, sessions kept
 * in the store — `session.storage: store` — a scripted upstream on node:http that writes its 101
 * and its frames byte by byte, and a raw TCP client that records every byte after the 101):
 * - a sign-out that lands while the upstream is still accepting the upgrade (after the gateway
 *   checked the session, before the 101) closes the connection once it opens;
 * - the 1008 close frame goes only between two upstream frames: after frames that came with the 101
 *   in one write, after a frame with a 64-bit length whose head and payload came split at awkward
 *   boundaries; in the middle of a 64-bit frame head the connection is cut with no close frame;
 *   after the upstream's own close frame (and data it sent after it) no close frame is added;
 * - a logout of one realm closes that realm's connection and not the same user's in the other realm.
 * Each client receives exactly the upstream's bytes, then (where it can go) the gateway's close frame.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_REVOKED } from '../../src/runtime/ws-frames';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

interface Accepting {
  path: string;
  /** Writes the 101 (and `extra` in the same write); resolves with the upstream's socket. */
  accept(extra?: Buffer): Socket;
  closed: Promise<void>;
}

/** An upstream whose upgrades wait for the test to accept them; plain requests get 200 "ok". */
async function startScriptedUpstream() {
  const pending: Accepting[] = [];
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    // The server's sockets are half-open capable: the gateway's FIN (or reset) ends this side too.
    socket.on('end', () => socket.end());
    const key = req.headers['sec-websocket-key'] as string;
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    pending.push({
      path: req.url ?? '',
      closed,
      accept(extra = Buffer.alloc(0)) {
        const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
        socket.write(Buffer.concat([Buffer.from(head, 'latin1'), extra]));
        return socket;
      },
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pending,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let up: Awaited<ReturnType<typeof startScriptedUpstream>>;
let stack: Stack;

beforeAll(async () => {
  up = await startScriptedUpstream();
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: up.url },
    edit: (raw) => {
      raw.session.storage = 'store';
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});

/** Polls until `ok()` (a generous deadline, not a timing claim). */
async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms && !ok(); waited += 5) await new Promise((r) => setTimeout(r, 5));
  return ok();
}

/** A raw WebSocket client: sends the upgrade with the cookie; `after` is every byte after the 101 head. */
async function rawClient(cookie: string, path: string) {
  const socket = net.connect(stack.gateway.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  let all = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (all = Buffer.concat([all, d])));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${stack.gateway.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: ${cookie}\r\n\r\n`,
  );
  const headEnd = () => all.indexOf('\r\n\r\n');
  return {
    socket,
    closed,
    status: () => (headEnd() < 0 ? '' : all.subarray(0, all.indexOf('\r\n')).toString('latin1')),
    after: () => (headEnd() < 0 ? Buffer.alloc(0) : all.subarray(headEnd() + 4)),
  };
}

async function signedIn() {
  const b = new TestBrowser();
  await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
  return { b, cookie: b.cookieHeader(stack.url)! };
}

/** Opens a WebSocket through the gateway; `extra` comes with the upstream's 101 in one write. */
async function opened(cookie: string, path: string, extra?: Buffer) {
  const before = up.pending.length;
  const client = await rawClient(cookie, path);
  expect(await until(() => up.pending.length === before + 1)).toBe(true);
  const upstream = up.pending[before]!;
  expect(upstream.path).toBe(path);
  const socket = upstream.accept(extra);
  expect(await until(() => client.status() !== '' && client.after().length >= (extra?.length ?? 0))).toBe(true);
  expect(client.status()).toBe('HTTP/1.1 101 Switching Protocols');
  return { client, socket, upstream };
}

/** An unmasked server frame: FIN + opcode, the payload length in its shortest form (or 64-bit when asked). */
function frame(opcode: number, payload: Buffer, long = false): Buffer {
  const n = payload.length;
  let head: Buffer;
  if (long || n > 65535) {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  } else if (n > 125) {
    head = Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]);
  } else head = Buffer.from([0x80 | opcode, n]);
  return Buffer.concat([head, payload]);
}

const logout = async (b: TestBrowser) => expect((await b.request(`${stack.url}/_auth/logout?rd=/`)).status).toBe(302);

describe('open WebSockets and revocation, at the edges', () => {
  it('a sign-out while the upstream is still accepting the upgrade closes the connection once it opens (1008)', async () => {
    const { b, cookie } = await signedIn();
    const before = up.pending.length;
    const client = await rawClient(cookie, '/chat/slow');
    // The gateway has checked the session and asked the upstream: the 101 is not written yet.
    expect(await until(() => up.pending.length === before + 1)).toBe(true);
    await logout(b);
    const upstream = up.pending[before]!;
    upstream.accept();
    expect(await until(() => client.socket.destroyed || client.after().length >= CLOSE_REVOKED.length)).toBe(true);
    expect(client.status()).toBe('HTTP/1.1 101 Switching Protocols');
    expect(client.after().toString('hex')).toBe(CLOSE_REVOKED.toString('hex'));
    client.socket.end();
    await client.closed;
    await upstream.closed;
  });

  it('frames that came with the 101 in one write reach the client whole, then the close frame', async () => {
    const { b, cookie } = await signedIn();
    const hello = frame(0x1, Buffer.from('hello'));
    const ping = frame(0x9, Buffer.from('p'));
    const { client, upstream } = await opened(cookie, '/chat/eager', Buffer.concat([hello, ping]));
    await logout(b);
    expect(await until(() => client.after().length >= hello.length + ping.length + CLOSE_REVOKED.length)).toBe(true);
    expect(client.after().toString('hex')).toBe(Buffer.concat([hello, ping, CLOSE_REVOKED]).toString('hex'));
    await upstream.closed;
    client.socket.end();
    await client.closed;
  });

  it('a frame with a 64-bit length, its head and payload split at awkward boundaries, then the close frame after it', async () => {
    const { b, cookie } = await signedIn();
    const { client, socket, upstream } = await opened(cookie, '/chat/long');
    const payload = Buffer.alloc(70_001, 0x61);
    const big = frame(0x2, payload);
    // The 10-byte head one byte a write, then the payload in odd pieces, then a short frame (64-bit form too).
    const small = frame(0x1, Buffer.from('x'), true);
    const pieces = [...[...big.subarray(0, 10)].map((x) => Buffer.from([x])), big.subarray(10, 10 + 7), big.subarray(17, 40_003), big.subarray(40_003)];
    pieces.push(small.subarray(0, 3), small.subarray(3));
    for (const p of pieces) {
      socket.write(p);
      await new Promise((r) => setTimeout(r, 2));
    }
    const sent = big.length + small.length;
    expect(await until(() => client.after().length >= sent)).toBe(true);
    await logout(b);
    expect(await until(() => client.after().length >= sent + CLOSE_REVOKED.length)).toBe(true);
    expect(client.after().equals(Buffer.concat([big, small, CLOSE_REVOKED]))).toBe(true);
    await upstream.closed;
    client.socket.end();
    await client.closed;
  });

  it('in the middle of a 64-bit frame head the connection is cut: the client has the bytes so far and no close frame', async () => {
    const { b, cookie } = await signedIn();
    const { client, socket, upstream } = await opened(cookie, '/chat/cut');
    const partial = frame(0x2, Buffer.alloc(300), true).subarray(0, 6);
    socket.write(partial);
    expect(await until(() => client.after().length >= partial.length)).toBe(true);
    await logout(b);
    await client.closed;
    await upstream.closed;
    expect(client.after().toString('hex')).toBe(partial.toString('hex'));
  });

  it("after the upstream's own close frame (and data it sent after it) the gateway adds no close frame: the connection is cut", async () => {
    const { b, cookie } = await signedIn();
    const { client, socket, upstream } = await opened(cookie, '/chat/closing');
    const close = frame(0x8, Buffer.from([0x03, 0xe8]));
    const after = frame(0x1, Buffer.from('late'));
    socket.write(Buffer.concat([close, after]));
    expect(await until(() => client.after().length >= close.length + after.length)).toBe(true);
    await logout(b);
    await client.closed;
    await upstream.closed;
    expect(client.after().toString('hex')).toBe(Buffer.concat([close, after]).toString('hex'));
  });
  it("a logout of one realm closes that realm's WebSocket only; the same user's session in the other realm keeps its own", async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/shop/`, 'bob', 'Bob-Passw0rd!');
    await b.signIn(`${stack.url}/merchant/`, 'bob', 'Bob-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    const shop = await opened(cookie, '/shop/live');
    const merchant = await opened(cookie, '/merchant/live');
    expect((await b.request(`${stack.url}/_auth/logout?realm=merchant`)).status).toBe(302);
    expect(await until(() => merchant.client.after().length >= CLOSE_REVOKED.length)).toBe(true);
    expect(merchant.client.after().toString('hex')).toBe(CLOSE_REVOKED.toString('hex'));
    await merchant.upstream.closed;
    // The buyer realm's connection still carries the upstream's frames, and nothing else came.
    const hello = frame(0x1, Buffer.from('still'));
    shop.socket.write(hello);
    expect(await until(() => shop.client.after().length >= hello.length)).toBe(true);
    expect(shop.client.after().toString('hex')).toBe(hello.toString('hex'));
    expect(shop.client.socket.destroyed).toBe(false);
    // Then the buyer realm's logout closes it.
    expect((await b.request(`${stack.url}/_auth/logout`)).status).toBe(302);
    expect(await until(() => shop.client.after().length >= hello.length + CLOSE_REVOKED.length)).toBe(true);
    expect(shop.client.after().toString('hex')).toBe(Buffer.concat([hello, CLOSE_REVOKED]).toString('hex'));
    await shop.upstream.closed;
    merchant.client.socket.destroy();
    shop.client.socket.destroy();
  });
});
