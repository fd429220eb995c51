/**
 * `upstreamTimeout` on Node: the time the gateway gives an upstream for its response head, kept by
 * the forwarder's own deadlines (src/runtime/node-forward.ts HeadDeadlines) rather than undici's.
 * Real gateway (demo config, `upstreamTimeout: 1s`) in front of a node:http upstream that stalls in
 * the ways that matter: no head at all, a head after the deadline, a head in time and a body that
 * pauses longer than the deadline. Asserted: the catalogue's 504 (JSON, request id, log line and
 * metric), the abandoned upstream request closed by the gateway, a late head never reaching the
 * client, and the client's keep-alive connection still serving; a slow body is not cut.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack';

/** What the upstream saw of each request: its path, and whether its socket closed before an answer. */
interface Seen {
  path: string;
  closedUnanswered: Promise<boolean>;
}

let stack: Stack;
let upstream: http.Server;
const seen: Seen[] = [];
const timers = new Set<NodeJS.Timeout>();
const later = (ms: number, f: () => void) => {
  const t = setTimeout(() => {
    timers.delete(t);
    f();
  }, ms);
  timers.add(t);
};

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const path = req.url ?? '';
    let answered = false;
    const closedUnanswered = new Promise<boolean>((resolve) => res.once('close', () => resolve(!answered)));
    seen.push({ path, closedUnanswered });
    const answer = (body: string) => {
      answered = true;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (path.startsWith('/public/silent')) return; // never answers
    if (path.startsWith('/public/late-head')) return later(1800, () => !res.destroyed && answer('too late'));
    if (path.startsWith('/public/slow-body')) {
      answered = true;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first,');
      return later(1800, () => res.end('then the rest'));
    }
    answer(`fine ${path}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
    edit: (raw) => {
      raw.upstreamTimeout = '1s';
      raw.admin = { listen: { port: 0 } };
    },
  });
});
afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  await stack?.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

/** GETs on one keep-alive connection (an Agent with one socket), as a browser reuses its connection. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

function get(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socketReused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${stack.url}${path}`, { agent, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socketReused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function timeoutCount(): Promise<number> {
  const text = await (await fetch(`${stack.gateway.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('cognito_gateway_upstream_errors_total{app="demo",kind="timeout"}'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('upstreamTimeout (Node forwarder)', () => {
  it('an upstream that never answers: the catalogue 504, logged and counted, and the upstream request closed unanswered', async () => {
    const before = await timeoutCount();
    const r = await get('/public/silent');
    expect(r.status).toBe(504);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ error: 'upstream_timeout', request_id: r.headers['x-request-id'] });
    const line = stack.logs.find((l) => l.requestId === body.request_id && l.msg === 'request');
    expect(line).toMatchObject({ status: 504, path: '/public/silent' });
    expect(await timeoutCount()).toBe(before + 1);
    const upstreamSide = seen.find((s) => s.path === '/public/silent');
    expect(await upstreamSide!.closedUnanswered).toBe(true);
  });

  it('a head that comes after the deadline never reaches the client, and its connection goes on serving', async () => {
    const r = await get('/public/late-head');
    expect(r.status).toBe(504);
    expect(r.body).not.toContain('too late');
    // The same client connection: the late answer did not end up on it, the next answer is the next request's.
    const next = await get('/public/after');
    expect(next).toMatchObject({ status: 200, body: 'fine /public/after', socketReused: true });
    expect(await seen.find((s) => s.path === '/public/late-head')!.closedUnanswered).toBe(true);
  });

  it('requests waiting side by side each keep their own deadline: the silent ones get 504, the ones answered in between their answers', async () => {
    const paths = ['/public/silent-a', '/public/quick-1', '/public/silent-b', '/public/quick-2', '/public/silent-c'];
    const answers = await Promise.all(
      paths.map((p) => fetch(`${stack.url}${p}`, { headers: { accept: 'application/json' } }).then(async (r) => [r.status, await r.text()] as const)),
    );
    expect(answers.map(([status]) => status)).toEqual([504, 200, 504, 200, 504]);
    expect(answers[1]![1]).toBe('fine /public/quick-1');
    expect(answers[3]![1]).toBe('fine /public/quick-2');
    for (const p of ['/public/silent-a', '/public/silent-b', '/public/silent-c']) expect(await seen.find((s) => s.path === p)!.closedUnanswered).toBe(true);
  });

  it('the deadline is for the head only: a body that pauses longer than upstreamTimeout arrives whole', async () => {
    const r = await get('/public/slow-body');
    expect(r.status).toBe(200);
    expect(r.body).toBe('first,then the rest');
  });
});
