/**
 * `npm run bench`: the gateway next to the proxies it must be compared with, in one run.
 *
 * Rows: the upstream alone; nginx proxy_pass (1 worker, upstream keepalive; skipped when nginx is
 * absent); node:http + undici Pool; Hono + undici fetch; and the gateway (config/demo.yaml) for a
 * bypassed path, one session cookie, a stale session cookie (its last-seen time is due to move on
 * every request: the client never stores the re-sealed cookie), 5,000 distinct sessions (all in
 * the opened-session cache after the warm-up; none due for a write-back), and a bearer token. Every server runs in its own process; wrk (one thread) generates the load. Rounds are
 * interleaved (each round runs every row once) and each cell is the median over the rounds.
 * CPU µs per request comes from /proc/<pid>/stat of the process under test (the gateway, or the
 * proxy of a baseline row) over the run, divided by the requests wrk completed.
 *
 * The machine is shared and small (2 cores): read the ratios, not the absolute numbers.
 * Env: BENCH_SECONDS (default 1), BENCH_ROUNDS (15: more, shorter rounds give a median that one noisy moment moves less), BENCH_CONNECTIONS (32);
 * BENCH_FIXED_ROUNDS (5) and BENCH_FIXED_SECONDS (3) for the half-load phase; BENCH_COMPARE=<dir> adds
 * the /public and session rows for the gateway of another checkout (its bench/gateway-process.mjs,
 * built and run like this one's), for before/after numbers from one run. The gateway runs as
 * production runs it: compiled (dist/, built at the start) with the Node flags of the shipped
 * container (its Dockerfile's NODE_OPTIONS); BENCH_GATEWAY_FROM=src runs the sources through tsx. BENCH_ONLY=<a>,<b> runs the
 * matching rows ('=' for an exact name); BENCH_PROFILE=<dir> writes the gateway's CPU profile;
 * BENCH_GATEWAY_FLAGS adds Node flags to the gateway; BENCH_PARALLEL=1 (with BENCH_COMPARE) runs
 * each gateway row at the same time as the compared checkout's; BENCH_MEMORY_LOG=<file> has the
 * gateway log its memory use there every 5 s.
 *
 * After the table: the p99 at half of the gateway's maximum (the session row's req/s / 2, or
 * BENCH_FIXED_RATE; a fixed open-loop rate from bench/fixed-rate.cc, or bench/fixed-rate.ts without
 * g++) for the raw undici proxy and the gateway, their difference, the generator's own CPU and
 * lateness, the machine's busy/steal share and the gateway's GC pauses (BENCH_FIXED_CONNECTIONS,
 * default wrk's count; BENCH_REALTIME=0 leaves the scheduling alone); with BENCH_RSS=1, the
 * gateway's RSS after 60 s and 120 s at maximum load (BENCH_RSS_SECONDS changes the 60), beside the
 * compared checkout's with BENCH_PARALLEL. BENCH_COMPARE_FLAGS, BENCH_GATEWAY_STDOUT,
 * BENCH_HEAP_SAMPLE: see README, Performance.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator';
import { freePort } from '../test/helpers/nginx';
import { mintBenchSessions } from './bench-sessions';
import { type FixedRateResult, fixedRateRunner, machineShare, machineTimes, setRealtime, traceFile } from './half-load';
import { cell as cellOf, median, ratio as ratioOf, ROWS, type Sample, type Target, tableTargets, targetsReport } from './targets';

// 15 rounds of 1 s per row: a round's rows then run within seconds of each other, so its ratios
// pair them better, and a median of 15 moves less (measured: a ratio of two gateway rows moved 2-5
// times less from run to run than with 5 rounds of 3 s, docs/performance.md, session 8).
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
// The half-load phase keeps 5 rounds of 3 s: its p99 is over each round's requests, and a
// 1-s round would leave one stall to a single round that the median then drops.
const FIXED_SECONDS = Number(process.env.BENCH_FIXED_SECONDS ?? 3);
const FIXED_ROUNDS = Number(process.env.BENCH_FIXED_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POOL_ID = 'us-east-1_DemoPool1';
// BENCH_SESSIONS: how many distinct sessions the "distinct sessions" row rotates through (default 5,000).
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 5000);
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cgw-bench-'));
const children: ChildProcess[] = [];
// The same connection count as wrk (BENCH_CONNECTIONS), unless BENCH_FIXED_CONNECTIONS says otherwise.
const fixed = fixedRateRunner(dir, Number(process.env.BENCH_FIXED_CONNECTIONS ?? CONNECTIONS));

interface Peer {
  url: string;
  pid: number;
  /** A gateway's GC pauses, one JSON line each (bench/gateway-process.mjs, BENCH_GC_LOG). */
  gcLog?: string;
}

/**
 * How production runs the gateway, read from the Dockerfile so the bench cannot drift from it (the
 * systemd unit sets the same): the Node flags (the container's NODE_OPTIONS and the node arguments
 * of its ENTRYPOINT) and the environment besides them (MALLOC_ARENA_MAX).
 */
function production(checkout: string): { flags: string[]; env: Record<string, string> } {
  const dockerfile = join(checkout, 'Dockerfile');
  if (!existsSync(dockerfile)) return { flags: [], env: {} };
  const text = readFileSync(dockerfile, 'utf8');
  const options = /NODE_OPTIONS=(\S+)/.exec(text)?.[1]?.split(' ').filter(Boolean) ?? [];
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(text)?.[1];
  const args = entrypoint ? (JSON.parse(entrypoint) as string[]).slice(1).filter((a) => a.startsWith('--')) : [];
  const arenas = /MALLOC_ARENA_MAX=(\d+)/.exec(text)?.[1];
  return { flags: [...options, ...args], env: arenas ? { MALLOC_ARENA_MAX: arenas } : {} };
}

/**
 * How a checkout's gateway starts: compiled (dist/, built here first) with production's Node flags,
 * as the installed package runs; BENCH_GATEWAY_FROM=src runs the TypeScript sources through tsx.
 * A checkout from before bench/gateway-process.mjs (BENCH_COMPARE) runs its gateway-process.ts.
 */
function gatewayCommand(checkout: string, compared = false): string[] {
  const script = join(checkout, 'bench/gateway-process.mjs');
  if (!existsSync(script)) return ['--import', 'tsx', join(checkout, 'bench/gateway-process.ts')];
  if (process.env.BENCH_GATEWAY_FROM === 'src') return ['--import', 'tsx', script];
  if (!built.has(checkout)) {
    execFileSync(process.execPath, [join(checkout, 'scripts/build.mjs')], { cwd: checkout, stdio: ['ignore', 'ignore', 'inherit'] });
    built.add(checkout);
  }
  // BENCH_COMPARE_FLAGS: the compared gateway's Node flags instead of its Dockerfile's (with
  // BENCH_COMPARE=<this checkout>, an A/B of Node flags on the same code).
  const nodeFlags =
    compared && process.env.BENCH_COMPARE_FLAGS !== undefined ? process.env.BENCH_COMPARE_FLAGS.split(' ').filter(Boolean) : production(checkout).flags;
  return [...nodeFlags, script];
}
const built = new Set<string>();

function spawnReady(
  args: string[],
  env: Record<string, string> = {},
  readyOn: 'stdout' | 'stderr' = 'stdout',
  gateway?: string,
  compared = false,
): Promise<Peer> {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of the gateway process there (node --cpu-prof).
  const profile = process.env.BENCH_PROFILE && gateway ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  // BENCH_GATEWAY_FLAGS: extra Node flags for the gateway (e.g. V8 heap sizes, to see what RSS follows).
  const flags = gateway ? (process.env.BENCH_GATEWAY_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const command = gateway ? [...profile, ...flags, ...gatewayCommand(gateway, compared), ...args] : ['--import', 'tsx', ...args];
  const gcLog = gateway ? join(dir, `gc-${children.length}.jsonl`) : undefined;
  // The gateway's access log goes to /dev/null, as a production log shipper would take it away;
  // BENCH_GATEWAY_STDOUT=<file> keeps this checkout's (with V8's --trace-gc* output, which goes there too).
  const stdout =
    readyOn === 'stdout'
      ? 'pipe'
      : gateway === ROOT && !compared && process.env.BENCH_GATEWAY_STDOUT
        ? openSync(process.env.BENCH_GATEWAY_STDOUT, 'w')
        : 'ignore';
  const child = spawn(process.execPath, command, {
    env: { ...process.env, ...(gateway ? production(gateway).env : {}), ...env, ...(gcLog ? { BENCH_GC_LOG: gcLog } : {}) },
    stdio: ['ignore', stdout, readyOn === 'stderr' ? 'pipe' : 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const stream = readyOn === 'stdout' ? child.stdout! : child.stderr!;
    stream.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, pid: child.pid!, gcLog });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}`)));
  });
}

interface GcPause {
  /** minor (scavenge), major (mark-compact), incremental, weakcb */
  kind: string;
  ms: number;
}

/** The GC pauses a gateway has logged so far (undefined for a gateway without the log). */
function gcPauses(peer: Peer): GcPause[] | undefined {
  if (!peer.gcLog) return undefined;
  if (!existsSync(peer.gcLog)) return [];
  return readFileSync(peer.gcLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as GcPause);
}

function summariseGc(pauses: GcPause[]): string {
  const kinds = new Map<string, number[]>();
  for (const p of pauses) kinds.set(p.kind, [...(kinds.get(p.kind) ?? []), p.ms]);
  if (kinds.size === 0) return 'no pauses';
  return [...kinds]
    .map(([kind, ms]) => {
      const sorted = [...ms].sort((a, b) => a - b);
      const total = ms.reduce((a, b) => a + b, 0);
      return `${kind} ${ms.length}× (median ${median(sorted).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms, ${total.toFixed(0)} ms in all)`;
    })
    .join('; ');
}

/** Debian's redis-server on a free loopback port, no persistence (the bench's shared store). */
async function startRedis(): Promise<{ url: string } | undefined> {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!bin) return undefined;
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}` };
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

async function startNginxProxy(upstream: string): Promise<Peer | undefined> {
  if (!NGINX) return undefined;
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream app { server ${new URL(upstream).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const master = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  children.push(master);
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const kids = readFileSync(`/proc/${master.pid}/task/${master.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      if (kids.length > 0) {
        await fetch(`http://127.0.0.1:${port}/`);
        return { url: `http://127.0.0.1:${port}`, pid: Number(kids[0]) };
      }
    } catch {
      /* not up yet */
    }
  }
  return undefined;
}

/** utime + stime of a process, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1e6;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

interface Scenario {
  name: string;
  url: string;
  pid: number;
  headers?: Record<string, string>;
  /** A wrk Lua script (e.g. rotating cookies). */
  script?: string;
  isGateway?: boolean;
}

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

function wrkArgs(s: Scenario, seconds: number): string[] {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(s.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (s.script) args.push('-s', s.script);
  args.push(s.url);
  return args;
}

function runWrk(s: Scenario, seconds: number): Sample {
  const before = cpuMicros(s.pid);
  const out = execFileSync('wrk', wrkArgs(s, seconds), { maxBuffer: 16 * 1024 * 1024 }).toString();
  return wrkSample(out, cpuMicros(s.pid) - before);
}

/** wrk against two rows at once (BENCH_PARALLEL): both see the same machine load while they run. */
async function runWrkPair(a: Scenario, b: Scenario, seconds: number): Promise<[Sample, Sample]> {
  const run = (s: Scenario) =>
    new Promise<Sample>((resolve, reject) => {
      const before = cpuMicros(s.pid);
      let out = '';
      const child = spawn('wrk', wrkArgs(s, seconds), { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (d) => (out += d));
      child.once('error', reject);
      child.once('exit', () => resolve(wrkSample(out, cpuMicros(s.pid) - before)));
    });
  return Promise.all([run(a), run(b)]);
}

function wrkSample(out: string, used: number): Sample {
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50: p50 ? ms(p50[1]!, p50[2]!) : NaN, p99: p99 ? ms(p99[1]!, p99[2]!) : NaN, cpu: total > 0 ? used / total : NaN, non2xx };
}

// BENCH_ONLY=<substring>[,<substring>…] runs only the matching rows (for profiling one case);
// a part starting with '=' must match a row's name exactly.
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const wanted = (row: string) => !only || only.some((o) => (o.startsWith('=') ? row === o.slice(1) : row.includes(o)));

async function main() {
  const emulator = await startEmulator({ port: 0, log: false });
  const upstream = await spawnReady(['bench/peers.ts', 'upstream']);
  const raw = await spawnReady(['bench/peers.ts', 'raw-undici', upstream.url]);
  const hono = await spawnReady(['bench/peers.ts', 'hono-fetch', upstream.url]);
  const nginx = await startNginxProxy(upstream.url);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const gw = await spawnReady([], env, 'stderr', ROOT);
  // The session row again with the shared Redis store (skipped without redis-server, and when
  // BENCH_ONLY leaves its row out).
  const redis = wanted(ROWS.redis) ? await startRedis() : undefined;
  const gwRedis = redis ? await spawnReady([], { ...env, BENCH_REDIS_URL: redis.url }, 'stderr', ROOT) : undefined;
  const compareDir = process.env.BENCH_COMPARE;
  // BENCH_COMPARE_ENV="NAME=value …": environment variables for the compared gateway only.
  const compareEnv = Object.fromEntries(
    (process.env.BENCH_COMPARE_ENV ?? '')
      .split(' ')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const other = compareDir ? await spawnReady([], { ...env, ...compareEnv }, 'stderr', compareDir, true) : undefined;
  emulator.setClientSettings(POOL_ID, 'demo-gateway', {
    callbackUrls: [gw, other, gwRedis].filter((g) => g).map((g) => `${g!.url}/_auth/callback`),
    logoutUrls: [gw, other, gwRedis].filter((g) => g).map((g) => `${g!.url}/`),
  });

  // One signed-in browser; the stale and the 5,000 sessions are sealed with the same secrets.
  const minted = await mintBenchSessions(gw.url, env);
  const { cookie } = minted;
  const stale = await minted.stale();
  const many = await minted.distinct(SESSIONS);
  const cookiesFile = join(dir, 'cookies.txt');
  writeFileSync(cookiesFile, `${many.join('\n')}\n`);
  const script = join(dir, 'sessions.lua');
  writeFileSync(
    script,
    // The requests are formatted once, in init (where wrk has set the Host header): formatting one
    // per request in Lua costs the load generator, which shares the machine's two cores with the
    // gateway, several times a static request.
    `local requests = {}
init = function(args)
  for line in io.lines("${cookiesFile}") do
    requests[#requests + 1] = wrk.format("GET", "/dashboard", { ["Cookie"] = line, ["Accept"] = "application/json" })
  end
end
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
`,
  );
  const tokenRes = await fetch(`${emulator.hostedUiBase}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('demo-machine:demo-machine-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'demo-api/read' }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;

  const json = { accept: 'application/json' };
  const scenarios: Scenario[] = [
    { name: 'upstream direct', url: `${upstream.url}/public/x`, pid: upstream.pid, headers: json },
    ...(nginx ? [{ name: 'nginx proxy_pass (1 worker, keepalive)', url: `${nginx.url}/public/x`, pid: nginx.pid, headers: json }] : []),
    { name: ROWS.raw, url: `${raw.url}/public/x`, pid: raw.pid, headers: json },
    { name: ROWS.hono, url: `${hono.url}/public/x`, pid: hono.pid, headers: json },
    { name: ROWS.public, url: `${gw.url}/public/x`, pid: gw.pid, headers: json, isGateway: true },
    { name: ROWS.oneCookie, url: `${gw.url}/dashboard`, pid: gw.pid, headers: { ...json, cookie }, isGateway: true },
    { name: ROWS.stale, url: `${gw.url}/dashboard`, pid: gw.pid, headers: { ...json, cookie: stale }, isGateway: true },
    { name: ROWS.distinct(SESSIONS), url: `${gw.url}/dashboard`, pid: gw.pid, script, isGateway: true },
    { name: ROWS.bearer, url: `${gw.url}/api/things`, pid: gw.pid, headers: { ...json, authorization: `Bearer ${token}` }, isGateway: true },
    ...(gwRedis ? [{ name: ROWS.redis, url: `${gwRedis.url}/dashboard`, pid: gwRedis.pid, headers: { ...json, cookie }, isGateway: true }] : []),
    ...(other
      ? [
          { name: 'compared checkout: /public', url: `${other.url}/public/x`, pid: other.pid, headers: json },
          { name: 'compared checkout: session cookie', url: `${other.url}/dashboard`, pid: other.pid, headers: { ...json, cookie } },
          { name: `compared checkout: ${SESSIONS.toLocaleString('en')} distinct sessions`, url: `${other.url}/dashboard`, pid: other.pid, script },
        ]
      : []),
  ];

  if (process.env.BENCH_ONLY) scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => wanted(s.name)));
  // Warm-up (JIT, connection pools, JWKS, the opened-session cache for all 5,000 sessions).
  for (const s of scenarios) runWrk(s, s.script ? 8 : 2);
  const samples = new Map<string, Sample[]>(scenarios.map((s) => [s.name, []]));
  // BENCH_PARALLEL=1 with BENCH_COMPARE: each gateway row runs at the same time as the compared
  // checkout's row for the same case, so a before/after pair shares whatever else loads the machine.
  const pairOf = new Map<string, string>(
    process.env.BENCH_PARALLEL && other
      ? [
          [ROWS.public, 'compared checkout: /public'],
          [ROWS.oneCookie, 'compared checkout: session cookie'],
          [ROWS.distinct(SESSIONS), `compared checkout: ${SESSIONS.toLocaleString('en')} distinct sessions`],
        ]
      : [],
  );
  const paired = new Set(pairOf.values());
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      if (paired.has(s.name)) continue;
      const partner = scenarios.find((x) => x.name === pairOf.get(s.name));
      if (partner) {
        const [a, b] = await runWrkPair(s, partner, SECONDS);
        samples.get(s.name)!.push(a);
        samples.get(partner.name)!.push(b);
      } else samples.get(s.name)!.push(runWrk(s, SECONDS));
    }
  }

  const cell = (name: string, k: keyof Sample) => cellOf(samples, name, k);
  const ratio = (a: string, b: string, k: keyof Sample) => ratioOf(samples, a, b, k);
  const oneCookie = cell(ROWS.oneCookie, 'rps');
  // BENCH_SAMPLES=<file>: every round of every row as JSON (to see the noise, or to recompute).
  if (process.env.BENCH_SAMPLES) writeFileSync(process.env.BENCH_SAMPLES, `${JSON.stringify(Object.fromEntries(samples), null, 1)}\n`);
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\ncognito-gateway bench: ${ROUNDS} interleaved rounds × ${SECONDS} s per row, median; wrk -t1 -c${CONNECTIONS}; Node ${process.versions.node}; ${cpus().length} × ${cpuModel}; loopback; shared machine\n`,
  );
  console.log('| case | req/s | p50 ms | p99 ms | CPU µs/req | × raw undici | × Hono+fetch | × one cookie | non-2xx |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of scenarios) {
    const rps = cell(s.name, 'rps');
    const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');
    console.log(
      `| ${s.name} | ${Math.round(rps).toLocaleString('en')} | ${f(cell(s.name, 'p50'))} | ${f(cell(s.name, 'p99'))} | ${f(cell(s.name, 'cpu'), 0)} | ${f(ratio(s.name, ROWS.raw, 'rps'))} | ${f(ratio(s.name, ROWS.hono, 'rps'))} | ${s.isGateway ? f(ratio(s.name, ROWS.oneCookie, 'rps')) : ''} | ${samples.get(s.name)!.reduce((a, x) => a + x.non2xx, 0)} |`,
    );
  }
  // How far apart one row's rounds were (the machine's noise), beside the medians above.
  if (ROUNDS > 1) {
    const spread = (name: string) => {
      const cpu = samples
        .get(name)!
        .map((x) => x.cpu)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      // The middle half of the rounds (25th to 75th percentile) and the extremes.
      const at = (q: number) => cpu[Math.round(q * (cpu.length - 1))]!.toFixed(0);
      return cpu.length > 1 ? `${name} ${at(0.25)}–${at(0.75)} (${at(0)}–${at(1)})` : undefined;
    };
    const rows = scenarios.map((s) => spread(s.name)).filter((x) => x !== undefined);
    if (rows.length > 0) console.log(`\nCPU µs/req over the ${ROUNDS} rounds, middle half (lowest–highest): ${rows.join('; ')}`);
  }
  console.log(`\ngateway RSS after the run: ${rssMb(gw.pid)} MB`);

  // The targets (README, Performance) this run can judge, printed together at the end.
  const targets: Target[] = tableTargets(samples, SESSIONS);

  // Latency at half of the gateway's maximum: the same fixed rate against the raw undici proxy and
  // the gateway's session row, interleaved, each the median of the rounds.
  const rawRow = scenarios.find((s) => s.name === ROWS.raw);
  const sessionRow = scenarios.find((s) => s.name === ROWS.oneCookie);
  if (rawRow && sessionRow && Number.isFinite(oneCookie) && oneCookie > 0) {
    // BENCH_FIXED_RATE pins the rate (to compare runs on a machine whose maximum moves).
    const rate = Number(process.env.BENCH_FIXED_RATE) || Math.max(100, Math.round(oneCookie / 2));
    const half = { raw: [] as FixedRateResult[], gateway: [] as FixedRateResult[], compared: [] as FixedRateResult[] };
    // BENCH_COMPARE: the compared checkout's session row at the same rate, in the same rounds (an A/B
    // of the p99 from one run; the order of the two gateways alternates by round).
    const comparedRow = other ? scenarios.find((s) => s.name === 'compared checkout: session cookie') : undefined;
    const gcBefore = gcPauses(gw);
    const otherGcBefore = other ? gcPauses(other) : undefined;
    const machineBefore = machineTimes();
    // The servers this measures (upstream, raw proxy, gateway) at real-time priority while it runs,
    // like the generator: on a shared machine the p99 is otherwise the neighbours' load, not ours.
    const measured = [upstream.pid, raw.pid, gw.pid, ...(comparedRow && other ? [other.pid] : [])];
    const realtime = process.env.BENCH_REALTIME !== '0' && setRealtime(measured, true);
    try {
      for (let round = 0; round < FIXED_ROUNDS; round++) {
        half.raw.push(fixed.run(rawRow, rate, FIXED_SECONDS, traceFile('raw', round), [raw.pid, upstream.pid]));
        const gateways: [Scenario, FixedRateResult[], string][] = [[sessionRow, half.gateway, 'gateway']];
        if (comparedRow) gateways[round % 2 ? 'unshift' : 'push']([comparedRow, half.compared, 'compared']);
        for (const [row, into, name] of gateways) into.push(fixed.run(row, rate, FIXED_SECONDS, traceFile(name, round), [row.pid, upstream.pid]));
      }
    } finally {
      if (realtime) setRealtime(measured, false);
    }
    const machine = machineShare(machineBefore, machineTimes());
    const med = (xs: FixedRateResult[], k: keyof FixedRateResult) => median(xs.map((x) => x[k]));
    const f = (n: number) => n.toFixed(2);
    const row = (name: string, xs: FixedRateResult[]) =>
      `  ${name} p50 ${f(med(xs, 'p50'))} ms, p99 ${f(med(xs, 'p99'))} ms, p99.9 ${f(med(xs, 'p999'))} ms (${Math.round(med(xs, 'rps')).toLocaleString('en')} req/s done; generator: ${f(med(xs, 'cpuPercent'))} % CPU, late by ${f(med(xs, 'sendLagP99'))} ms at p99; event loop on a CPU ${med(xs, 'loopBusy').toFixed(0)} % of the time, ${med(xs, 'loopMicrosPerRequest').toFixed(0)} µs per request)`;
    console.log(
      `\nhalf load (${rate.toLocaleString('en')} req/s fixed rate, open loop, ${fixed.connections} connections, ${fixed.generatorName()}, latency from the scheduled send time, median of ${FIXED_ROUNDS} round${FIXED_ROUNDS === 1 ? '' : 's'} × ${FIXED_SECONDS} s${realtime ? '; the event loops of upstream, proxy and gateway at real-time priority (BENCH_REALTIME=0: ordinary)' : ''}):`,
    );
    console.log(row('node:http + undici Pool proxy:', half.raw));
    console.log(row('gateway session cookie:       ', half.gateway));
    if (comparedRow) console.log(row('compared checkout: session:   ', half.compared));
    const added = med(half.gateway, 'p99') - med(half.raw, 'p99');
    console.log(`  p99 added by the gateway: ${f(added)} ms`);
    targets.push({ target: 'p99 added at half load ≤ 1 ms', value: `${added >= 0 ? '+' : ''}${f(added)} ms`, met: added <= 1 });
    if (comparedRow) console.log(`  p99 added by the compared checkout: ${f(med(half.compared, 'p99') - med(half.raw, 'p99'))} ms`);
    console.log(
      `  machine during these runs: ${machine.busy.toFixed(0)} % of ${cpus().length} cores busy (all processes, ours and others'), steal ${machine.steal.toFixed(1)} %`,
    );
    // The gateways append their GC logs once a second: wait for the last of the phase.
    await new Promise((r) => setTimeout(r, 1200));
    const gc = gcPauses(gw);
    if (process.env.BENCH_FIXED_TRACE) {
      if (gw.gcLog && existsSync(gw.gcLog)) copyFileSync(gw.gcLog, join(process.env.BENCH_FIXED_TRACE, 'gateway-gc.jsonl'));
      if (comparedRow && other?.gcLog && existsSync(other.gcLog)) copyFileSync(other.gcLog, join(process.env.BENCH_FIXED_TRACE, 'compared-gc.jsonl'));
      if (process.env.BENCH_SOCKET_LOG && existsSync(process.env.BENCH_SOCKET_LOG))
        copyFileSync(process.env.BENCH_SOCKET_LOG, join(process.env.BENCH_FIXED_TRACE, 'sockets.jsonl'));
    }
    if (gc && gcBefore) {
      const pauses = gc.slice(gcBefore.length);
      console.log(`  gateway main-thread GC pauses (perf_hooks, whole half-load phase): ${summariseGc(pauses)}`);
    }
    const otherGc = comparedRow && other ? gcPauses(other) : undefined;
    if (otherGc && otherGcBefore) console.log(`  compared checkout's GC pauses (same phase): ${summariseGc(otherGc.slice(otherGcBefore.length))}`);
  }

  // BENCH_RSS=1: the gateway's RSS after 60 s and 120 s of maximum load (session cookie row); with
  // BENCH_PARALLEL and BENCH_COMPARE, the compared checkout's at the same time, under the same load.
  if (process.env.BENCH_RSS && sessionRow) {
    const minute = Number(process.env.BENCH_RSS_SECONDS ?? 60);
    const partner = scenarios.find((x) => x.name === pairOf.get(sessionRow.name));
    const gcBefore = [gcPauses(gw)?.length ?? 0, other ? (gcPauses(other)?.length ?? 0) : 0];
    const phase = async () => (partner ? await runWrkPair(sessionRow, partner, minute) : [runWrk(sessionRow, minute)]);
    const first = await phase();
    const at60 = [rssMb(gw.pid), other ? rssMb(other.pid) : 0];
    const second = await phase();
    const at120 = [rssMb(gw.pid), other ? rssMb(other.pid) : 0];
    const rps = (x: Sample | undefined) => Math.round(x?.rps ?? 0).toLocaleString('en');
    const cpu = (x: Sample | undefined) => (x?.cpu ?? NaN).toFixed(0);
    const line = (name: string, i: number, peer: Peer) => {
      const gc = gcPauses(peer);
      return `${name}: ${at60[i]} MB after ${minute} s (${rps(first[i])} req/s, ${cpu(first[i])} µs/req), ${at120[i]} MB after ${2 * minute} s (${rps(second[i])} req/s, ${cpu(second[i])} µs/req)${gc ? `; GC pauses: ${summariseGc(gc.slice(gcBefore[i]))}` : ''}`;
    };
    console.log(`\nRSS at maximum load (session cookie, wrk -c${CONNECTIONS}${partner ? ', both gateways at once' : ''}):`);
    console.log(`  ${line('gateway', 0, gw)}`);
    if (partner && other) console.log(`  ${line('compared checkout', 1, other)}`);
    targets.push({ target: `RSS ≤ 200 MB after ${minute} s at maximum load`, value: `${at60[0]} MB`, met: at60[0]! <= 200 });
    // Flat: at most 5 % more after the second minute than after the first.
    targets.push({ target: 'RSS flat over a second minute (≤ +5 %)', value: `${at60[0]} → ${at120[0]} MB`, met: at120[0]! <= at60[0]! * 1.05 });
  }

  const report = targetsReport(targets);
  if (report.length > 0) console.log(`\n${report.join('\n')}`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
}
process.exit(0);
