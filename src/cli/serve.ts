/**
 * `serve`: runs the gateway as a process. `--config FILE` (or GATEWAY_CONFIG), `--watch` to reload
 * on change, `--workers N|auto` (or listen.workers) for several processes on one port through
 * node:cluster. SIGHUP reloads, SIGTERM/SIGINT drain (see RunningGateway.drain) and exit 0.
 */
import cluster from 'node:cluster';
import { watch } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { ResolvedConfig } from '../config/load';
import { createLogger } from '../log';
import { startNodeGateway } from '../runtime/node';
import { configPathFrom, readConfigFile } from './config-file';

/**
 * V8 settings every gateway process gets (serve, each `--workers` process, the bench's gateway),
 * unless node's own command line sets the same flag (`process.execArgv`, which wins).
 *
 * `--heap-growing-percent=50`: after each full GC V8 lets the old generation grow to up to 4× what
 * survived before the next one, and RSS stays at that peak (freed V8 pages are not returned while
 * the gateway is busy). 1.5× keeps the old space's peak at ~50 MB instead of ~63 MB with 2× and
 * ~110 MB with V8's own choice at maximum load with 5,000 sessions cached. What it costs is a few more full
 * GCs (5–7 of 14–18 ms in two minutes at maximum load instead of 3, most of the marking concurrent):
 * little since the request path promotes little (docs/performance.md, session 6). Set
 * at run time because NODE_OPTIONS does not accept V8's heap-tuning flags other than the sizes
 * (`--max-semi-space-size=16` is in NODE_OPTIONS of the container and the systemd unit, and
 * `--min-semi-space-size=16` on their node command line: it only counts when the heap is set up).
 */
export const PROCESS_V8_FLAGS = ['--heap-growing-percent=50'];

/** The flags of PROCESS_V8_FLAGS that node's command line (`execArgv`) does not set itself. */
export function processV8FlagsFor(execArgv: readonly string[]): string[] {
  const name = (flag: string) => flag.replace(/^--/, '').split('=')[0]!.replaceAll('_', '-');
  const given = new Set(execArgv.filter((a) => a.startsWith('--')).map(name));
  return PROCESS_V8_FLAGS.filter((f) => !given.has(name(f)));
}

export function applyProcessSettings(): void {
  for (const flag of processV8FlagsFor(process.execArgv)) setFlagsFromString(flag);
}

export async function runNodeMain(argv: string[]): Promise<void> {
  applyProcessSettings();
  const path = configPathFrom(argv, process.env);
  let config: ResolvedConfig;
  try {
    config = await readConfigFile(path);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const workers = workerCount(flag(argv, 'workers') ?? config.listen.workers);
  if (workers === undefined) {
    console.error('--workers takes a number of processes (1-256) or auto');
    process.exit(2);
  }
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, config);

  const running = await startNodeGateway({ config, loadConfig: () => readConfigFile(path) });
  process.on('SIGHUP', () => void running.reload());
  if (argv.includes('--watch')) {
    let timer: NodeJS.Timeout | undefined;
    watch(path, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void running.reload(), 200);
    });
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void running.drain().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A cluster primary asks its workers to drain with a message (signals are not relayed on every platform).
  process.on('message', (m) => {
    if (m === 'drain') stop();
    if (m === 'reload') void running.reload();
  });
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i !== -1) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export function workerCount(value: string | number): number | undefined {
  if (value === 'auto') return availableParallelism();
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : undefined;
}

const QUICK_DEATH_MS = 30_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The cluster primary: forks the workers (which share the listening port), restarts one that dies
 * unasked, relays SIGHUP as a reload to all, and on SIGTERM/SIGINT drains all, then exits 0.
 */
function runPrimary(workers: number, config: ResolvedConfig): void {
  const logger = createLogger({ level: config.logLevel });
  let stopping = false;
  let exitCode = 0;
  // A worker that dies before any worker of the cluster listened cannot start (port taken, store
  // unreachable …): the cluster stops and exits 1, as one process would, rather than restart it for ever.
  let listened = false;
  cluster.on('listening', () => (listened = true));
  // A worker that dies within QUICK_DEATH_MS of its start is replaced after a delay that doubles
  // with each such death (1 s up to 30 s), so a crash loop does not burn the machine; one that ran
  // longer is replaced at once and resets the delay.
  const forkedAt = new Map<number, number>();
  let restartDelayMs = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const fork = () => forkedAt.set(cluster.fork().id, Date.now());
  for (let i = 0; i < workers; i++) fork();
  logger.info('cluster started', { workers, pid: process.pid });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('cluster stopped', { pid: process.pid });
        process.exit(exitCode);
      }
      return;
    }
    // (`exitCode`, not `code`: the log redacts a field named code.)
    if (!listened) {
      logger.error('worker failed to start; stopping the cluster', { pid: worker.process.pid, exitCode: code, signal });
      exitCode = 1;
      stopping = true;
      // SIGTERM, not the drain message: a worker still starting has no handler for that yet.
      const live = Object.values(cluster.workers ?? {});
      if (live.length === 0) process.exit(exitCode);
      for (const w of live) w?.process.kill('SIGTERM');
      return;
    }
    const lived = Date.now() - (forkedAt.get(worker.id) ?? 0);
    forkedAt.delete(worker.id);
    restartDelayMs = lived < QUICK_DEATH_MS ? Math.min(MAX_RESTART_DELAY_MS, restartDelayMs === 0 ? 1000 : 2 * restartDelayMs) : 0;
    logger.warn('worker died; starting another', { pid: worker.process.pid, exitCode: code, signal, livedMs: lived, restartInMs: restartDelayMs });
    if (restartDelayMs === 0) fork();
    else
      restartTimer = setTimeout(() => {
        if (!stopping) fork();
      }, restartDelayMs);
  });
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.send('reload');
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(restartTimer);
    const live = Object.values(cluster.workers ?? {});
    if (live.length === 0) process.exit(exitCode);
    for (const w of live) w?.send('drain');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runNodeMain(process.argv.slice(2));
}
