/**
 * Runs the gateway as operators run it: `serve --config FILE` (src/cli/serve.ts through tsx) in its
 * own process on an ephemeral port, with its JSON log lines collected from stdout and stderr. Processes share
 * no memory and no clock with the test: whatever they share goes over the network.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface GatewayProcess {
  /** http://127.0.0.1:PORT, from the process's own "gateway listening" line. */
  url: string;
  /** The admin listener (/metrics), when the config sets admin.listen. */
  adminUrl?: string;
  pid: number;
  /** Every JSON log line so far, in order. */
  logs(): LogLine[];
  /** Waits (bounded) until `count` log lines match; throws with the process's output when they do not. */
  waitForLogs(match: (l: LogLine) => boolean, count?: number, ms?: number): Promise<LogLine[]>;
  /** True while the process has not exited. */
  running(): boolean;
  /** SIGTERM (drain), then waits for the exit. */
  close(): Promise<void>;
}

const ROOT = new URL('../..', import.meta.url).pathname;

export async function startGatewayProcess(opts: { config: Record<string, unknown>; env?: Record<string, string>; startMs?: number }): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cgw-serve-'));
  const file = join(dir, 'gateway.yaml');
  // JSON is YAML: the test's config object goes in as it is.
  writeFileSync(file, JSON.stringify(opts.config, null, 2));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', '--config', file], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let raw = '';
  // info and debug lines go to stdout, warn and error to stderr (src/runtime/node-log.ts): read both.
  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      raw += d;
      const parts = (partial + d).split('\n');
      partial = parts.pop()!;
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part) as LogLine);
        } catch {
          /* not a log line */
        }
      }
    });
  };
  collect(child.stdout!);
  collect(child.stderr!);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const waitForLogs = async (match: (l: LogLine) => boolean, count = 1, ms = 10_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const found = lines.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > until || child.exitCode !== null)
        throw new Error(`gateway ${child.pid}: saw ${found.length} of ${count} matching log lines:\n${raw.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const [listening] = await waitForLogs((l) => l.msg === 'gateway listening', 1, opts.startMs ?? 30_000);
    const admin = opts.config.admin ? (await waitForLogs((l) => l.msg === 'admin listener'))[0] : undefined;
    return {
      url: String(listening!.url),
      adminUrl: admin ? String(admin.url) : undefined,
      pid: child.pid!,
      logs: () => lines,
      waitForLogs,
      running: () => child.exitCode === null && child.signalCode === null,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** One Prometheus text scrape as series → value (`name{label="v"}` keys). */
export async function scrapeMetrics(adminUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${adminUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET ${adminUrl}/metrics answered ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
