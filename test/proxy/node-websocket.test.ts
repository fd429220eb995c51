/**
 * WebSockets and streams through the real Node gateway (demo config, emulator sign-in) with the
 * `ws` client and a `ws` upstream: the upgrade is decided by the same policy and credentials as any
 * request, the upstream sees the identity headers and the assertion on the upgrade request, frames
 * flow both ways, and the connection is closed when the session's absolute lifetime ends.
 * Server-sent events flow without buffering.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { machineToken } from '../helpers/tokens';
import { connectWs as connect, eventsUntilClose, startWsUpstream, type WsUpstream } from './ws-peers';

/** Resolves the SSE route's second event (set once the route has sent its first). */
let releaseSse: (() => void) | undefined;

/** The shared ws upstream, with a server-sent events route at /public/sse. */
const startUpstream = () =>
  startWsUpstream({
    onPlain: (req, res) => {
      if (req.url !== '/public/sse') return false;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('data: first\n\n');
      releaseSse = () => res.end('data: second\n\n');
      return true;
    },
  });

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(d.toString())));
}

let offset = 0;
const now = () => Date.now() + offset;
let up: WsUpstream;
let stack: Stack;
let cookie: string;
let wsBase: string;

beforeAll(async () => {
  up = await startUpstream();
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: up.url },
    now,
    emulatorNow: now,
    edit: (raw) => {
      raw.session.absoluteLifetime = 60;
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

/** upgrades_closed_total{reason="lifetime"}: upgraded connections the gateway ended when their credentials did. */
function lifetimeEnds(): number {
  const line = stack.gateway
    .gateway()
    .metrics.render()
    .split('\n')
    .find((l) => l.startsWith('cognito_gateway_upgrades_closed_total{reason="lifetime"} '));
  return Number(line?.slice(line.lastIndexOf(' ') + 1));
}

describe('WebSocket upgrades on Node', () => {
  it('sends a browser without a session to sign in, and never reaches the upstream', async () => {
    const before = up.connections.length;
    const r = await connect(`${wsBase}/chat`, { accept: 'text/html' });
    expect(r.status).toBe(302);
    expect(r.location).toContain('/oauth2/authorize');
    expect(up.connections.length).toBe(before);
  });

  it('answers 401 to an API client without credentials', async () => {
    const r = await connect(`${wsBase}/chat`, { accept: 'application/json' });
    expect(r.status).toBe(401);
  });

  it('upgrades with a session cookie: identity headers and assertion upstream, frames both ways, gateway cookie stripped', async () => {
    const r = await connect(`${wsBase}/chat?room=1`, { cookie: `${cookie}; app=1`, 'x-auth-user': 'mallory' });
    expect(r.ws!.readyState).toBe(WebSocket.OPEN);
    const ws = r.ws!;
    ws.send('hello');
    expect(await nextMessage(ws)).toBe('echo:hello');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect([...Buffer.from(await new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer))))]).toEqual([1, 2, 3]);
    const req = up.connections.at(-1)!.req;
    expect(req.url).toBe('/chat?room=1');
    expect(req.headers['x-auth-user']).toBe('alice');
    expect(req.headers[stack.config.assertion.header.toLowerCase()]).toMatch(/^eyJ/);
    expect(req.headers.cookie).toBe('app=1');
    ws.close();
  });

  it('upgrades with a bearer token where the policy accepts one', async () => {
    const token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/read');
    const r = await connect(`${wsBase}/api/stream`, { authorization: `Bearer ${token}` });
    expect(r.ws!.readyState).toBe(WebSocket.OPEN);
    r.ws!.send('ping');
    expect(await nextMessage(r.ws!)).toBe('echo:ping');
    expect(up.connections.at(-1)!.req.headers.authorization).toBe(`Bearer ${token}`);
    r.ws!.close();
  });

  it('refuses a bearer token without the scope the route needs (403), before any upgrade', async () => {
    const token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/write');
    const before = up.connections.length;
    const r = await connect(`${wsBase}/api/stream`, { authorization: `Bearer ${token}` });
    expect(r.status).toBe(403);
    expect(up.connections.length).toBe(before);
  });

  it('closes the connection when the session reaches its absolute lifetime', async () => {
    // Signed in at offset 0 with a 60 s lifetime (createdAt in whole seconds): at +56 s, 3-4 s are left.
    offset = 56_000;
    // No connection of this file has been ended by its credentials yet.
    expect(lifetimeEnds()).toBe(0);
    try {
      const r = await connect(`${wsBase}/chat`, { cookie });
      expect(r.ws!.readyState).toBe(WebSocket.OPEN);
      // What the client sees, in order: a frame through the upstream and back (the gateway did not
      // close it at once), then the gateway's close when the lifetime ends. Between two frames, the
      // gateway says why: 1008 (policy violation), "expired" (the lifetime timer's frame; a
      // revocation's says "revoked"), and counts it as ended by the lifetime.
      expect(await eventsUntilClose(r.ws!, 'still-valid')).toEqual(['message echo:still-valid', 'close 1008 expired']);
      expect(lifetimeEnds()).toBe(1);
    } finally {
      offset = 0;
    }
  });
});

describe('streams on Node', () => {
  it('delivers a server-sent event before the upstream has finished the response', async () => {
    const first = await new Promise<{ text: string; res: http.IncomingMessage }>((resolve, reject) => {
      http
        .get(`${stack.url}/public/sse`, (res) => {
          res.setEncoding('utf8');
          res.once('data', (d: string) => resolve({ text: d, res }));
        })
        .on('error', reject);
    });
    expect(first.res.headers['content-type']).toBe('text/event-stream');
    expect(first.text).toBe('data: first\n\n');
    let rest = '';
    first.res.on('data', (d: string) => (rest += d));
    const ended = new Promise((r) => first.res.once('end', r));
    releaseSse!();
    await ended;
    expect(rest).toBe('data: second\n\n');
  });
});
