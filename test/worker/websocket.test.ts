/**
 * WebSocket upgrades through the production Worker bundle in workerd, with a real `ws` upstream on
 * loopback and the `ws` client: the upgrade is decided like any request (no credentials: the
 * sign-in redirect or 401, and the upstream sees nothing), the upstream's upgrade request carries
 * the identity headers and the assertion (never the client's forged ones), text and binary frames
 * flow both ways through the gateway's WebSocketPair relay, the upstream's subprotocol reaches the
 * client, a client close reaches the upstream with its code, and the gateway closes the socket with
 * 1008 "expired" when the credentials end.
 *
 * The Worker's clock is workerd's (real time) and session.absoluteLifetime is at least 1 minute,
 * so the short credential lifetime is a bearer token minted by an emulator whose clock runs behind:
 * its exp is a few seconds ahead of real time. The test asserts the order of events (an echo first,
 * then the 1008 close), never how long anything took.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { rawExchange, splitResponse } from '../proxy/raw-peers';
import { connectWs as connect, eventsUntilClose, startWsUpstream, type WsUpstream } from '../proxy/ws-peers';
import { TestBrowser } from '../helpers/browser';
import { machineToken } from '../helpers/tokens';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

/** Heads and targets of the upgrade requests the upstream accepted; plain requests as "METHOD /path". */
const upgrades = () => up.connections.map((c) => c.req.headers);
const upgradeUrls = () => up.connections.map((c) => c.req.url ?? '');
const plainLines = () => up.plain.map((r) => `${r.method} ${r.url}`);

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

let offset = 0;
let up: WsUpstream;
let stack: WorkerStack;
let cookie: string;
let wsBase: string;
let assertionHeader = 'x-auth-assertion';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

beforeAll(async () => {
  up = await startWsUpstream();
  const gone = `http://127.0.0.1:${await closedPort()}`;
  stack = await startWorkerStack({
    bundleDir: inject('workerBundleDir'),
    vars: { DEMO_UPSTREAM_URL: up.url },
    emulatorNow: () => Date.now() + offset,
    edit: (raw) => {
      assertionHeader = String(raw.assertion?.header ?? 'X-Auth-Assertion').toLowerCase();
      // An app whose upstream cannot be reached (first: the demo app matches every other path).
      raw.apps.unshift({
        id: 'gone',
        name: 'Gone app',
        pathPrefix: '/gone',
        upstream: gone,
        policies: [{ name: 'signed-in', action: 'allow', include: [{ authenticated: true }] }],
      });
    },
  });
  const b = new TestBrowser();
  await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
  cookie = b.cookieHeader(stack.url)!;
  wsBase = stack.url.replace('http:', 'ws:');
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});
beforeEach(() => {
  up.connections.length = 0;
  up.plain.length = 0;
  up.closes.length = 0;
});

describe('WebSocket upgrades on Workers', () => {
  it('upgrades with a session cookie: identity headers and the assertion upstream, text and binary frames both ways', async () => {
    const r = await connect(`${wsBase}/chat?room=1`, { cookie: `${cookie}; app=1`, 'x-auth-user': 'mallory', 'x-auth-email': 'mallory@evil.example' });
    expect(r.status).toBeUndefined();
    const ws = r.ws!;
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send('hello');
    const text = await nextMessage(ws);
    expect([text.isBinary, text.data.toString()]).toEqual([false, 'echo:hello']);
    ws.send(Buffer.from([1, 2, 3, 0, 255]), { binary: true });
    const bin = await nextMessage(ws);
    expect([bin.isBinary, [...bin.data]]).toEqual([true, [1, 2, 3, 0, 255]]);

    expect(upgrades()).toHaveLength(1);
    expect(up.plain).toEqual([]);
    const h = upgrades()[0]!;
    expect(upgradeUrls()[0]).toBe('/chat?room=1');
    expect(h.upgrade?.toLowerCase()).toBe('websocket');
    expect(h['x-auth-user']).toBe('alice');
    expect(h['x-auth-email']).toBe('alice@example.com');
    expect(h[assertionHeader]).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(h.cookie).toBe('app=1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(new URL(stack.url).host);
    // The 101 the client got carries the same request id the upstream was sent.
    expect(h['x-request-id']).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(r.head?.['x-request-id']).toBe(h['x-request-id']);
    const done = closed(ws);
    ws.close(1000);
    expect(await done).toEqual({ code: 1000, reason: '' });
    await expect.poll(() => up.closes, { timeout: 10_000 }).toEqual([{ code: 1000, reason: '' }]);
  });

  it('sends a browser without credentials to sign in (302) and an API client gets 401; the upstream sees neither', async () => {
    const browser = await connect(`${wsBase}/chat`, { accept: 'text/html' });
    expect(browser.status).toBe(302);
    expect(browser.location).toContain('/oauth2/authorize');
    const api = await connect(`${wsBase}/chat`, { accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(upgrades()).toEqual([]);
    expect(up.plain).toEqual([]);
  });

  it('refuses a cookie upgrade opened by a page of another origin (403 cross_origin_upgrade) before the upstream', async () => {
    const r = await connect(`${wsBase}/chat`, { cookie, origin: 'https://evil.example', accept: 'application/json' });
    expect(r.status).toBe(403);
    expect((JSON.parse(r.body!) as { error: string }).error).toBe('cross_origin_upgrade');
    expect(upgrades()).toEqual([]);
    expect(up.plain).toEqual([]);
  });

  it("gives the client the upstream's subprotocol choice", async () => {
    const r = await connect(`${wsBase}/chat`, { cookie }, ['chat.v1', 'chat.v2']);
    expect(r.ws!.protocol).toBe('chat.v2');
    expect(r.head?.['sec-websocket-protocol']).toBe('chat.v2');
    expect(
      upgrades()[0]!
        ['sec-websocket-protocol']?.split(',')
        .map((p) => p.trim()),
    ).toEqual(['chat.v1', 'chat.v2']);
    // A close without a status code reaches the upstream as one without a status (1005).
    const done = closed(r.ws!);
    r.ws!.close();
    expect((await done).code).toBe(1005);
    await expect.poll(() => up.closes, { timeout: 10_000 }).toEqual([{ code: 1005, reason: '' }]);
  });

  it('passes a client close on to the upstream with its code and reason', async () => {
    const r = await connect(`${wsBase}/chat`, { cookie });
    const ws = r.ws!;
    ws.send('ping');
    expect((await nextMessage(ws)).data.toString()).toBe('echo:ping');
    const done = closed(ws);
    ws.close(4001, 'bye');
    expect(await done).toEqual({ code: 4001, reason: 'bye' });
    await expect.poll(() => up.closes, { timeout: 10_000 }).toEqual([{ code: 4001, reason: 'bye' }]);
  });

  it("answers an upstream that does not switch protocols with the upstream's own answer, not a 101", async () => {
    const r = await connect(`${wsBase}/refused/socket`, { cookie });
    expect(r.status).toBe(403);
    expect(r.body).toBe('no sockets here');
    expect(r.headers?.['x-request-id']).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(upgrades()).toEqual([]);
  });

  it('answers 502 upstream_unreachable from the catalogue when the upstream cannot be reached', async () => {
    const r = await connect(`${wsBase}/gone/socket`, { cookie, accept: 'application/json' });
    expect(r.status).toBe(502);
    const body = JSON.parse(r.body!) as { error: string; request_id: string };
    expect(body.error).toBe('upstream_unreachable');
    expect(body.request_id).toBe(r.headers?.['x-request-id']);
    await expect
      .poll(() => stack.logs.find((l) => l.msg === 'request' && l.requestId === body.request_id && l.status === 502)?.app, { timeout: 10_000 })
      .toBe('gone');
  });

  it('forwards another Upgrade offer (h2c) as a plain request without Upgrade, as before', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${stack.url}/public/h2c`, {
        headers: { cookie, upgrade: 'h2c', connection: 'Upgrade, HTTP2-Settings', 'http2-settings': 'AAMAAABkAAQAAP__' },
      });
      req.once('response', (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => (body += d));
        r.once('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.once('upgrade', () => reject(new Error('switched protocols')));
      req.once('error', reject);
      req.end();
    });
    expect(res).toEqual({ status: 200, body: 'plain' });
    expect(plainLines()).toEqual(['GET /public/h2c']);
    expect(up.plain[0]!.headers.upgrade).toBeUndefined();
    expect(up.plain[0]!.headers['http2-settings']).toBeUndefined();
    expect(upgrades()).toEqual([]);
  });

  it('refuses a malformed handshake (no version 13, no key) with 400 bad_request before the upstream', async () => {
    const port = Number(new URL(stack.url).port);
    const head = (method: string, extra: string) =>
      `${method} /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\nAccept: application/json\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}Content-Length: 0\r\n\r\n`;
    const cases: Array<[string, string, string]> = [
      ['GET', '', 'A WebSocket handshake needs Sec-WebSocket-Version: 13.'],
      ['GET', 'Sec-WebSocket-Version: 13\r\n', 'A WebSocket handshake needs a Sec-WebSocket-Key.'],
    ];
    for (const [method, extra, message] of cases) {
      const raw = await rawExchange(port, head(method, extra), { until: (b) => /\r\n\r\n[\s\S]*\}/.test(b.toString('latin1')) });
      const { lines, body } = splitResponse(raw);
      expect(lines[0]).toBe('HTTP/1.1 400 Bad Request');
      const json = JSON.parse(body.toString('utf8')) as { error: string; error_description: string; request_id: string };
      expect([json.error, json.error_description]).toEqual(['bad_request', message]);
      expect(lines.map((l) => l.toLowerCase())).toContain(`x-request-id: ${json.request_id.toLowerCase()}`);
    }
    expect(upgrades()).toEqual([]);
    expect(up.plain).toEqual([]);
  });

  it('closes the socket with 1008 "expired" when the bearer token behind it expires, after frames flowed', async () => {
    // The emulator's clock runs 3596 s behind: the token's exp (1 h after issue) is ~4 s from now.
    offset = -(3600 - 4) * 1000;
    let token: string;
    try {
      token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/read');
    } finally {
      offset = 0;
    }
    const r = await connect(`${wsBase}/api/stream`, { authorization: `Bearer ${token}` });
    expect(r.status).toBeUndefined();
    expect(await eventsUntilClose(r.ws!, 'still-valid')).toEqual(['message echo:still-valid', 'close 1008 expired']);
    expect(upgrades()[0]!.authorization).toBe(`Bearer ${token}`);
    // The upstream's side is closed by the gateway too.
    await expect.poll(() => up.closes, { timeout: 10_000 }).toEqual([{ code: 1008, reason: 'expired' }]);
  }, 30_000);
});
