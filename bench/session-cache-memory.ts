/**
 * Heap bytes each cached session costs, measured without load (deterministic: forced full GCs):
 *
 *   node --expose-gc --import tsx bench/session-cache-memory.ts [N]      (default N = 5,000)
 *
 * Sessions are minted as bench/run.ts mints its 5,000-session row (one real sign-in at the emulator,
 * then copies with distinct sids sealed with the demo secrets). Two measurements:
 * - store: the real session store (config/demo.yaml's settings and the gateway's cache view, which
 *   leaves the refresh token out) reads each Cookie header once, as a
 *   fresh string as node:http would hand it over; heap growth / N is what the opened-session cache
 *   keeps per session;
 * - gateway: the real gateway (config/demo.yaml, the Node runtime, in this process) serves one
 *   GET /dashboard per session over loopback; heap growth / N is everything it keeps per session
 *   (the opened-session cache, and what hangs off each session's claims: Identity, identity headers,
 *   assertion, revocation keys).
 * BENCH_MEMORY_SNAPSHOT=<file> also writes a heap snapshot after the gateway measurement.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { Pool } from 'undici';
import { memoryAudit } from '../src/audit';
import { poolClientIds, registerGatewayUrls, startDemoUpstream } from '../src/cli/demo';
import { loadConfig } from '../src/config/load';
import { startEmulator } from '../src/emulator';
import { createLogger } from '../src/log';
import { sessionCacheView, type SessionData } from '../src/oidc/session-data';
import { startNodeGateway } from '../src/runtime/node';
import { createSessionStore } from '../src/session';
import { mintBenchSessions } from './bench-sessions';

const N = Number(process.argv[2] ?? 5000);
const POOL_ID = 'us-east-1_DemoPool1';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc!();
  return getHeapStatistics().used_heap_size;
}

/** A flat copy in new memory, as node:http hands each request's header value over. */
const fresh = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

const emulator = await startEmulator({ port: 0, log: false });
const upstream = await startDemoUpstream(0);
const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8'), env);
const gateway = await startNodeGateway({
  config,
  port: 0,
  host: '127.0.0.1',
  logger: createLogger({ level: 'info', sink: () => {} }),
  audit: () => {},
  env: { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
});
registerGatewayUrls(emulator, POOL_ID, poolClientIds(config), gateway.port);
void memoryAudit;

const minted = await mintBenchSessions(gateway.url, env);
const { session } = minted;
const cookies = await minted.distinct(N);

const sessionJson = JSON.stringify(session);
console.log(
  `session: ${sessionJson.length} bytes of JSON (refresh token ${session.refreshToken?.length ?? 0}, access token ${session.accessToken?.length ?? 0}, claims ${JSON.stringify(session.claims).length}); Cookie header ${cookies[0]!.length} bytes`,
);

// The store alone.
{
  const store = createSessionStore<SessionData>({
    cookie: config.cookies,
    secrets: config.session.secrets,
    maxAgeSeconds: config.session.absoluteLifetime,
    cacheView: sessionCacheView,
  });
  await store.read(fresh(cookies[0]!), gateway.url); // keyring, scope and name memos
  const before = heapUsed();
  for (const c of cookies) if (!(await store.read(fresh(c), gateway.url))) throw new Error('a minted session did not open');
  const after = heapUsed();
  const stats = store.cacheStats();
  console.log(`store:   ${fmt((after - before) / N)} per cached session (${stats.size} cached, ${fmt(after - before)} in all)`);
  // Keep the store alive until measured.
  if (store.cacheStats().size !== N) throw new Error('not every session was cached');
}

// The gateway.
{
  const pool = new Pool(gateway.url, { connections: 4 });
  const get = async (cookie: string) => {
    const res = await pool.request({ method: 'GET', path: '/dashboard', headers: { cookie: fresh(cookie), accept: 'application/json' } });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`GET /dashboard answered ${res.statusCode}`);
  };
  await get(cookies[0]!); // JIT, connection, JWKS, assertion key
  const before = heapUsed();
  for (let i = 0; i < N; i += 4) await Promise.all(cookies.slice(i, i + 4).map(get));
  const after = heapUsed();
  const stats = gateway.gateway().realms.default.sessions.cacheStats();
  console.log(`gateway: ${fmt((after - before) / N)} per session served (${stats.size} sessions cached, ${fmt(after - before)} in all)`);
  if (process.env.BENCH_MEMORY_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_MEMORY_SNAPSHOT);
  await pool.close();
}

await gateway.close();
await upstream.close();
await emulator.close();

function fmt(bytes: number): string {
  return Math.abs(bytes) >= 1024 * 1024 ? `${(bytes / 1048576).toFixed(1)} MB` : `${(bytes / 1024).toFixed(2)} KB`;
}
