/**
 * Bytes allocated per request, measured deterministically (no load-dependent timing):
 *
 *   npx tsx bench/alloc-per-request.ts            (or ALLOC_COMPARE=<another checkout> for an A/B)
 *
 * Each server (the raw node:http + undici proxy of bench/peers.ts, and the gateway as the bench runs
 * it, compiled dist/ through bench/gateway-process.mjs) runs in its own process with a 512 MB young
 * generation, so no scavenge happens while it serves a batch. A small hook in that process (loaded
 * with --import) answers "mark": a forced full GC, then the V8 heap's used bytes. Between two marks
 * the client (this process) sends ALLOC_REQUESTS requests (default 4,000, 32 keep-alive connections,
 * as wrk -c32); the growth of the used heap over the batch, divided by the requests, is what one
 * request allocated on the V8 heap (Buffers' backing stores, outside the heap, are printed apart as
 * "external"). A batch during which a GC ran anyway is reported as such rather than counted. The
 * process CPU over the batch is printed too, but it is a side number: without GC, and with the client
 * on the same 2 cores.
 *
 * Rows: raw undici proxy /public/x (the floor), the same with the session row's request (its ~5 KB
 * Cookie header, which the parser alone turns into strings), gateway /public/x, session cookie /dashboard,
 * bearer token /api/things; each the median of ALLOC_ROUNDS (default 3) batches after a warm-up, the
 * rounds interleaved (each round runs every row once, so a busy moment of the machine hits them all).
 * ALLOC_SAMPLE=<dir> also writes a sampling heap profile per gateway row over one batch (for
 * `node bench/heap-report.mjs <file> 40 <requests>`); ALLOC_ONLY=<text>,… runs matching rows only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startEmulator } from '../src/emulator';
import { mintBenchSessions } from './bench-sessions';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REQUESTS = Number(process.env.ALLOC_REQUESTS ?? 4000);
const ROUNDS = Number(process.env.ALLOC_ROUNDS ?? 3);
const CONNECTIONS = 32;
const POOL_ID = 'us-east-1_DemoPool1';
const only = process.env.ALLOC_ONLY?.split(',').filter(Boolean);
const wanted = (row: string) => !only || only.some((o) => row.includes(o));

/**
 * The measuring hook, run in the measured process before its own code. "mark": a full GC (twice, so
 * weak callbacks' garbage goes too), then the used heap; "sample-start"/"sample-stop <file>": V8's
 * sampling heap profiler over what comes between.
 */
const HOOK = `
import { getHeapStatistics } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
let gcs = 0;
new PerformanceObserver((l) => { gcs += l.getEntries().length; }).observe({ entryTypes: ['gc'] });
let session;
process.on('message', (m) => {
  if (m.cmd === 'sample-start') {
    session = new Session();
    session.connect();
    session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () => process.send({ ok: true }));
    return;
  }
  if (m.cmd === 'sample-stop') {
    session.post('HeapProfiler.stopSampling', (err, r) => {
      if (!err) writeFileSync(m.file, JSON.stringify(r.profile));
      session.disconnect();
      process.send({ ok: !err });
    });
    return;
  }
  // mark: the used heap now (before), or after a full GC and a pause for the GC's own observer entries.
  const read = () => {
    const h = getHeapStatistics();
    const c = process.cpuUsage();
    process.send({ used: h.used_heap_size, external: h.external_memory + process.memoryUsage().arrayBuffers, gcs, cpu: c.user + c.system });
  };
  if (m.cmd === 'read') return read();
  globalThis.gc(); globalThis.gc();
  setTimeout(() => { gcs = 0; read(); }, 50);
});
`;
const HOOK_FLAGS = ['--expose-gc', '--min-semi-space-size=512', '--max-semi-space-size=512', '--import', `data:text/javascript,${encodeURIComponent(HOOK)}`];

interface Measured {
  url: string;
  child: ChildProcess;
  ask(msg: object): Promise<{ used: number; external: number; gcs: number; cpu: number; ok?: boolean }>;
}

const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>, readyOn: 'stdout' | 'stderr'): Promise<Measured> {
  const child = spawn(process.execPath, [...HOOK_FLAGS, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', readyOn === 'stdout' ? 'pipe' : 'ignore', readyOn === 'stderr' ? 'pipe' : 'inherit', 'ipc'],
  });
  children.push(child);
  const ask = (msg: object) =>
    new Promise<Awaited<ReturnType<Measured['ask']>>>((resolve) => {
      child.once('message', (m) => resolve(m as never));
      child.send(msg);
    });
  return new Promise((resolve, reject) => {
    let out = '';
    const stream = readyOn === 'stdout' ? child.stdout! : child.stderr!;
    stream.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, child, ask });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}`)));
  });
}

function startGateway(checkout: string, env: Record<string, string>): Promise<Measured> {
  execFileSync(process.execPath, [join(checkout, 'scripts/build.mjs')], { cwd: checkout, stdio: ['ignore', 'ignore', 'inherit'] });
  return start([join(checkout, 'bench/gateway-process.mjs')], env, 'stderr');
}

async function send(pool: Pool, path: string, headers: Record<string, string>, n: number): Promise<void> {
  let next = 0;
  let bad = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await pool.request({ method: 'GET', path, headers });
      await res.body.dump();
      if (res.statusCode !== 200) bad++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  if (bad > 0) throw new Error(`${path}: ${bad} answers were not 200`);
}

interface Row {
  name: string;
  server: Measured;
  path: string;
  headers: Record<string, string>;
  sampleName?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Tally {
  pool: Pool;
  heap: number[];
  external: number[];
  cpu: number[];
  skipped: number;
}

/** One batch of a row: its used-heap growth, external growth and CPU per request (a batch with a GC is left out). */
async function batch(row: Row, t: Tally): Promise<void> {
  const before = await row.server.ask({ cmd: 'mark' });
  await send(t.pool, row.path, row.headers, REQUESTS);
  const after = await row.server.ask({ cmd: 'read' });
  if (after.gcs > 0) {
    t.skipped++;
    return;
  }
  t.heap.push((after.used - before.used) / REQUESTS);
  t.external.push((after.external - before.external) / REQUESTS);
  t.cpu.push((after.cpu - before.cpu) / REQUESTS);
}

/** Every row warmed up (JIT, caches, upstream pool), then the rounds interleaved: each round runs every row once. */
async function measure(rows: Row[]): Promise<string[]> {
  const tallies = new Map<Row, Tally>();
  for (const row of rows) {
    const pool = new Pool(row.server.url, { connections: CONNECTIONS, pipelining: 1 });
    await send(pool, row.path, row.headers, 2000);
    tallies.set(row, { pool, heap: [], external: [], cpu: [], skipped: 0 });
  }
  for (let r = 0; r < ROUNDS; r++) for (const row of rows) await batch(row, tallies.get(row)!);
  const dir = process.env.ALLOC_SAMPLE;
  const out: string[] = [];
  for (const row of rows) {
    const t = tallies.get(row)!;
    if (dir && row.sampleName) {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${row.sampleName}.heapprofile`);
      await row.server.ask({ cmd: 'mark' });
      await row.server.ask({ cmd: 'sample-start' });
      await send(t.pool, row.path, row.headers, REQUESTS);
      await row.server.ask({ cmd: 'sample-stop', file });
    }
    await t.pool.close();
    const kb = (b: number) => (b / 1024).toFixed(2);
    out.push(
      t.heap.length === 0
        ? `| ${row.name} | (a GC ran in every batch) | | | |`
        : `| ${row.name} | ${kb(median(t.heap))} | ${kb(median(t.external))} | ${median(t.cpu).toFixed(0)} | ${t.skipped ? `${t.skipped} batch(es) with a GC left out` : ''} |`,
    );
  }
  return out;
}

async function main() {
  const emulator = await startEmulator({ port: 0, log: false });
  const upstream = await start(['--import', 'tsx', 'bench/peers.ts', 'upstream'], {}, 'stdout');
  const raw = await start(['--import', 'tsx', 'bench/peers.ts', 'raw-undici', upstream.url], {}, 'stdout');
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const gw = await startGateway(ROOT, env);
  const compareDir = process.env.ALLOC_COMPARE;
  const other = compareDir ? await startGateway(compareDir, env) : undefined;
  emulator.setClientSettings(POOL_ID, 'demo-gateway', {
    callbackUrls: [gw, other].filter((g) => g).map((g) => `${g!.url}/_auth/callback`),
    logoutUrls: [gw, other].filter((g) => g).map((g) => `${g!.url}/`),
  });

  // The session of the bench's "session cookie" row: neither due for a write-back nor a revalidation.
  const { cookie } = await mintBenchSessions(gw.url, env);
  const tokenRes = await fetch(`${emulator.hostedUiBase}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('demo-machine:demo-machine-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'demo-api/read' }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;

  const json = { accept: 'application/json' };
  const gateways: Array<[string, Measured]> = [['gateway', gw], ...(other ? [['compared checkout', other] as [string, Measured]] : [])];
  const rows: Row[] = [
    { name: 'node:http + undici Pool proxy /public/x', server: raw, path: '/public/x', headers: json },
    // The same proxy with the session row's request (its ~5 KB Cookie header): the floor for that row.
    { name: 'node:http + undici Pool proxy, session cookie sent', server: raw, path: '/dashboard', headers: { ...json, cookie } },
    ...gateways.flatMap(([label, server], i): Row[] => [
      { name: `${label} /public (bypass)`, server, path: '/public/x', headers: json, sampleName: `public-${i}` },
      { name: `${label} session cookie`, server, path: '/dashboard', headers: { ...json, cookie }, sampleName: `session-${i}` },
      { name: `${label} bearer token`, server, path: '/api/things', headers: { ...json, authorization: `Bearer ${token}` }, sampleName: `bearer-${i}` },
    ]),
  ].filter((r) => wanted(r.name));

  console.log(`${REQUESTS.toLocaleString('en')} requests per batch, ${CONNECTIONS} connections, median of ${ROUNDS} batches; Node ${process.versions.node}`);
  console.log('| case | KB allocated per request (V8 heap) | KB external per request | CPU µs/req (no GC; client on the same cores) | note |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const line of await measure(rows)) console.log(line);
  if (process.env.ALLOC_SAMPLE) console.log(`\nheap profiles in ${process.env.ALLOC_SAMPLE}: node bench/heap-report.mjs <file> 40 ${REQUESTS}`);
  await emulator.close?.();
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
}
process.exit(0);
