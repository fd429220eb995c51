/**
 * The user directory (AdminGetUser with a retention period) against the emulator, on a stubbed
 * clock: one call per user per retention period and always one at sign-in; disabled and deleted users
 * reported once the period has passed; concurrent look-ups coalesced; the cache bounded (LRU) and
 * shared through the second-level cache; a stale entry served (and marked) while Cognito is
 * unreachable, but never past maxStaleSeconds; sign-out everywhere calls AdminUserGlobalSignOut and
 * drops the cached entry.
 */
import { AdminCreateUserCommand, AdminDeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserDirectory } from '../../src/cognito/user-directory';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { createMemorySharedCache } from '../../src/tokens/shared-cache';
import { closedPort, countingFetch, emulatorAdmin, manualClock, POOL, sdkClient } from './helpers';

let emu: RunningEmulator;
let deadPort: number;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  deadPort = await closedPort();
});
afterAll(async () => {
  await emu?.close();
});

/** A directory over the real admin client; the clock is the only stub. */
function setup(opts: { retentionSeconds?: number; maxEntries?: number; shared?: ReturnType<typeof createMemorySharedCache> } = {}) {
  const clock = manualClock();
  const counter = countingFetch();
  let down = false;
  const admin = emulatorAdmin(emu, {
    maxAttempts: 1,
    // `down` sends the request to a port nothing listens on: a real connection failure.
    fetch: (input, init) => (down ? fetch(`http://127.0.0.1:${deadPort}/`, init) : counter.fetch(input, init)),
  });
  const dir = createUserDirectory({
    admin,
    retentionSeconds: opts.retentionSeconds ?? 300,
    maxEntries: opts.maxEntries,
    sharedCache: opts.shared,
    now: clock.now,
  });
  return { dir, clock, counter, setDown: (v: boolean) => (down = v) };
}

describe('user directory: AdminGetUser with a retention period', () => {
  it('asks Cognito once per retention period per user (cache hit, then expiry)', async () => {
    const { dir, clock, counter } = setup({ retentionSeconds: 300 });
    const first = await dir.lookup('alice');
    expect(first).toMatchObject({ status: 'active', source: 'cognito', stale: false, userStatus: 'CONFIRMED' });
    if (first.status !== 'active') throw new Error('unreachable');
    expect(first.attributes.email).toBe('alice@example.com');
    clock.advance(299_000);
    expect(await dir.lookup('alice')).toMatchObject({ status: 'active', source: 'memory' });
    expect(counter.count('AdminGetUser')).toBe(1);
    clock.advance(1_000);
    expect(await dir.lookup('alice')).toMatchObject({ status: 'active', source: 'cognito' });
    expect(counter.count('AdminGetUser')).toBe(2);
  });

  it('always asks Cognito at sign-in', async () => {
    const { dir, counter } = setup();
    await dir.lookup('bob');
    expect(await dir.lookup('bob', { signIn: true })).toMatchObject({ source: 'cognito' });
    expect(counter.count('AdminGetUser')).toBe(2);
  });

  it('reports a user disabled mid-way as disabled once the retention period has passed', async () => {
    const { dir, clock } = setup({ retentionSeconds: 60 });
    expect((await dir.lookup('carol', { signIn: true })).status).toBe('active');
    emu.setUserEnabled(POOL, 'carol', false);
    try {
      clock.advance(30_000);
      expect((await dir.lookup('carol')).status).toBe('active'); // still within retention
      clock.advance(31_000);
      expect(await dir.lookup('carol')).toMatchObject({ status: 'disabled', source: 'cognito' });
    } finally {
      emu.setUserEnabled(POOL, 'carol', true);
    }
  });

  it('reports a deleted user as deleted', async () => {
    const sdk = sdkClient(emu);
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'temp-user', TemporaryPassword: 'Temp-Passw0rd!' }));
    const { dir, clock } = setup({ retentionSeconds: 10 });
    expect((await dir.lookup('temp-user')).status).toBe('active');
    await sdk.send(new AdminDeleteUserCommand({ UserPoolId: POOL, Username: 'temp-user' }));
    clock.advance(10_000);
    expect(await dir.lookup('temp-user')).toMatchObject({ status: 'deleted', source: 'cognito' });
  });

  it('coalesces concurrent look-ups of one user into one call', async () => {
    const { dir, counter } = setup();
    const results = await Promise.all(Array.from({ length: 8 }, () => dir.lookup('alice')));
    expect(results.every((r) => r.status === 'active')).toBe(true);
    expect(counter.count('AdminGetUser')).toBe(1);
    expect(dir.stats.calls).toBe(1);
  });

  it('keeps the cache bounded (least recently used user leaves first)', async () => {
    const { dir, counter } = setup({ maxEntries: 2 });
    await dir.lookup('alice');
    await dir.lookup('bob');
    await dir.lookup('alice'); // alice is now the most recent
    await dir.lookup('carol'); // evicts bob
    expect(counter.count('AdminGetUser')).toBe(3);
    expect(await dir.lookup('alice')).toMatchObject({ source: 'memory' });
    expect(await dir.lookup('bob')).toMatchObject({ source: 'cognito' });
    expect(counter.count('AdminGetUser')).toBe(4);
  });

  it('shares answers through the second-level cache', async () => {
    const shared = createMemorySharedCache({ now: () => Date.now() });
    const a = setup({ shared });
    const b = setup({ shared });
    await a.dir.lookup('alice');
    expect(await b.dir.lookup('alice')).toMatchObject({ status: 'active', source: 'shared' });
    expect(b.counter.count('AdminGetUser')).toBe(0);
    expect(shared.puts).toBe(1);
  });

  it('serves the stale entry when Cognito is unreachable, and says so', async () => {
    const { dir, clock, setDown } = setup({ retentionSeconds: 60 });
    await dir.lookup('alice');
    clock.advance(61_000);
    setDown(true);
    const r = await dir.lookup('alice');
    expect(r).toMatchObject({ status: 'active', source: 'stale', stale: true });
    expect(dir.stats.staleServed).toBe(1);
  });

  it('reports unavailable when Cognito is unreachable and nothing is known', async () => {
    const { dir, setDown } = setup();
    setDown(true);
    const r = await dir.lookup('bob');
    expect(r.status).toBe('unavailable');
    if (r.status !== 'unavailable') throw new Error('unreachable');
    expect(r.error.name).toBe('NetworkError');
    expect(r.error.retryable).toBe(true);
  });

  it('does not serve entries older than maxStaleSeconds past retention', async () => {
    const clock = manualClock();
    let down = false;
    const admin = emulatorAdmin(emu, { maxAttempts: 1, fetch: (i, init) => (down ? fetch(`http://127.0.0.1:${deadPort}/`, init) : fetch(i, init)) });
    const dir = createUserDirectory({ admin, retentionSeconds: 60, maxStaleSeconds: 120, now: clock.now });
    await dir.lookup('alice');
    down = true;
    clock.advance(181_000);
    expect((await dir.lookup('alice')).status).toBe('unavailable');
  });
});

describe('sign-out everywhere', () => {
  it('calls AdminUserGlobalSignOut and drops the cached entry', async () => {
    const { signOutEverywhere } = await import('../../src/cognito/sign-out');
    const { dir, counter } = setup();
    await dir.lookup('alice');
    expect(await signOutEverywhere({ admin: emulatorAdmin(emu, { fetch: counter.fetch }), directory: dir }, 'alice')).toEqual({ ok: true });
    expect(counter.count('AdminUserGlobalSignOut')).toBe(1);
    expect(await dir.lookup('alice')).toMatchObject({ source: 'cognito' });
    const failed = await signOutEverywhere({ admin: emulatorAdmin(emu, { endpoint: `http://127.0.0.1:${deadPort}`, maxAttempts: 1 }) }, 'alice');
    expect(failed.ok).toBe(false);
  });
});
