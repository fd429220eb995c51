/**
 * One gateway in its own process for the benchmark, run as production runs it: the compiled package
 * (dist/, which `npm run build` writes and the installed package runs), with the process settings
 * of `serve` (src/cli/serve.ts applyProcessSettings), with an info-level access
 * log to stdout (the bench sends it to /dev/null). BENCH_GATEWAY_FROM=src runs the TypeScript sources
 * instead (the process must then be started with `--import tsx`). Config: config/demo.yaml with
 * EMULATOR_URL and DEMO_UPSTREAM_URL (and the Redis store with BENCH_REDIS_URL). Prints
 * "ready <port>" when listening (on stderr: stdout carries the logs).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const from = process.env.BENCH_GATEWAY_FROM === 'src' ? { dir: '../src/', ext: '.ts' } : { dir: '../dist/', ext: '.js' };
const { loadConfig } = await import(new URL(`${from.dir}config/load${from.ext}`, import.meta.url).href);
const { startNodeGateway } = await import(new URL(`${from.dir}runtime/node${from.ext}`, import.meta.url).href);
// The process-level settings `serve` applies (V8 heap growth), as in production.
const { applyProcessSettings } = await import(new URL(`${from.dir}cli/serve${from.ext}`, import.meta.url).href);
applyProcessSettings();
// BENCH_SOCKET_LOG: the gateway's upstream connections opened and closed (bench/socket-log.mjs).
(await import('./socket-log.mjs')).logUpstreamSockets('gateway');

// BENCH_REDIS_URL: the same gateway with the shared Redis store.
const store = process.env.BENCH_REDIS_URL ? `\nstore: { type: redis, url: "${process.env.BENCH_REDIS_URL}" }\n` : '';
const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8') + store, process.env);
config.listen.port = 0;
const gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1' });
console.error(`ready ${gateway.port}`);
process.on('SIGTERM', () => {
  stopHeapSampling?.();
  void gateway.close().then(() => process.exit(0));
});

// BENCH_HEAP_SAMPLE=<file>: V8's sampling heap profiler over the process's life, written at SIGTERM
// (the end of the bench) as a .heapprofile (Chrome DevTools, or bench/heap-report.mjs).
// BENCH_HEAP_SAMPLE_KIND=allocated (default) counts every sampled allocation, also those the GC
// collected since (where the allocation rate comes from); =live only those still alive at the end
// (what is retained); =promoted those that outlived the scavenges (promoted to the old generation,
// live or collected by a full GC since: what makes the full GCs).
let stopHeapSampling;
if (process.env.BENCH_HEAP_SAMPLE) {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const kind = process.env.BENCH_HEAP_SAMPLE_KIND ?? 'allocated';
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: kind !== 'live',
    includeObjectsCollectedByMinorGC: kind === 'allocated',
  });
  stopHeapSampling = () =>
    session.post('HeapProfiler.stopSampling', (err, r) => {
      if (!err) writeFileSync(process.env.BENCH_HEAP_SAMPLE, JSON.stringify(r.profile));
    });
}

// BENCH_MEMORY_LOG=<file>: process.memoryUsage() appended there every 5 s (where the RSS goes).
if (process.env.BENCH_MEMORY_LOG) {
  const file = process.env.BENCH_MEMORY_LOG;
  const mb = (n) => Math.round(n / 1048576);
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, mb(sp.space_size)]));
    appendFileSync(
      file,
      `${JSON.stringify({ pid: process.pid, t: Math.round(process.uptime()), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces })}\n`,
    );
  }, 5000).unref();
}

// CLOCK_MONOTONIC in ms at performance.now() = 0: performance.now() and process.hrtime both count
// on libuv's monotonic clock, as bench/fixed-rate.cc's FIXED_RATE_TRACE does, so a pause here lines
// up with the generator's slow requests.
const monotonicOrigin = Number(process.hrtime.bigint()) / 1e6 - performance.now();

// BENCH_GC_LOG=<file> (bench/run.ts sets it): every main-thread GC pause, appended once a second as
// one JSON line each ({ kind, ms, t: its start in CLOCK_MONOTONIC ms }), for the half-load latency line.
if (process.env.BENCH_GC_LOG) {
  const file = process.env.BENCH_GC_LOG;
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking step',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
  };
  let pending = '';
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      pending += `${JSON.stringify({ kind: kinds[e.detail?.kind] ?? String(e.detail?.kind), ms: e.duration, t: +(e.startTime + monotonicOrigin).toFixed(3) })}\n`;
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    if (pending) appendFileSync(file, pending);
    pending = '';
  }, 1000).unref();
}

// BENCH_LOOP_LOG=<file>: the event loop's state, one JSON line a second: its utilisation
// (performance.eventLoopUtilization) and the timer delay monitorEventLoopDelay saw (p50, p99, max
// in ms), with t in CLOCK_MONOTONIC ms. Off by default: the delay monitor's timer wakes the loop
// every 10 ms.
if (process.env.BENCH_LOOP_LOG) {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const file = process.env.BENCH_LOOP_LOG;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, elu);
    elu = now;
    const msOf = (ns) => +(ns / 1e6).toFixed(3);
    appendFileSync(
      file,
      `${JSON.stringify({ t: +(performance.now() + monotonicOrigin).toFixed(3), utilization: +d.utilization.toFixed(4), delayP50: msOf(delay.percentile(50)), delayP99: msOf(delay.percentile(99)), delayMax: msOf(delay.max) })}\n`,
    );
    delay.reset();
  }, 1000).unref();
}
