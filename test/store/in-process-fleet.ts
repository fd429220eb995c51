/**
 * Several gateways in this process on one real redis-server (each with its own Redis client), the
 * emulator and the demo upstream: the fleet the in-process store tests sign in through. `edit`
 * changes the parsed demo config (its `store` is already the Redis one, with `keyPrefix`), and
 * `clientSettings` adds to the emulator's client settings (the fleet's callback and logout URLs are
 * registered). `close()` stops it all.
 */
import { parse } from 'yaml';
import { startDemoUpstream } from '../../src/cli/demo';
import { interpolateEnv, resolveConfig, type ResolvedConfig } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { createMemoryLogger, type LogLevel } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { closeNodeStore } from '../../src/runtime/node-store';
import { DEMO_CONFIG, POOL } from '../helpers/stack';
import { startRedis, type RunningRedis } from './redis-server';

export interface FleetInstance {
  gateway: RunningGateway;
  logs: ReturnType<typeof createMemoryLogger>['lines'];
  env: Record<string, string>;
}

export interface InProcessFleet {
  redis: RunningRedis;
  emulator: RunningEmulator;
  upstream: { url: string; close(): Promise<void> };
  /** The config every instance runs. */
  config: ResolvedConfig;
  fleet: FleetInstance[];
  close(): Promise<void>;
}

export async function startInProcessFleet(opts: {
  size: number;
  keyPrefix: string;
  edit?: (raw: Record<string, any>, redisUrl: string) => void;
  clientSettings?: Parameters<RunningEmulator['setClientSettings']>[2];
  /** The gateways' clock. */
  now?: () => number;
  /** The emulator's clock. */
  emulatorNow?: () => number;
  logLevel?: LogLevel;
  /** The gateways' periodic re-check of open upgraded connections (ms); default theirs (30 s). */
  upgradeRecheckMs?: number;
}): Promise<InProcessFleet> {
  const redis = await startRedis();
  const emulator = await startEmulator({ port: 0, now: opts.emulatorNow });
  const upstream = await startDemoUpstream(0);
  const env = { EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const raw = interpolateEnv(parse(DEMO_CONFIG), env) as Record<string, any>;
  raw.store = { type: 'redis', url: redis.url, keyPrefix: opts.keyPrefix };
  opts.edit?.(raw, redis.url);
  const config = resolveConfig(raw, env);
  const fleet: FleetInstance[] = [];
  for (let i = 0; i < opts.size; i++) {
    const logger = createMemoryLogger(opts.logLevel ?? 'debug');
    const gwEnv = { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const gateway = await startNodeGateway({
      config,
      port: 0,
      host: '127.0.0.1',
      logger,
      env: gwEnv,
      now: opts.now,
      upgradeRecheckMs: opts.upgradeRecheckMs,
    });
    fleet.push({ gateway, logs: logger.lines, env: gwEnv });
  }
  emulator.setClientSettings(POOL, 'demo-gateway', {
    callbackUrls: fleet.map((f) => `${f.gateway.url}/_auth/callback`),
    logoutUrls: fleet.map((f) => `${f.gateway.url}/`),
    ...opts.clientSettings,
  });
  return {
    redis,
    emulator,
    upstream,
    config,
    fleet,
    async close() {
      for (const f of fleet) {
        await f.gateway.close();
        await closeNodeStore(f.env);
      }
      await upstream.close();
      await emulator.close();
      await redis.stop();
    },
  };
}
