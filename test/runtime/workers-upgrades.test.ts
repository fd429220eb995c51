/**
 * `serve --workers 2` as a real process tree: SIGTERM with a WebSocket open on one worker drains
 * both (the WebSocket is cut at listen.shutdownTimeout and counted once, by the worker that held
 * it), and a cluster whose workers cannot start (the port is taken) exits 1 like a single process
 * does, instead of restarting them for ever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort } from '../helpers/nginx';
import { openAppConfig } from '../helpers/open-config';

const configText = (upstream: string) => openAppConfig(upstream, 'listen:\n  shutdownTimeout: 1');

let dir: string;
let upstream: http.Server;
let wss: WebSocketServer;
let upstreamUrl: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-workers-'));
  upstream = http.createServer((_req, res) => res.end('ok'));
  wss = new WebSocketServer({ server: upstream });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(`echo:${d.toString()}`)));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

function serve(args: string[], port: number) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const lines = (msg: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === msg);
  const waitFor = async (msg: string, count: number, ms = 40_000) => {
    const until = Date.now() + ms;
    while (lines(msg).length < count) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`never saw ${count}× "${msg}": ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, lines, waitFor, out: () => out };
}

describe('serve --workers 2', () => {
  it('replaces a worker that dies soon after its start after a delay that doubles: 1 s, then 2 s', async () => {
    const file = join(dir, 'crash.yaml');
    writeFileSync(file, configText(upstreamUrl));
    const port = await freePort();
    const p = serve(['--config', file, '--workers', '2'], port);
    try {
      await p.waitFor('gateway listening', 2);
      const pidOf = (n: number) => Number(p.lines('gateway listening')[n]!.pid);
      process.kill(pidOf(0), 'SIGKILL');
      await p.waitFor('worker died; starting another', 1);
      expect(p.lines('worker died; starting another')[0]).toMatchObject({ pid: pidOf(0), signal: 'SIGKILL', restartInMs: 1000 });
      await p.waitFor('gateway listening', 3);
      process.kill(pidOf(2), 'SIGKILL');
      await p.waitFor('worker died; starting another', 2);
      expect(p.lines('worker died; starting another')[1]).toMatchObject({ pid: pidOf(2), signal: 'SIGKILL', restartInMs: 2000 });
      await p.waitFor('gateway listening', 4);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });

  it('drains both workers on SIGTERM: an open WebSocket is cut at shutdownTimeout and counted once; exit 0', async () => {
    const file = join(dir, 'ws.yaml');
    writeFileSync(file, configText(upstreamUrl));
    const port = await freePort();
    const p = serve(['--config', file, '--workers', '2'], port);
    try {
      await p.waitFor('gateway listening', 2);
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const s = new WebSocket(`ws://127.0.0.1:${port}/live`);
        s.once('open', () => resolve(s));
        s.once('error', reject);
      });
      ws.send('hi');
      expect(await new Promise<string>((r) => ws.once('message', (d) => r(d.toString())))).toBe('echo:hi');
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(await closed).toBe(1006);
      const stopped = p.lines('gateway stopped');
      expect(stopped.map((l) => l.cut).sort()).toEqual([0, 1]);
      expect(p.lines('cluster stopped').length).toBe(1);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 90_000);

  it('exits 1 when the workers cannot start (port taken), without restarting them in a loop', async () => {
    const file = join(dir, 'taken.yaml');
    writeFileSync(file, configText(upstreamUrl));
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
    try {
      const p = serve(['--config', file, '--workers', '2'], port);
      try {
        expect(await p.exited).toBe(1);
        expect(p.lines('worker died; starting another')).toEqual([]);
        const failed = p.lines('worker failed to start; stopping the cluster');
        expect(failed.length).toBeGreaterThanOrEqual(1);
        expect(failed[0]).toMatchObject({ level: 'error', exitCode: 1 });
        expect(p.out()).toContain('EADDRINUSE');
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    } finally {
      await new Promise((r) => holder.close(r));
    }
  }, 90_000);
});
