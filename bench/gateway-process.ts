/**
 * One gateway in its own process for the benchmark, run as production runs it (tsx, info-level
 * access log to stdout, which the bench sends to /dev/null). Config: config/demo.yaml with
 * EMULATOR_URL and DEMO_UPSTREAM_URL (and the Redis store with BENCH_REDIS_URL). Prints "ready <port>" when listening (on stderr: stdout
 * carries the logs).
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/load';
import { startNodeGateway } from '../src/runtime/node';

// BENCH_REDIS_URL: the same gateway with the shared Redis store (revocation checked on every request).
const store = process.env.BENCH_REDIS_URL ? `\nstore: { type: redis, url: "${process.env.BENCH_REDIS_URL}" }\n` : '';
const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8') + store, process.env);
config.listen.port = 0;
const gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1' });
console.error(`ready ${gateway.port}`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));

// BENCH_MEMORY_LOG=<file>: process.memoryUsage() appended there every 5 s (where the RSS goes).
if (process.env.BENCH_MEMORY_LOG) {
  const { appendFileSync } = await import('node:fs');
  const { getHeapSpaceStatistics } = await import('node:v8');
  const file = process.env.BENCH_MEMORY_LOG;
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1048576);
    appendFileSync(
      file,
      `${JSON.stringify({ t: Math.round(process.uptime()), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces: Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, mb(sp.space_size)])) })}\n`,
    );
  }, 5000).unref();
}
