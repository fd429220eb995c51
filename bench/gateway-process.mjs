/**
 * One gateway in its own process for the benchmark, run as production runs it: the compiled package
 * (dist/, which `npm run build` writes and the installed package runs), with an info-level access
 * log to stdout (the bench sends it to /dev/null). BENCH_GATEWAY_FROM=src runs the TypeScript sources
 * instead (the process must then be started with `--import tsx`). Config: config/demo.yaml with
 * EMULATOR_URL and DEMO_UPSTREAM_URL (and the Redis store with BENCH_REDIS_URL). Prints
 * "ready <port>" when listening (on stderr: stdout carries the logs).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const from = process.env.BENCH_GATEWAY_FROM === 'src' ? { dir: '../src/', ext: '.ts' } : { dir: '../dist/', ext: '.js' };
const { loadConfig } = await import(new URL(`${from.dir}config/load${from.ext}`, import.meta.url).href);
const { startNodeGateway } = await import(new URL(`${from.dir}runtime/node${from.ext}`, import.meta.url).href);

// BENCH_REDIS_URL: the same gateway with the shared Redis store.
const store = process.env.BENCH_REDIS_URL ? `\nstore: { type: redis, url: "${process.env.BENCH_REDIS_URL}" }\n` : '';
const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8') + store, process.env);
config.listen.port = 0;
const gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1' });
console.error(`ready ${gateway.port}`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));

// BENCH_MEMORY_LOG=<file>: process.memoryUsage() appended there every 5 s (where the RSS goes).
if (process.env.BENCH_MEMORY_LOG) {
  const file = process.env.BENCH_MEMORY_LOG;
  const mb = (n) => Math.round(n / 1048576);
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, mb(sp.space_size)]));
    appendFileSync(
      file,
      `${JSON.stringify({ t: Math.round(process.uptime()), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces })}\n`,
    );
  }, 5000).unref();
}
