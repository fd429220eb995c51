/**
 * Drain with upgrades on Node (the real gateway, a raw recording upstream, the `ws` client): an
 * upgrade request still waiting for the upstream's answer is in flight like any request (counted,
 * cut at the deadline, never answered late from a gateway that reported itself stopped), an upgrade
 * the upstream accepts during the drain is cut at the deadline too, open WebSockets and slow
 * requests are counted exactly, and readiness answers 503 while the drain runs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { loadConfig } from '../../src/config/load';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { rawClient, startUpgradeUpstream, upgradeHead, type UpgradeUpstream } from '../proxy/upgrade-peers';
import { openAppConfig } from '../helpers/open-config';

const configText = (upstream: string, admin = false) =>
  openAppConfig(upstream, `listen:\n  shutdownTimeout: 20\nupstreamTimeout: 10s\n${admin ? 'admin:\n  listen: { host: 127.0.0.1, port: 0 }' : ''}`);

let up: UpgradeUpstream;
let gw: RunningGateway | undefined;
let logs: ReturnType<typeof createMemoryLogger>['lines'];

async function start(upstreamUrl: string, admin = false): Promise<RunningGateway> {
  const logger = createMemoryLogger('debug');
  logs = logger.lines;
  gw = await startNodeGateway({ config: loadConfig(configText(upstreamUrl, admin), {}, 'drain.yaml'), port: 0, host: '127.0.0.1', logger });
  return gw;
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};

beforeAll(async () => {
  up = await startUpgradeUpstream();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  up.connections.length = 0;
});
afterAll(async () => {
  await up?.close();
});

describe('drain with upgrade requests in flight', () => {
  it('counts an upgrade still waiting for the upstream, cuts it at the deadline and never answers it afterwards', async () => {
    up.answer = { kind: 'silent' };
    const g = await start(up.url);
    const c = await rawClient(g.port, upgradeHead(g.port, '/ws', ['Accept: application/json']));
    await until(() => up.connections.length === 1);
    // The upstream would be given 10 s (upstreamTimeout); the drain gives it 300 ms.
    expect(await g.drain(300)).toEqual({ cut: 1 });
    // Cut, not answered: no 504 from a gateway that has already said it stopped.
    expect(await c.closed).toBe('');
    expect(logs.filter((l) => l.msg === 'gateway stopped').map((l) => l.cut)).toEqual([1]);
  });

  it('cuts an upgrade the upstream accepts during the drain at the deadline (both sides closed)', async () => {
    up.answer = { kind: 'switch', delayMs: 200 };
    const g = await start(up.url);
    const c = await rawClient(g.port, upgradeHead(g.port, '/ws'));
    await until(() => up.connections.length === 1);
    const drained = g.drain(1500);
    // The 101 arrives while the drain runs, and the connection carries bytes until the deadline.
    await c.until(/^HTTP\/1\.1 101 /);
    c.socket.write('during-drain');
    await c.until(/echo:during-drain$/);
    expect(await drained).toEqual({ cut: 1 });
    expect(await c.closed).toMatch(/echo:during-drain$/);
    await until(() => up.connections[0]!.socket.destroyed);
    expect(up.connections[0]!.after.toString()).toBe('during-drain');
  });

  it('lets an upgrade refused by the upstream finish within the drain: answered, not cut', async () => {
    up.answer = { kind: 'respond', status: '426 Upgrade Required', headers: ['Upgrade: websocket'], body: 'use ws' };
    const g = await start(up.url);
    const c = await rawClient(g.port, upgradeHead(g.port, '/ws'));
    await c.until(/use ws$/);
    // The client keeps its end open; the gateway's answer is complete, so nothing is in flight.
    expect(await g.drain(2000)).toEqual({ cut: 0 });
    expect(c.received().toString('latin1')).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
  });
});

describe('upgraded connections that end on their own', () => {
  it('a WebSocket the client closes during the drain is not cut: the drain ends early with cut 0', async () => {
    up.answer = { kind: 'switch' };
    const g = await start(up.url);
    const c = await rawClient(g.port, upgradeHead(g.port, '/ws'));
    await c.until(/^HTTP\/1\.1 101 /);
    const drained = g.drain(10_000);
    c.socket.write('bye');
    await c.until(/echo:bye$/);
    c.socket.end();
    expect(await drained).toEqual({ cut: 0 });
    expect(logs.filter((l) => l.msg === 'gateway stopped').map((l) => l.cut)).toEqual([0]);
  });

  it('reload() keeps an open upgraded connection and the new config decides the next upgrade', async () => {
    up.answer = { kind: 'switch' };
    const logger = createMemoryLogger('debug');
    logs = logger.lines;
    const blocked = configText(up.url).replace('action: bypass', 'action: block').replace('paths: ["/*"]', 'paths: ["/ws"]');
    let text = configText(up.url);
    const g = await startNodeGateway({
      config: loadConfig(text, {}, 'drain.yaml'),
      loadConfig: async () => loadConfig(text, {}, 'drain.yaml'),
      port: 0,
      host: '127.0.0.1',
      logger,
    });
    gw = g;
    const open = await rawClient(g.port, upgradeHead(g.port, '/ws'));
    await open.until(/^HTTP\/1\.1 101 /);
    text = blocked;
    expect(await g.reload()).toBe(true);
    open.socket.write('after-reload');
    await open.until(/echo:after-reload$/);
    const next = await rawClient(g.port, upgradeHead(g.port, '/ws', ['Accept: application/json']));
    const answer = await next.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(up.connections.length).toBe(1);
    open.socket.destroy();
  });
});

describe('a new upgrade during the drain', () => {
  it('gets the catalogue 503 (request id in header and body) and a log line, and never reaches the upstream', async () => {
    up.answer = (head) =>
      head.startsWith('GET /slow ') ? { kind: 'respond', status: '200 OK', headers: [], body: 'slow-done', delayMs: 300 } : { kind: 'switch' };
    const g = await start(up.url);
    // The upgrade is pipelined behind a request in flight, so it is taken up after the drain began.
    const c = await rawClient(g.port, `GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\n\r\n${upgradeHead(g.port, '/ws', ['Accept: application/json'])}`);
    await until(() => up.connections.length === 1);
    const drained = g.drain(2000);
    const text = await c.closed;
    const second = text.slice(text.indexOf('slow-done') + 'slow-done'.length);
    const end = second.indexOf('\r\n\r\n');
    const lines = second.slice(0, end).split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 503 Service Unavailable');
    const body = JSON.parse(second.slice(end + 4));
    expect(body).toEqual({ error: 'not_ready', error_description: 'The gateway is not ready: draining.', request_id: body.request_id });
    expect(lines).toContain(`x-request-id: ${body.request_id}`);
    expect(logs.find((l) => l.requestId === body.request_id)).toMatchObject({ level: 'warn', msg: 'request refused', reason: 'draining' });
    expect(up.connections.map((u) => u.head.split('\r\n')[0])).toEqual(['GET /slow HTTP/1.1']);
    expect(await drained).toEqual({ cut: 0 });
  });
});

describe('drain with open WebSockets and a slow request', () => {
  it('answers readiness 503 while draining and cuts exactly the three still open at the deadline', async () => {
    // A real WebSocket upstream that also serves /slow (answers after 5 s) and counts upgrades.
    let wsUpgrades = 0;
    let slowSeen = 0;
    const upstream = http.createServer((req, res) => {
      if (req.url === '/slow') {
        slowSeen++;
        setTimeout(() => res.end('late'), 5000);
      } else res.end('fast');
    });
    const wss = new WebSocketServer({ server: upstream });
    wss.on('connection', (ws) => {
      wsUpgrades++;
      ws.on('message', (d) => ws.send(`echo:${d.toString()}`));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    try {
      const g = await start(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, true);
      const wsUrl = g.url.replace('http:', 'ws:');
      const sockets = await Promise.all(
        [1, 2].map(
          (n) =>
            new Promise<WebSocket>((resolve, reject) => {
              const ws = new WebSocket(`${wsUrl}/room/${n}`);
              ws.once('open', () => resolve(ws));
              ws.once('error', reject);
            }),
        ),
      );
      const closes = sockets.map((ws) => new Promise<number>((r) => ws.once('close', (code) => r(code))));
      sockets[0]!.send('hi');
      expect(await new Promise<string>((r) => sockets[0]!.once('message', (d) => r(d.toString())))).toBe('echo:hi');

      const slow = new Promise<string>((resolve) => {
        http
          .get({ host: '127.0.0.1', port: g.port, path: '/slow', agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(`ended ${res.statusCode}`));
            res.on('error', () => resolve('cut'));
          })
          .on('error', () => resolve('cut'));
      });
      await until(() => slowSeen === 1 && wsUpgrades === 2);

      const drained = g.drain(1500);
      const ready = await fetch(`${g.adminUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).error).toBe('not_ready');

      expect(await drained).toEqual({ cut: 3 });
      expect(await Promise.all(closes)).toEqual([1006, 1006]);
      expect(await slow).toBe('cut');
      expect(logs.filter((l) => l.msg === 'gateway stopped').map((l) => l.cut)).toEqual([3]);
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    }
  });
});
