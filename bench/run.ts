/**
 * `npm run bench`: numbers side by side from one run on this machine.
 *
 *  1. Bearer-token requests per second through the gateway (Node runtime, undici upstream) with the
 *     verified-token cache on and off, and the same for a browser session cookie. Each gateway runs
 *     in its own process (bench/gateway-process.ts); the load generator, emulator and upstream share
 *     this one.
 *  2. Bare verification of the same access token: our verifier (cache on / off) next to awslabs'
 *     aws-jwt-verify, in-process, no HTTP.
 *
 * Everything runs on loopback on this 2-core machine, so the absolute numbers are a floor; the
 * ratios are what to read. BENCH_SECONDS (default 3) sets each HTTP run's length.
 */
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { Pool } from 'undici';
import { startDemoUpstream } from '../src/cli/demo';
import { spawn } from 'node:child_process';
import { startEmulator } from '../src/emulator';
import { createTokenVerifier } from '../src/tokens';
import { TestBrowser } from '../test/helpers/browser';

interface GatewayProcess {
  url: string;
  port: number;
  close(): void;
}

async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./gateway-process.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`gateway process exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, port, close: () => child.kill('SIGTERM') };
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const POOL_ID = 'us-east-1_DemoPool1';

async function httpLoad(origin: string, path: string, headers: Record<string, string>) {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  const until = performance.now() + SECONDS * 1000;
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await pool.request({ path, method: 'GET', headers });
      await res.body.dump();
      latencies.push(performance.now() - t0);
      if (res.statusCode === 200) ok++;
      else failed++;
    }
  };
  // Warm-up (JWKS fetch, first signature, connections) is not measured.
  for (let i = 0; i < 20; i++) await (await pool.request({ path, method: 'GET', headers })).body.dump();
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  return { rps: Math.round(ok / elapsed), failed, p50: p(0.5), p99: p(0.99) };
}

async function opsPerSecond(fn: () => Promise<unknown>, seconds = Math.min(SECONDS, 2)) {
  for (let i = 0; i < 50; i++) await fn();
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < until) {
    await fn();
    n++;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

async function main() {
  const emulator = await startEmulator({ port: 0 });
  const upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const gateways: Record<string, GatewayProcess> = {};
  for (const cache of ['on', 'off']) gateways[cache] = await spawnGateway({ ...env, TOKEN_CACHE: cache });
  const ports = Object.values(gateways).map((g) => g.port);
  emulator.setClientSettings(POOL_ID, 'demo-gateway', {
    callbackUrls: ports.map((p) => `http://127.0.0.1:${p}/_auth/callback`),
    logoutUrls: ports.map((p) => `http://127.0.0.1:${p}/`),
  });

  const tokenRes = await fetch(`${emulator.hostedUiBase}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('demo-machine:demo-machine-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'demo-api/read' }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;

  console.log(`cognito-gateway bench — ${SECONDS}s per HTTP run, ${CONCURRENCY} connections, Node ${process.versions.node}, all on loopback\n`);
  const rows: string[][] = [['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-200']];
  for (const [name, gw] of Object.entries(gateways)) {
    const r = await httpLoad(gw.url, '/api/things', { authorization: `Bearer ${token}`, accept: 'application/json' });
    rows.push([`bearer token, verified-token cache ${name}`, String(r.rps), r.p50, r.p99, String(r.failed)]);
  }
  for (const [name, gw] of Object.entries(gateways)) {
    const b = new TestBrowser();
    await b.signIn(`${gw.url}/`, 'alice', 'Alice-Passw0rd!');
    const r = await httpLoad(gw.url, '/dashboard', { cookie: b.cookieHeader(gw.url)!, accept: 'application/json' });
    rows.push([`session cookie (cache ${name})`, String(r.rps), r.p50, r.p99, String(r.failed)]);
  }
  const direct = await httpLoad(upstream.url, '/api/things', { accept: 'application/json' });
  rows.push(['upstream alone (no gateway)', String(direct.rps), direct.p50, direct.p99, String(direct.failed)]);
  printTable(rows);

  // Bare verification of the same token, no HTTP.
  const jwks = await (await fetch(`${emulator.issuer(POOL_ID)}/.well-known/jwks.json`)).json();
  const issuer = emulator.issuer(POOL_ID);
  const ours = (enabled: boolean) =>
    createTokenVerifier({ mode: 'cognito', issuers: [issuer], jwksUri: `${issuer}/.well-known/jwks.json`, clientIds: ['demo-gateway', 'demo-machine'], cache: { enabled } });
  const cached = ours(true);
  const uncached = ours(false);
  const aws = JwtRsaVerifier.create({ issuer, audience: null, jwksUri: `${issuer}/.well-known/jwks.json` });
  aws.cacheJwks(jwks as never);
  const verifyRows: string[][] = [['verifier (same access token)', 'verifications/s']];
  verifyRows.push(['cognito-gateway, cache on', String(await opsPerSecond(() => cached.verifyAccessToken(token)))]);
  verifyRows.push(['cognito-gateway, cache off', String(await opsPerSecond(() => uncached.verifyAccessToken(token)))]);
  verifyRows.push(['aws-jwt-verify JwtRsaVerifier', String(await opsPerSecond(() => aws.verify(token)))]);
  console.log('');
  printTable(verifyRows);

  for (const gw of Object.values(gateways)) gw.close();
  await upstream.close();
  await emulator.close();
}

function printTable(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

await main();
