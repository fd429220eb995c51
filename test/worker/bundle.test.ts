/**
 * The Worker bundle as `npm run build:worker` builds it: within the gzip budget and free of Node APIs.
 * wrangler does NOT refuse a `node:*` import when nodejs_compat is off (it leaves it external and the
 * Worker then fails at load time), so the explicit check in scripts/worker-bundle.mjs is what stops it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { bundleProblems, findNodeApis, formatSize, GZIP_BUDGET_BYTES, inspectBundle } from '../../scripts/worker-bundle.mjs';
import { startEmulator } from '../../src/emulator';
import { startMiniflareWorker } from '../helpers/worker-stack';

const FIXTURE_CONFIG = 'test/worker/fixtures/node-import/wrangler.toml';

describe('the Worker bundle', () => {
  it("stays within the 240 KiB gzip budget, holds no Node API and only zod's English messages", () => {
    const report = inspectBundle(inject('workerBundleDir'));
    console.log(`worker bundle: raw ${formatSize(report.rawBytes)}, gzip ${formatSize(report.gzipBytes)}`);
    expect(report.modules.map((m) => m.split('/').pop())).toEqual(['worker.js']);
    expect(report.rawBytes).toBeGreaterThan(50_000);
    expect(GZIP_BUDGET_BYTES).toBe(240 * 1024);
    expect(report.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    expect(report.nodeApis).toEqual([]);
    // zod's locale tables (~260 KiB raw) stay out: German's message is absent, English's is there.
    const code = readFileSync(report.modules[0]!, 'utf8');
    expect(code).not.toContain('Ungültige Eingabe');
    expect(code).toContain('Invalid input');
    expect(bundleProblems(report)).toEqual([]);
  });

  it('finds every form of Node built-in use, and nothing else', () => {
    const code = [
      'import { readFileSync } from "node:fs";',
      "import path from 'path';",
      'export * from "fs/promises";',
      'const net = await import("node:net");',
      "const c = require('crypto');",
      'const b = __require("buffer");',
      "import { Hono } from 'hono';",
      "const s = 'node: is a prefix'; const r = notrequire('x'); // from 'hono'",
    ].join('\n');
    expect(findNodeApis(code).map((f) => [f.line, f.specifier])).toEqual([
      [1, 'node:fs'],
      [2, 'path'],
      [3, 'fs/promises'],
      [4, 'node:net'],
      [5, 'crypto'],
      [6, 'buffer'],
      [6, '__require'],
    ]);
    expect(bundleProblems({ outdir: 'x', modules: [], rawBytes: 0, gzipBytes: GZIP_BUDGET_BYTES, nodeApis: [] })).toEqual([]);
    expect(bundleProblems({ outdir: 'x', modules: [], rawBytes: 0, gzipBytes: GZIP_BUDGET_BYTES + 1, nodeApis: [] })).toEqual([
      'gzipped bundle is 240.0 KiB, over the 240.0 KiB budget',
    ]);
  });

  it('build:worker fails for a Worker that imports node:fs (wrangler alone lets it through)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cgw-node-import-'));
    const run = spawnSync(process.execPath, ['scripts/worker-bundle.mjs', '--outdir', outdir, '--config', FIXTURE_CONFIG], { encoding: 'utf8' });
    // wrangler produced a bundle that still imports node:fs ...
    const bundle = readdirSync(outdir).find((f) => f.endsWith('.js'))!;
    expect(readFileSync(join(outdir, bundle), 'utf8')).toMatch(/from\s*["']node:fs["']/);
    // ... and the check refuses it.
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/FAIL Node API in the Worker bundle: .*node:fs/);
  });

  it('the demo env bundles config/demo.yaml as a Text module and serves it in workerd', async () => {
    const dir = inject('workerDemoBundleDir');
    const yaml = readdirSync(dir).find((f) => f.endsWith('.yaml'))!;
    expect(readFileSync(join(dir, yaml), 'utf8')).toBe(readFileSync('config/demo.yaml', 'utf8'));
    expect(inspectBundle(dir).nodeApis).toEqual([]);
    const emulator = await startEmulator({ port: 0 });
    const worker = await startMiniflareWorker({ bundleDir: dir, entry: 'worker-demo.js', vars: { EMULATOR_URL: emulator.url } });
    try {
      const res = await fetch(`${worker.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(loc.origin + loc.pathname).toBe(`${emulator.hostedUiBase}/oauth2/authorize`);
      expect(loc.searchParams.get('client_id')).toBe('demo-gateway');
      expect(worker.logs.some((l) => l.msg === 'gateway built' && l.source === 'config/demo.yaml')).toBe(true);
    } finally {
      await worker.close();
      await emulator.close();
    }
  });
});
