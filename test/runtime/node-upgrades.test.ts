/**
 * The registry of open upgraded connections (src/runtime/node-upgrades.ts) on the real revocation
 * list over a real memory store, with links that count how they were ended: a revocation's keys
 * close exactly the connections they name; the same notice twice (an instance hears its own notice
 * back over pub/sub) closes a connection once; sign-out everywhere covers sessions created up to
 * that second and not later ones; the periodic re-check finds a revocation nobody announced; a
 * forgotten (closed) connection is never touched again.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log';
import { createUpgradeRegistry, RECHECK_CONCURRENCY } from '../../src/runtime/node-upgrades';
import { storeKeys } from '../../src/store/keys';
import { createMemoryStore } from '../../src/store/memory';
import { createRevocationList } from '../../src/store/revocation';

function setup() {
  const log = createMemoryLogger('debug');
  const registry = createUpgradeRegistry({ check: (q) => list.check(q), log, recheckMs: 60_000 });
  const local = createMemoryStore();
  const list = createRevocationList({ local, onError: 'closed', onChange: (keys) => registry.changed(keys) });
  const link = () => {
    const ended = { revoked: 0, destroyed: 0 };
    return { ended, link: { revoke: () => ended.revoked++, destroy: () => ended.destroyed++ } };
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { registry, log, local, list, link, settle };
}

const closedLines = (log: ReturnType<typeof createMemoryLogger>) => log.lines.filter((l) => l.msg === 'upgraded connections closed: credentials revoked');

describe('upgrade registry', () => {
  it('a session revocation closes that session only, once, even when its notice arrives twice', async () => {
    const { registry, log, list, link, settle } = setup();
    const a = link();
    const b = link();
    registry.add(a.link, { sub: 'u1', sid: 's1', originJti: 'j1', issuedAt: 100 });
    registry.add(b.link, { sub: 'u1', sid: 's2', originJti: 'j2', issuedAt: 100 });
    await settle();
    await list.revoke({ sub: 'u1', sid: 's1', originJti: 'j1', sessionUntilSec: 2e9, originUntilSec: 2e9 });
    await settle();
    expect(a.ended.revoked).toBe(1);
    // The same keys again (the link's sockets are still closing), as the instance's own pub/sub notice would bring them back.
    registry.changed([await storeKeys.revokedSession('u1', 's1'), await storeKeys.revokedOrigin('u1', 'j1')]);
    await settle();
    expect(a.ended).toEqual({ revoked: 1, destroyed: 0 });
    expect(b.ended).toEqual({ revoked: 0, destroyed: 0 });
    expect(closedLines(log).map((l) => [l.count, l.trigger])).toEqual([[1, 'revocation']]);
    registry.close();
  });

  it("sign-out everywhere closes the user's connections issued up to that second, not later ones nor another user's", async () => {
    const { registry, list, link, settle } = setup();
    const early = link();
    const same = link();
    const later = link();
    const other = link();
    registry.add(early.link, { sub: 'u2', sid: 'a', issuedAt: 100 });
    registry.add(same.link, { sub: 'u2', sid: 'b', issuedAt: 200 });
    registry.add(later.link, { sub: 'u2', sid: 'c', issuedAt: 201 });
    registry.add(other.link, { sub: 'u3', sid: 'd', issuedAt: 100 });
    await settle();
    await list.revokeUserBefore('u2', 200, 86_400);
    await settle();
    expect([early.ended.revoked, same.ended.revoked, later.ended.revoked, other.ended.revoked]).toEqual([1, 1, 0, 0]);
    registry.close();
  });

  it('the periodic re-check finds a revocation written with no notice; a forgotten connection is left alone', async () => {
    const { registry, log, local, link, settle } = setup();
    const open = link();
    const gone = link();
    registry.add(open.link, { sub: 'u4', sid: 'x', issuedAt: 100 });
    const forget = registry.add(gone.link, { sub: 'u4', sid: 'y', issuedAt: 100 });
    await settle();
    forget();
    expect(registry.size).toBe(1);
    await local.set(await storeKeys.notBefore('u4'), '150', 60_000);
    expect(await registry.recheckAll()).toBe(1);
    expect(open.ended).toEqual({ revoked: 1, destroyed: 0 });
    expect(gone.ended).toEqual({ revoked: 0, destroyed: 0 });
    // Revoked once: a second round does not end it again while its sockets close.
    expect(await registry.recheckAll()).toBe(0);
    expect(open.ended.revoked).toBe(1);
    expect(closedLines(log).map((l) => [l.count, l.trigger])).toEqual([[1, 'periodic']]);
    registry.close();
  });
});

describe('upgrade registry: a revocation before the connection is indexed', () => {
  it('a notice that arrives before the keys are indexed (or before the connection opened) still closes it, once', async () => {
    const { registry, log, list, link, settle } = setup();
    const early = link();
    const other = link();
    // Revoked (and announced) before the connection is registered: no connection had those keys yet.
    await list.revoke({ sub: 'u5', sid: 's5', sessionUntilSec: 2e9, originUntilSec: 2e9 });
    registry.add(early.link, { sub: 'u5', sid: 's5', issuedAt: 100 });
    registry.add(other.link, { sub: 'u5', sid: 's6', issuedAt: 100 });
    // The same notice again at once, before the keys are indexed.
    registry.changed([await storeKeys.revokedSession('u5', 's5')]);
    await settle();
    expect(early.ended).toEqual({ revoked: 1, destroyed: 0 });
    expect(other.ended).toEqual({ revoked: 0, destroyed: 0 });
    expect(closedLines(log).map((l) => [l.count, l.trigger])).toEqual([[1, 'opened']]);
    registry.close();
  });
});

describe('upgrade registry: failures and resources', () => {
  it('a link whose revoke throws is destroyed instead, and the registry goes on (no unhandled rejection)', async () => {
    const { registry, list, settle } = setup();
    const ended = { destroyed: 0 };
    const throwing = {
      revoke: () => {
        throw new Error('socket already ended');
      },
      destroy: () => ended.destroyed++,
    };
    registry.add(throwing, { sub: 'u6', sid: 's6', issuedAt: 100 });
    await settle();
    await list.revoke({ sub: 'u6', sid: 's6', sessionUntilSec: 2e9, originUntilSec: 2e9 });
    await settle();
    expect(ended.destroyed).toBe(1);
    expect(await registry.recheckAll()).toBe(0);
    registry.close();
  });

  it('a store whose check throws closes nothing; the periodic check runs only while connections are open', async () => {
    const log = createMemoryLogger('debug');
    let calls = 0;
    let fail = true;
    const registry = createUpgradeRegistry({
      check: async () => {
        calls++;
        if (fail) throw new Error('store exploded');
        return 'ok';
      },
      log,
      recheckMs: 5,
    });
    const ended = { revoked: 0, destroyed: 0 };
    const forget = registry.add({ revoke: () => ended.revoked++, destroy: () => ended.destroyed++ }, { sub: 'u7', sid: 's7', issuedAt: 100 });
    for (let i = 0; i < 400 && calls < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(ended).toEqual({ revoked: 0, destroyed: 0 });
    fail = false;
    forget();
    expect(registry.size).toBe(0);
    const after = calls;
    await new Promise((r) => setTimeout(r, 60));
    // No connection: no timer, no check.
    expect(calls).toBe(after);
    registry.close();
  });
});

describe('upgrade registry: the cost of the periodic re-check', () => {
  it('a round over many open connections checks each once, never more than RECHECK_CONCURRENCY at a time', async () => {
    const log = createMemoryLogger('debug');
    let inFlight = 0;
    let most = 0;
    const seen = new Map<string, number>();
    const registry = createUpgradeRegistry({
      check: async (q) => {
        inFlight++;
        most = Math.max(most, inFlight);
        seen.set(q.sid!, (seen.get(q.sid!) ?? 0) + 1);
        // Every check waits a turn, so the round's checks overlap as much as it lets them.
        await new Promise<void>((r) => setImmediate(r));
        inFlight--;
        return 'ok';
      },
      log,
      recheckMs: 60_000,
    });
    const n = RECHECK_CONCURRENCY * 3 + 5;
    for (let i = 0; i < n; i++) registry.add({ destroy: () => {} }, { sub: 'many', sid: `s${i}`, issuedAt: 100 });
    // The checks made on registration first.
    for (let i = 0; i < 400 && [...seen.values()].reduce((a, b) => a + b, 0) < n; i++) await new Promise((r) => setTimeout(r, 5));
    seen.clear();
    most = 0;
    expect(await registry.recheckAll()).toBe(0);
    expect(seen.size).toBe(n);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(most).toBe(RECHECK_CONCURRENCY);
    registry.close();
  });
});
