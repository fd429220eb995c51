/**
 * Builds the Worker bundles once for the worker suite, exactly as `npm run build:worker` does
 * (`wrangler deploy --dry-run --outdir`), into a temp dir: the production entry and the demo env.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildWorker } from '../../scripts/worker-bundle.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    workerBundleDir: string;
    workerDemoBundleDir: string;
  }
}

export default async function setup(project: TestProject) {
  const root = mkdtempSync(join(tmpdir(), 'cgw-worker-bundle-'));
  const [main, demo] = await Promise.all([buildWorker({ outdir: join(root, 'main') }), buildWorker({ outdir: join(root, 'demo'), env: 'demo' })]);
  project.provide('workerBundleDir', main);
  project.provide('workerDemoBundleDir', demo);
  return () => rmSync(root, { recursive: true, force: true });
}
