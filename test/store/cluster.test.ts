/**
 * `store.cluster: true` against a real one-node Redis Cluster (redis-server --cluster-enabled, every
 * slot assigned to it): ioredis's cluster client, the hash-tagged keys (a revocation check's MGET
 * stays in one slot), the Lua counters, locks and pub/sub notices all work as on a plain Redis. Two
 * gateways: a logout on A is refused by B at once (the notice, with the kept answers' clock held
 * still), sign-in starts are counted for both, and a session due for refresh is refreshed once.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { TestBrowser } from '../helpers/browser';
import { freePort } from '../helpers/nginx';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { REDIS_SERVER } from './redis-server';

let server: ChildProcess | undefined;
let dir: string;
let port: number;
let stack: Stack;
let second: RunningGateway;
const secondEnv = { COGNITO_ENDPOINT: 'http://127.0.0.1:9' };
let offset = 0;
const now = () => Date.now() + offset;
const STARTS = 3;

const redisCli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!REDIS_SERVER) throw new Error('redis-server not installed: apt-get install -y redis-server');
  dir = mkdtempSync(join(tmpdir(), 'cgw-cluster-'));
  port = await freePort();
  server = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--cluster-announce-ip',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    try {
      redisCli('PING');
      break;
    } catch {
      await sleep(30);
    }
  }
  redisCli('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  for (let i = 0; i < 200 && !redisCli('CLUSTER', 'INFO').includes('cluster_state:ok'); i++) await sleep(50);
  const url = `redis://127.0.0.1:${port}`;
  stack = await startStack({
    now,
    edit: (raw) => {
      raw.store = { type: 'redis', url, cluster: true, keyPrefix: 'cl:', signInStarts: { max: STARTS, window: '1m' } };
    },
  });
  second = await startNodeGateway({ config: stack.config, port: 0, host: '127.0.0.1', logger: createMemoryLogger('error'), env: secondEnv, now });
  stack.emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: [`${stack.url}/_auth/callback`, `${second.url}/_auth/callback`],
    logoutUrls: [`${stack.url}/`, `${second.url}/`],
  });
}, 30_000);

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await second?.close();
  await closeNodeStore(secondEnv);
  await stack?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const json = { accept: 'application/json' };
const whoami = async (url: string, cookie: string) => {
  const res = await fetch(`${url}/whoami`, { headers: { cookie, ...json } });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, error: body.error };
};

describe('store.cluster: true on a one-node Redis Cluster', () => {
  it('connects, and a logout on one gateway is refused by the other at once', async () => {
    const live = () => stack.gateway.gateway().stores.store.invalidations!.live && second.gateway().stores.store.invalidations!.live;
    await expect.poll(live, { timeout: 10_000, interval: 20 }).toBe(true);
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const copy = b.cookieHeader(stack.url)!;
    const frozen = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(frozen);
    expect(await whoami(second.url, copy)).toEqual({ status: 200, error: undefined });
    expect((await b.request(`${stack.url}/_auth/logout`, { redirect: 'manual' })).status).toBe(302);
    let answer = await whoami(second.url, copy);
    for (let i = 0; i < 200 && answer.status === 200; i++) {
      await sleep(10);
      answer = await whoami(second.url, copy);
    }
    expect(answer).toEqual({ status: 401, error: 'unauthorized' });
    // The revocation keys sit in the user's slot.
    const keys = redisCli('--scan', '--pattern', 'cl:{u:*').split('\n').filter(Boolean);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys.map((k) => redisCli('CLUSTER', 'KEYSLOT', k))).size).toBe(1);
  });

  it('counts sign-in starts for both gateways and refreshes a due session once', async () => {
    const b = new TestBrowser();
    await b.signIn(`${second.url}/`, 'bob', 'Bob-Passw0rd!');
    const cookie = b.cookieHeader(second.url)!;
    const statuses: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const res = await fetch(`${[stack.url, second.url][i % 2]}/_auth/login?rd=%2F`, { redirect: 'manual' });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    // Two sign-ins (alice's, bob's) took two of the address's starts already.
    expect(statuses).toEqual([302, 429, 429]);

    const grants = stack.emulator.tokenGrantCount('refresh_token');
    offset += 6 * 60 * 1000; // past session.revalidateAfter
    const results = await Promise.all([stack.url, second.url, stack.url, second.url].map((u) => whoami(u, cookie)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(stack.emulator.tokenGrantCount('refresh_token') - grants).toBe(1);
  });
});
