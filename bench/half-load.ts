/**
 * The half-load phase's machinery for bench/run.ts: the open-loop fixed-rate generator
 * (bench/fixed-rate.cc, or bench/fixed-rate.ts on Node) run in its own process against one server,
 * the measured server's main-thread time from /proc, real-time priority for the measured event
 * loops, and the machine's busy and steal share over the phase.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the generator is sent at: the server's URL, the request's headers, the server's pid. */
export interface FixedRateTarget {
  url: string;
  pid: number;
  headers?: Record<string, string>;
}

interface Generator {
  name: string;
  command: string[];
}

/**
 * The generator, built into `dir` on first use, and a runner with `connections` keep-alive
 * connections (bench/run.ts passes wrk's count unless BENCH_FIXED_CONNECTIONS says otherwise).
 */
export function fixedRateRunner(dir: string, connections: number) {
  let generator: Generator | undefined;
  const built = () => (generator ??= buildGenerator(dir));
  return {
    connections,
    generatorName: () => built().name,
    run: (s: FixedRateTarget, rate: number, seconds: number, trace?: string, watch: number[] = []) =>
      runFixedRate(built(), connections, s, rate, seconds, trace, watch),
  };
}

export interface FixedRateResult {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  non2xx: number;
  /** The generator's own lateness (requests that found a free connection), p99, ms; NaN from the Node generator. */
  sendLagP99: number;
  /** The generator's own CPU, % of one core; NaN from the Node generator. */
  cpuPercent: number;
  /** The measured proxy's main thread (its event loop): % of the run it was on a CPU, and µs of that per request. */
  loopBusy: number;
  loopMicrosPerRequest: number;
}

/** A thread's time on a CPU and waiting for one (runnable, not running), ns, from /proc schedstat. */
function threadTimes(pid: number): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { run: run!, wait: wait! };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

/**
 * BENCH_FIXED_TRACE=<dir>: each half-load run's requests (bench/fixed-rate.cc's FIXED_RATE_TRACE:
 * due, sent and done times in CLOCK_MONOTONIC ms) go to <dir>/<raw|gateway>-<round>.txt (with the
 * machine's per-CPU times and the proxy's and upstream's main-thread run/wait times every 5 ms in
 * <…>.txt.samples), and the
 * gateway's GC pauses (with their start times on the same clock) to <dir>/gateway-gc.jsonl, for
 * `node bench/half-load-report.mjs <dir>`.
 */
export function traceFile(row: string, round: number): string | undefined {
  const traceDir = process.env.BENCH_FIXED_TRACE;
  if (!traceDir) return undefined;
  mkdirSync(traceDir, { recursive: true });
  return join(traceDir, `${row}-${round}.txt`);
}

/** The fixed-rate generator in its own process: `rate` requests per second for `seconds`, open loop. */
function runFixedRate(
  generator: Generator,
  connections: number,
  s: FixedRateTarget,
  rate: number,
  seconds: number,
  trace?: string,
  watch: number[] = [],
): FixedRateResult {
  const [bin, ...pre] = generator.command;
  const args = [...pre, s.url, String(rate), String(seconds), String(connections)];
  if (bin === process.execPath) args.push(JSON.stringify(s.headers ?? {}));
  else args.push(...Object.entries(s.headers ?? {}).map(([k, v]) => `${k}: ${v}`));
  // The proxy measured first, then the upstream: their main threads' run and wait times go in the trace.
  const env = trace ? { ...process.env, FIXED_RATE_TRACE: trace, FIXED_RATE_WATCH: watch.join(',') } : process.env;
  const before = threadTimes(s.pid);
  const started = process.hrtime.bigint();
  const out = execFileSync(bin!, args, { maxBuffer: 1024 * 1024, env }).toString();
  const wallNs = Number(process.hrtime.bigint() - started);
  const busyNs = threadTimes(s.pid).run - before.run;
  const r = JSON.parse(out.trim().split('\n').pop()!) as Partial<FixedRateResult> & { completed?: number };
  const loop = { loopBusy: (100 * busyNs) / wallNs, loopMicrosPerRequest: busyNs / 1000 / (r.completed || NaN) };
  return { p999: NaN, sendLagP99: NaN, cpuPercent: NaN, ...r, ...loop } as FixedRateResult;
}

/**
 * Moves the main thread (the event loop) of each given process to SCHED_FIFO priority 1 (on) or back
 * to SCHED_OTHER (off) with chrt; false when the system does not allow it (not root, no CAP_SYS_NICE,
 * no chrt). Only the main thread: a real-time V8 helper thread doing concurrent marking would hold a
 * core until it is done (FIFO does not time-slice) and stall the event loops for tens of ms.
 *
 * Its known failure (bench/half-load-report.mjs on BENCH_FIXED_TRACE): when ordinary tasks of the
 * machine's other work are starved on a CPU that real-time threads keep busy (the gateway's event
 * loop is 60–90 % busy at half load), the kernel's fair server (Linux ≥ 6.12) runs them above every
 * real-time thread for up to 50 ms of the second: the gateway's main thread then sat runnable 10–34 ms
 * at a time, the generator's 5 ms samples stopped as long, and such a round's p99 was 36–47 ms. The
 * alternative tried, each server in an autogroup of its own at nice -20, was worse on a busy machine
 * (the raw proxy's p99 6–67 ms against ~1 ms, ordinary-scheduler slices of a few ms).
 */
export function setRealtime(pids: number[], on: boolean): boolean {
  try {
    for (const pid of pids) execFileSync('chrt', on ? ['-f', '-p', '1', String(pid)] : ['-o', '-p', '0', String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    if (on) setRealtime(pids, false);
    return false;
  }
}

/** Jiffies of the whole machine from /proc/stat: busy (everything but idle and iowait), steal, total. */
export function machineTimes(): { busy: number; steal: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, steal: f[7]!, total };
}

export function machineShare(a: ReturnType<typeof machineTimes>, b: ReturnType<typeof machineTimes>): { busy: number; steal: number } {
  const total = b.total - a.total || 1;
  return { busy: (100 * (b.busy - a.busy)) / total, steal: (100 * (b.steal - a.steal)) / total };
}

/**
 * The fixed-rate generator: bench/fixed-rate.cc built here with g++ (a few µs per request, no GC of
 * its own), run with real-time priority when the system allows it (root or CAP_SYS_NICE) so the
 * generator is not what a busy machine delays; without g++, bench/fixed-rate.ts on Node.
 * BENCH_FIXED_GENERATOR=node forces the Node one.
 */
function buildGenerator(dir: string): Generator {
  const binary = join(dir, 'fixed-rate');
  if (process.env.BENCH_FIXED_GENERATOR !== 'node') {
    try {
      execFileSync('g++', ['-O2', '-std=c++17', '-o', binary, join(ROOT, 'bench/fixed-rate.cc')], { stdio: ['ignore', 'ignore', 'inherit'] });
      try {
        // Priority 2: above the servers it measures (setRealtime, 1), so it is never the one waiting.
        execFileSync('chrt', ['-f', '2', 'true'], { stdio: 'ignore' });
        return { name: 'bench/fixed-rate.cc, real-time priority', command: ['chrt', '-f', '2', binary] };
      } catch {
        return { name: 'bench/fixed-rate.cc', command: [binary] };
      }
    } catch {
      /* no g++: the Node generator */
    }
  }
  return { name: 'bench/fixed-rate.ts on Node', command: [process.execPath, '--import', 'tsx', join(ROOT, 'bench/fixed-rate.ts')] };
}
