/**
 * Builds the Worker bundle (`wrangler deploy --dry-run --outdir ...`), prints its raw and gzipped size,
 * and fails when the gzipped bundle is over the budget (240 KiB) or when any Node API found its way in
 * (a `node:*` or bare built-in import/require, or esbuild's `__require` shim for one).
 *
 *   node scripts/worker-bundle.mjs [--outdir dist/worker] [--env demo] [--budget BYTES] [--config wrangler.toml]
 *
 * Also a library: the worker tests build and check the bundle with the same functions.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ROOT, runWrangler } from './worker-wrangler.mjs';

/**
 * 240 KiB gzipped, the AWS SDK client included. Measured 2026-12: ~215 KiB. The sources import zod as a
 * namespace (`import * as z from 'zod'`) so the bundler drops zod's other locales (~260 KiB raw);
 * `import { z }` pulls them all back in and this budget fails.
 */
export const GZIP_BUDGET_BYTES = 240 * 1024;

const BUILTINS = [...new Set(builtinModules.map((m) => m.replace(/^node:/, '')))];
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const BUILTIN_RE = `(?:node:[\\w/.-]+|(?:${BUILTINS.map(escapeRegExp).join('|')})(?:/[\\w/.-]*)?)`;
/** import x from 'fs' · import 'node:fs' · export * from 'fs' · import('node:fs') · require('fs') · __require('fs') */
const NODE_API_PATTERNS = [
  new RegExp(`\\b(?:from|import)\\s*\\(?\\s*["'\`](${BUILTIN_RE})["'\`]`, 'g'),
  new RegExp(`\\b(?:__)?require\\s*\\(\\s*["'\`](${BUILTIN_RE})["'\`]\\s*\\)`, 'g'),
  /\b(__require)\s*\(/g,
];

/**
 * Node API uses in JavaScript source text.
 * @param {string} code
 * @returns {{ specifier: string, line: number, text: string }[]}
 */
export function findNodeApis(code) {
  const found = [];
  for (const re of NODE_API_PATTERNS) {
    for (const m of code.matchAll(re)) {
      const line = code.slice(0, m.index).split('\n').length;
      found.push({ specifier: m[1], line, text: m[0] });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * The uploaded modules in a `--outdir` (everything but source maps and the README), their sizes and
 * Node API findings. `gzipBytes` sums each module gzipped, as the upload is measured.
 * @param {string} outdir
 */
export function inspectBundle(outdir) {
  const modules = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.map') && name !== 'README.md') modules.push(path);
    }
  };
  walk(outdir);
  let rawBytes = 0;
  let gzipBytes = 0;
  const nodeApis = [];
  for (const path of modules) {
    const bytes = readFileSync(path);
    rawBytes += bytes.length;
    gzipBytes += gzipSync(bytes, { level: 9 }).length;
    if (/\.(m?js|cjs)$/.test(path)) for (const f of findNodeApis(bytes.toString('utf8'))) nodeApis.push({ file: path, ...f });
  }
  return { outdir, modules, rawBytes, gzipBytes, nodeApis };
}

/**
 * `wrangler deploy --dry-run --outdir <outdir>` for the top-level Worker or an environment.
 * @param {{ outdir: string, env?: string, config?: string }} opts  `config`: another wrangler config file
 */
export async function buildWorker(opts) {
  const outdir = resolve(ROOT, opts.outdir);
  const config = opts.config ? ['--config', resolve(ROOT, opts.config)] : [];
  await runWrangler(['deploy', '--dry-run', '--outdir', outdir, `--env=${opts.env ?? ''}`, ...config]);
  return outdir;
}

export function formatSize(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Problems that fail the build: budget and Node APIs. */
export function bundleProblems(report, budget = GZIP_BUDGET_BYTES) {
  const problems = [];
  if (report.gzipBytes > budget) problems.push(`gzipped bundle is ${formatSize(report.gzipBytes)}, over the ${formatSize(budget)} budget`);
  for (const f of report.nodeApis) problems.push(`Node API in the Worker bundle: ${f.text} (${f.file}:${f.line})`);
  return problems;
}

async function main(argv) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  const outdir = arg('--outdir', 'dist/worker');
  const env = arg('--env', '');
  const budget = Number(arg('--budget', String(GZIP_BUDGET_BYTES)));
  const config = arg('--config', undefined);
  try {
    await buildWorker({ outdir, env, config });
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  const report = inspectBundle(resolve(ROOT, outdir));
  console.log(`Worker bundle${env ? ` (env ${env})` : ''} in ${outdir}: ${report.modules.length} module(s)`);
  console.log(`  raw   ${formatSize(report.rawBytes)} (${report.rawBytes} bytes)`);
  console.log(`  gzip  ${formatSize(report.gzipBytes)} (${report.gzipBytes} bytes; budget ${formatSize(budget)})`);
  const problems = bundleProblems(report, budget);
  if (problems.length) {
    for (const p of problems) console.error(`FAIL ${p}`);
    process.exit(1);
  }
  console.log('  no Node APIs: ok');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
