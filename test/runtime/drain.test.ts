/**
 * Stopping and scaling on Node with real processes: SIGTERM drains (in-flight requests finish, new
 * connections are refused, exit 0 with one line saying how many were cut), a request longer than
 * listen.shutdownTimeout is cut and counted, and `serve --workers 2` runs two processes on one
 * port, restarts a killed one, reloads both on SIGHUP and drains both on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/cli/config-file';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway } from '../../src/runtime/node';
import { freePort } from '../helpers/nginx';
import { openAppConfig } from '../helpers/open-config';

const configText = (upstream: string, shutdownTimeout: number) => openAppConfig(upstream, `listen:\n  shutdownTimeout: ${shutdownTimeout}`);

let dir: string;
let upstream: http.Server;
let upstreamUrl: string;

/**
 * Requests for /hold/* that reached the upstream: it answers one only when the test releases it, so
 * "in flight" and "finished" are the test's own events, never a race with a timer.
 */
interface Held {
  release(): void;
  /** Whether the upstream had answered when the request's connection closed. */
  ended: Promise<'answered' | 'closed unanswered'>;
}
const held = new Map<string, Held>();

/** Waits until the upstream holds `path` (a generous deadline, not a timing claim). */
async function heldAt(path: string): Promise<Held> {
  const until = Date.now() + 10_000;
  while (!held.has(path)) {
    if (Date.now() > until) throw new Error(`${path} never reached the upstream`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return held.get(path)!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-drain-'));
  // /hold/* answers when the test releases it; everything else at once.
  upstream = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith('/hold/')) {
      res.end(`done ${url}`);
      return;
    }
    const ended = new Promise<'answered' | 'closed unanswered'>((r) => res.once('close', () => r(res.writableFinished ? 'answered' : 'closed unanswered')));
    held.set(url, { release: () => res.end(`done ${url}`), ended });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

interface Proc {
  child: ChildProcess;
  out: () => string;
  waitFor(text: string, count?: number, ms?: number): Promise<void>;
  exited: Promise<number | null>;
}

function startProcess(args: string[], port: number): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    out: () => out,
    exited,
    async waitFor(text, count = 1, ms = 20_000) {
      const until = Date.now() + ms;
      while (out.split(text).length - 1 < count) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`never saw ${count}× "${text}": ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function logLine(out: string, msg: string): Record<string, unknown> | undefined {
  for (const line of out.split('\n')) {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === msg) return parsed;
    } catch {
      /* not a log line */
    }
  }
  return undefined;
}

describe('readiness', () => {
  it('answers 503 at /_auth/readyz until the signing keys can be fetched (none here), and reports draining once a drain begins', async () => {
    const file = join(dir, 'ready.yaml');
    writeFileSync(file, configText(upstreamUrl, 5));
    const gw = await startNodeGateway({ config: await readConfigFile(file, {}), port: 0, host: '127.0.0.1', logger: createMemoryLogger() });
    const ready = await get(gw.port, '/_auth/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).error_description).toBe('The gateway is not ready: the signing keys (JWKS) could not be fetched yet.');
    expect((await get(gw.port, '/_auth/healthz')).status).toBe(200);
    const slow = get(gw.port, '/hold/ready');
    const inFlight = await heldAt('/hold/ready');
    const drained = gw.drain();
    expect(gw.draining()).toBe(true);
    inFlight.release();
    expect(await slow).toEqual({ status: 200, body: 'done /hold/ready' });
    expect(await drained).toEqual({ cut: 0 });
  });
});

describe('graceful drain of a gateway process', () => {
  it('lets an in-flight request finish after SIGTERM, refuses new connections, exits 0 and logs cut: 0', async () => {
    const file = join(dir, 'drain.yaml');
    writeFileSync(file, configText(upstreamUrl, 10));
    const port = await freePort();
    const p = startProcess(['--config', file], port);
    await p.waitFor('gateway listening');
    const slow = get(port, '/hold/drain');
    const inFlight = await heldAt('/hold/drain');
    p.child.kill('SIGTERM');
    // New connections are refused while the held request keeps the process draining (it cannot exit
    // before the upstream answers: shutdownTimeout is 10 s). Asked until the listener is closed: until
    // then a connection is served, or closed unserved if the listener closes under it (a reset in the
    // handshake when it was still in the accept queue, or after it, seen by the client on read, write or
    // connect).
    const before: string[] = [];
    let fresh = '';
    for (;;) {
      fresh = await get(port, '/fast').then(
        (r) => `${r.status} ${r.body}`,
        (e: Error) => e.message,
      );
      if (/ECONNREFUSED/.test(fresh)) break;
      before.push(fresh);
    }
    expect(before.filter((a) => !/^(200 done \/fast|socket hang up|(read|write|connect) ECONNRESET|write EPIPE)$/.test(a))).toEqual([]);
    expect(p.child.exitCode).toBe(null);
    inFlight.release();
    expect(await slow).toEqual({ status: 200, body: 'done /hold/drain' });
    expect(await inFlight.ended).toBe('answered');
    expect(await p.exited).toBe(0);
    expect(logLine(p.out(), 'gateway stopped')).toMatchObject({ cut: 0 });
  });

  it('cuts a request still running at shutdownTimeout, counts it, and still exits 0', async () => {
    const file = join(dir, 'cut.yaml');
    writeFileSync(file, configText(upstreamUrl, 1));
    const port = await freePort();
    const p = startProcess(['--config', file], port);
    await p.waitFor('gateway listening');
    const slow = get(port, '/hold/cut').catch((e: Error) => e.message);
    const inFlight = await heldAt('/hold/cut');
    p.child.kill('SIGTERM');
    // The upstream never answers (nothing releases it): the process can only exit by cutting the
    // request at shutdownTimeout, which the upstream sees as its request closed unanswered.
    expect(await p.exited).toBe(0);
    expect(await slow).toMatch(/socket hang up|ECONNRESET/);
    expect(await inFlight.ended).toBe('closed unanswered');
    expect(logLine(p.out(), 'gateway stopped')).toMatchObject({ cut: 1 });
  });
});

describe('serve --workers 2', () => {
  it('serves from two processes on one port, restarts a killed one, reloads on SIGHUP, drains on SIGTERM', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, configText(upstreamUrl, 5));
    const port = await freePort();
    const p = startProcess(['--config', file, '--workers', '2'], port);
    try {
      await p.waitFor('gateway listening', 2, 40_000);
      expect(logLine(p.out(), 'cluster started')).toMatchObject({ workers: 2 });
      expect((await get(port, '/x')).body).toBe('done /x');
      const pids = [...p.out().matchAll(/"msg":"gateway listening".*?"pid":(\d+)/g)].map((m) => Number(m[1]));
      expect(new Set(pids).size).toBe(2);
      process.kill(pids[0]!, 'SIGKILL');
      await p.waitFor('worker died; starting another');
      await p.waitFor('gateway listening', 3, 40_000);
      expect((await get(port, '/y')).body).toBe('done /y');
      p.child.kill('SIGHUP');
      await p.waitFor('config reloaded', 2);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.out().split('"msg":"gateway stopped"').length - 1).toBe(2);
      expect(logLine(p.out(), 'cluster stopped')).toMatchObject({ level: 'info', pid: p.child.pid });
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 120_000);
});
