/**
 * Helpers for the src/cognito tests: the official SDK client and a CognitoAdmin pointed at an
 * in-process emulator, a fetch that counts admin operations, a closed port, a bare node:http server,
 * and a manual clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoAdmin, type CognitoAdmin, type CognitoAdminOptions } from '../../src/cognito/client';
import type { RunningEmulator } from '../../src/emulator/index';

export const POOL = 'us-east-1_DemoPool1';
export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' };

/** The official SDK client pointed at the emulator (for test set-up: creating clients and users). */
export function sdkClient(emu: RunningEmulator): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: emu.url, credentials: CREDENTIALS, maxAttempts: 1 });
}

/** A fetch that counts admin operations by X-Amz-Target (and passes every request through). */
export function countingFetch(): { fetch: typeof fetch; calls: string[]; count(op: string): number } {
  const calls: string[] = [];
  return {
    calls,
    count: (op) => calls.filter((c) => c === op).length,
    fetch: async (input, init) => {
      const target = new Headers(init?.headers).get('x-amz-target');
      if (target) calls.push(target.split('.').pop()!);
      return fetch(input, init);
    },
  };
}

export function emulatorAdmin(emu: RunningEmulator, extra: Partial<CognitoAdminOptions> = {}): CognitoAdmin {
  return createCognitoAdmin({ region: 'us-east-1', userPoolId: POOL, endpoint: emu.url, credentials: CREDENTIALS, backoffMs: () => 1, ...extra });
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A real HTTP server with a custom handler (a stand-in for AWS answers the emulator never gives). */
export async function startServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** ms clock under the test's control. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}
