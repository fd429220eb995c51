/**
 * The Worker counterpart of stack.ts: the Cognito emulator and the demo upstream on loopback (Node),
 * and the gateway's real Worker bundle (`wrangler deploy --dry-run` output) running in workerd through
 * Miniflare, on an ephemeral port. The config reaches the Worker the way it does in production: as the
 * GATEWAY_CONFIG var, interpolated inside the Worker from its vars.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { parse as parseYaml } from 'yaml';
import { registerGatewayUrls, startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { DEMO_CONFIG, POOL } from './stack';

export const WRANGLER_TOML = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
/** compatibility_date from wrangler.toml, so tests run the Worker as deployed. */
export const COMPATIBILITY_DATE = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(WRANGLER_TOML)?.[1] ?? '2026-08-15';

export type ServiceHandler = (req: Request) => Response | Promise<Response>;

export interface MiniflareWorkerOptions {
  /** Directory holding the bundle (`--outdir` of wrangler deploy --dry-run). */
  bundleDir: string;
  /** Entry file name in bundleDir; default worker.js. */
  entry?: string;
  /** Vars and secrets (all strings, as Worker vars and secrets are). */
  vars?: Record<string, string>;
  /** Service bindings served by Node functions. */
  services?: Record<string, ServiceHandler>;
}

export interface RunningWorker {
  url: string;
  mf: Miniflare;
  /** console output of the Worker, JSON lines parsed where they are JSON. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The bundle's modules, entry first: JavaScript as ES modules, YAML (wrangler's Text rule) as text. */
function bundleModules(dir: string, entry: string) {
  const others = readdirSync(dir).filter((f) => f !== entry && (f.endsWith('.js') || f.endsWith('.yaml')));
  return [entry, ...others].map((f) => ({ type: f.endsWith('.yaml') ? 'Text' : 'ESModule', path: join(dir, f) }));
}

/** Runs a built Worker bundle in workerd on 127.0.0.1 with an ephemeral port. */
export async function startMiniflareWorker(opts: MiniflareWorkerOptions): Promise<RunningWorker> {
  const logs: Array<Record<string, unknown>> = [];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: bundleModules(opts.bundleDir, opts.entry ?? 'worker.js'),
      modulesRoot: opts.bundleDir,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: opts.vars ?? {},
      serviceBindings: opts.services ?? {},
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs(log: { level: string; message: string }) {
        for (const line of log.message.split('\n')) {
          if (!line.trim()) continue;
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            logs.push({ level: log.level, msg: line });
          }
        }
      },
    } as never),
  );
  const ready = await mf.ready;
  const url = new URL(ready).origin;
  return { url, mf, logs, close: () => mf.dispose() };
}

export interface WorkerStackOptions {
  bundleDir: string;
  /** Edits the parsed demo config (interpolated, as a plain object) before it becomes GATEWAY_CONFIG. */
  edit?: (raw: Record<string, any>) => void;
  configText?: string;
  /** More Worker vars/secrets. */
  vars?: Record<string, string>;
  services?: Record<string, ServiceHandler>;
  /** The emulator's ms clock (the Worker's own clock is workerd's: real time). */
  emulatorNow?: () => number;
}

export interface WorkerStack {
  emulator: RunningEmulator;
  upstream: { url: string; close(): Promise<void> };
  worker: RunningWorker;
  logs: Array<Record<string, unknown>>;
  url: string;
  close(): Promise<void>;
}

export async function startWorkerStack(opts: WorkerStackOptions): Promise<WorkerStack> {
  const emulator = await startEmulator({ port: 0, now: opts.emulatorNow });
  const upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url, ...opts.vars };
  let configText = opts.configText ?? DEMO_CONFIG;
  if (opts.edit) {
    const raw = interpolateEnv(parseYaml(configText), env) as Record<string, any>;
    opts.edit(raw);
    configText = JSON.stringify(raw, null, 2);
  }
  let worker: RunningWorker;
  try {
    worker = await startMiniflareWorker({ bundleDir: opts.bundleDir, vars: { ...env, GATEWAY_CONFIG: configText }, services: opts.services });
  } catch (e) {
    await upstream.close();
    await emulator.close();
    throw e;
  }
  // The demo pool's two web clients: the default realm's and the merchant realm's.
  registerGatewayUrls(emulator, POOL, ['demo-gateway', 'demo-merchant'], new URL(worker.url).port);
  return {
    emulator,
    upstream,
    worker,
    logs: worker.logs,
    url: worker.url,
    async close() {
      await worker.close();
      await upstream.close();
      await emulator.close();
    },
  };
}
