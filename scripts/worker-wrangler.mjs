/**
 * Runs the project's wrangler with telemetry off and its log file in a temp dir. Shared by the
 * worker scripts (build, dev, start) and the worker tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WRANGLER_JS = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));

/** The environment every wrangler run gets: no metrics, no error reports, no cf fetch, logs in a temp dir. */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    DO_NOT_TRACK: '1',
    WRANGLER_LOG_PATH: process.env.WRANGLER_LOG_PATH ?? mkdtempSync(join(tmpdir(), 'cgw-wrangler-log-')),
    ...extra,
  };
}

/**
 * Spawns wrangler on the Node that runs this script (Node 24 under npm scripts and vitest).
 * @param {string[]} args
 * @param {{ stdio?: import('node:child_process').StdioOptions, env?: Record<string, string> }} [opts]
 */
export function spawnWrangler(args, opts = {}) {
  return spawn(process.execPath, [WRANGLER_JS, ...args], { cwd: ROOT, env: wranglerEnv(opts.env), stdio: opts.stdio ?? 'inherit' });
}

/**
 * `wrangler dev` of the demo env on loopback, as both demo scripts run it.
 * @param {string | number} port
 */
export function demoDevArgs(port) {
  return [
    'dev',
    '--env',
    'demo',
    '--ip',
    '127.0.0.1',
    // wrangler's devtools port defaults to 9229, the emulator's port: keep them apart.
    '--inspector-port',
    process.env.WRANGLER_INSPECTOR_PORT ?? '9329',
    '--port',
    String(port),
  ];
}

/** Runs wrangler to completion; resolves with its output, rejects with it on a non-zero exit. */
export function runWrangler(args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnWrangler(args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrangler ${args.join(' ')} exited with ${code}:\n${out}`))));
  });
}
