/**
 * The Node entry: serves the gateway with @hono/node-server, reaches upstreams with undici, and
 * reloads its config on SIGHUP or file change without dropping connections (a bad new config is
 * refused and the old one stays). The only gateway file that knows it runs on Node.
 */
import { serve, type HttpBindings } from '@hono/node-server';
import { watch } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ResolvedConfig } from '../config/load';
import { createGateway, createGatewayApp } from '../gateway/app';
import type { Gateway } from '../gateway/context';
import { createLogger, type Logger } from '../log';
import { fetchForwarder } from '../proxy';
import { configPathFrom, readConfigFile } from '../cli/config-file';
import { nodeStoreFor } from './node-store';

export interface NodeGatewayOptions {
  config: ResolvedConfig;
  /** Re-reads the config for reloads; without it, reload() is unavailable. */
  loadConfig?: () => Promise<ResolvedConfig>;
  host?: string;
  port?: number;
  logger?: Logger;
  now?: () => number;
  /** Environment for the Cognito admin API (COGNITO_ENDPOINT, AWS_*); default process.env. */
  env?: Record<string, string | undefined>;
}

export interface RunningGateway {
  url: string;
  port: number;
  gateway(): Gateway;
  /** Loads the config again; on failure logs why, keeps the running config and returns false. */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export function createNodeFetch(): typeof fetch {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch;
}

export async function startNodeGateway(opts: NodeGatewayOptions): Promise<RunningGateway> {
  const logger = opts.logger ?? createLogger({ level: opts.config.logLevel });
  const upstreamFetch = createNodeFetch();
  const build = async (config: ResolvedConfig) => {
    const gw = await createGateway(config, {
      forward: fetchForwarder(upstreamFetch, { keepContentEncoding: false }),
      idpFetch: upstreamFetch,
      peerAddress: (_req, env) => (env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress,
      rawTarget: (req, env) => (env as HttpBindings | undefined)?.incoming?.url ?? new URL(req.url).pathname + new URL(req.url).search,
      logger,
      now: opts.now,
      env: opts.env ?? process.env,
      store: await nodeStoreFor(config, opts.env ?? process.env, logger),
    });
    return { gw, app: createGatewayApp(gw) };
  };
  let current = await build(opts.config);

  const host = opts.host ?? opts.config.listen.host;
  const port = opts.port ?? opts.config.listen.port;
  // 32 KB of request headers (Node's default is 16 KB): a full chunked session plus an app's own
  // cookies must fit, or a user could not even reach /_auth/logout.
  const server = serve({ fetch: (req, env) => current.app.fetch(req, env), hostname: host, port, serverOptions: { maxHeaderSize: 32 * 1024 } });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  logger.info('gateway listening', { url, apps: opts.config.apps.map((a) => a.id) });

  return {
    url,
    port: actual,
    gateway: () => current.gw,
    async reload() {
      if (!opts.loadConfig) return false;
      try {
        const config = await opts.loadConfig();
        current = await build(config);
        logger.info('config reloaded', { apps: config.apps.map((a) => a.id) });
        return true;
      } catch (e) {
        logger.error('config reload refused; the running config stays in force', { error: (e as Error).message });
        return false;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** Runs the gateway as a process: `--config FILE` (or GATEWAY_CONFIG), `--watch` to reload on change. */
export async function runNodeMain(argv: string[]): Promise<void> {
  const path = configPathFrom(argv, process.env);
  let config: ResolvedConfig;
  try {
    config = await readConfigFile(path);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const running = await startNodeGateway({ config, loadConfig: () => readConfigFile(path) });
  process.on('SIGHUP', () => void running.reload());
  if (argv.includes('--watch')) {
    let timer: NodeJS.Timeout | undefined;
    watch(path, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void running.reload(), 200);
    });
  }
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runNodeMain(process.argv.slice(2));
}
