/**
 * Starts the real parts on loopback for an end-to-end test: the Cognito emulator, the demo upstream
 * and the gateway (Node runtime) with config/demo.yaml, all on ephemeral ports.
 */
import { readFileSync } from 'node:fs';
import { poolClientIds, registerGatewayUrls, startDemoUpstream } from '../../src/cli/demo';
import { loadConfig, type ResolvedConfig } from '../../src/config/load';
import { startEmulator, type EmulatorSeed, type RunningEmulator } from '../../src/emulator';
import { memoryAudit, type AuditEvent } from '../../src/audit';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';

export const POOL = 'us-east-1_DemoPool1';
export const DEMO_CONFIG = readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8');

export interface Stack {
  emulator: RunningEmulator;
  upstream: { url: string; close(): Promise<void> };
  gateway: RunningGateway;
  config: ResolvedConfig;
  logs: ReturnType<typeof createMemoryLogger>['lines'];
  /** Audit events the gateway wrote. */
  audit: AuditEvent[];
  /** Gateway origin on 127.0.0.1. */
  url: string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Edits the parsed demo config (as a plain object) before validation. */
  edit?: (raw: Record<string, any>) => void;
  configText?: string;
  now?: () => number;
  emulatorNow?: () => number;
  env?: Record<string, string>;
  /** Gateway port; default ephemeral. */
  port?: number;
  /** For reload(): how the gateway reads its config again. */
  loadConfig?: () => Promise<ResolvedConfig>;
  /** The emulator's seed; default config/demo-pool.yaml. */
  emulatorSeed?: EmulatorSeed;
  /** Give the gateway no AWS credentials (default: dummy ones, for the admin API). */
  withoutAwsCredentials?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, now: opts.emulatorNow, seed: opts.emulatorSeed });
  const upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url, ...opts.env };
  let config = loadConfig(opts.configText ?? DEMO_CONFIG, env, 'config/demo.yaml');
  if (opts.edit) {
    const { parse } = await import('yaml');
    const { interpolateEnv, resolveConfig } = await import('../../src/config/load');
    const raw = interpolateEnv(parse(opts.configText ?? DEMO_CONFIG), env) as Record<string, any>;
    opts.edit(raw);
    config = resolveConfig(raw, env);
  }
  const logger = createMemoryLogger('debug');
  const audit = memoryAudit();
  // The admin API goes to the emulator, with dummy credentials (it accepts any signature).
  const credentials = opts.withoutAwsCredentials ? {} : { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const adminEnv = { COGNITO_ENDPOINT: emulator.url, ...credentials, ...opts.env };
  const gateway = await startNodeGateway({
    config,
    port: opts.port ?? 0,
    host: '127.0.0.1',
    logger,
    now: opts.now,
    env: adminEnv,
    audit,
    loadConfig: opts.loadConfig,
  });
  const port = gateway.port;
  registerGatewayUrls(emulator, POOL, poolClientIds(config), port);
  return {
    emulator,
    upstream,
    gateway,
    config,
    logs: logger.lines,
    audit: audit.events,
    url: gateway.url,
    async close() {
      await gateway.close();
      await upstream.close();
      await emulator.close();
    },
  };
}
