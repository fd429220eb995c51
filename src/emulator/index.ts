import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createLogger } from '../log';
import { createEmulatorApp } from './app';
import type { EmulatorContext } from './context';
import { createHooks, type EmulatorHooks } from './hooks';
import { loadSeedFile, parseSeed, type ClientSeed, type EmulatorSeed } from './seed';
import { EmulatorState } from './state';
import { issuerOf } from './tokens';

/**
 * A local emulator of the parts of an Amazon Cognito user pool the gateway uses: discovery + JWKS,
 * hosted UI, OAuth endpoints, and the admin JSON API. Node only. See README.md next to this file.
 */

export type { ClientSeed, EmulatorSeed } from './seed';
export { loadSeedFile, parseSeed } from './seed';
export { signInWithPassword, type ChallengeAnswers } from './sign-in';
export { secretHash } from './admin/auth';

/** config/demo-pool.yaml */
export const DEFAULT_SEED_PATH = fileURLToPath(new URL('../../config/demo-pool.yaml', import.meta.url));

export interface EmulatorOptions {
  /** Parsed seed; default: load config/demo-pool.yaml. */
  seed?: EmulatorSeed;
  seedPath?: string;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 9229; tests pass 0. */
  port?: number;
  /** Base URL of the hosted UI. Default `http://localhost:{port}`: a different HOST from the issuer
   *  (`http://127.0.0.1:{port}/{poolId}`), as with real Cognito, so the gateway cannot assume they match.
   *  A literal `{port}` in the value is replaced by the port actually bound (useful with port 0). */
  hostedUiBase?: string;
  /** ms clock, default Date.now. */
  now?: () => number;
  /** Request log lines to stdout (method, path, status; no secrets). Default false. */
  log?: boolean;
}

export interface RunningEmulator extends EmulatorHooks {
  /** http://127.0.0.1:PORT */
  url: string;
  hostedUiBase: string;
  /** `${url}/${poolId}` */
  issuer(poolId: string): string;
  close(): Promise<void>;
  rotateKeys(poolId: string, which: 'id' | 'access'): { newKid: string; oldKid: string };
  retireKey(poolId: string, kid: string): void;
  setJwksAvailable(poolId: string, up: boolean): void;
  setTokenEndpointDelay(ms: number): void;
  /** While on, every admin-API call answers 500 InternalErrorException. */
  setAdminApiFailing(failing: boolean): void;
  tokenGrantCount(grantType: string): number;
  setUserEnabled(poolId: string, username: string, enabled: boolean): void;
  setClientSettings(poolId: string, clientId: string, patch: Partial<ClientSeed>): void;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = opts.seed !== undefined ? parseSeed(opts.seed) : loadSeedFile(opts.seedPath ?? DEFAULT_SEED_PATH);
  const state = await EmulatorState.fromSeed(seed, opts.now ?? Date.now);
  const ctx: EmulatorContext = { state, baseUrl: '', hostedUiBase: '' };
  const hooks = createHooks(state);
  const log = opts.log ? createLogger({ base: { component: 'emulator' } }) : undefined;
  const app = createEmulatorApp(ctx, hooks, log);
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });

  const host = opts.host ?? '127.0.0.1';
  const primary = createServer(listener);
  await listen(primary, opts.port ?? 9229, host);
  const port = (primary.address() as AddressInfo).port;
  const servers = [primary];
  // `localhost` may resolve to ::1 first (Chromium, some resolvers): answer there too, same port.
  if (host === '127.0.0.1') {
    const v6 = createServer(listener);
    try {
      await listen(v6, port, '::1');
      servers.push(v6);
    } catch {
      // No IPv6 loopback (or the port is taken there): clients fall back to 127.0.0.1.
    }
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  ctx.baseUrl = `http://${urlHost}:${port}`;
  ctx.hostedUiBase = (opts.hostedUiBase ?? 'http://localhost:{port}').replaceAll('{port}', String(port)).replace(/\/+$/, '');

  return {
    ...hooks,
    url: ctx.baseUrl,
    hostedUiBase: ctx.hostedUiBase,
    issuer: (poolId: string) => issuerOf(ctx.baseUrl, poolId),
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}
