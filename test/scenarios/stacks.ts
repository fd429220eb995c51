/**
 * One stack shape for both runtimes, so the scenario table (table.ts) cannot tell them apart except
 * through `runtime`: the emulator and demo upstream on loopback, and the gateway either on Node
 * (test/helpers/stack.ts) or as the real Worker bundle in workerd (test/helpers/worker-stack.ts).
 */
import type { RunningEmulator } from '../../src/emulator';
import { startStack } from '../helpers/stack';
import { startWorkerStack } from '../helpers/worker-stack';

export type Runtime = 'node' | 'worker';

export interface ScenarioStack {
  runtime: Runtime;
  /** Gateway origin on 127.0.0.1. */
  url: string;
  emulator: RunningEmulator;
  upstream: { url: string };
  /** The gateway's log lines (JSON objects with `msg`), from a memory logger (Node) or workerd's console (Worker). */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface ScenarioStackOptions {
  /** Edits the parsed, interpolated demo config before validation. */
  edit?: (raw: Record<string, any>) => void;
  /** Worker only: the built bundle to run. */
  bundleDir?: string;
}

export async function startScenarioStack(runtime: Runtime, opts: ScenarioStackOptions = {}): Promise<ScenarioStack> {
  if (runtime === 'node') {
    const s = await startStack({ edit: opts.edit });
    return { runtime, url: s.url, emulator: s.emulator, upstream: s.upstream, logs: s.logs, close: () => s.close() };
  }
  if (!opts.bundleDir) throw new Error('startScenarioStack(worker): bundleDir is required (built by test/worker/global-setup.ts)');
  const s = await startWorkerStack({ bundleDir: opts.bundleDir, edit: opts.edit });
  return { runtime, url: s.url, emulator: s.emulator, upstream: s.upstream, logs: s.logs, close: () => s.close() };
}
