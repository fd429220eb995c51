/**
 * The opened-session cache: least recently used entries go first, so an active user is not pushed
 * out by a crowd of one-off cookies, and an unchanged session re-sealed from the same cookie is not
 * sealed (nor sent) again on every request.
 */
import { describe, expect, it } from 'vitest';
import { cookieConfigSchema } from '../../src/session/cookie-settings';
import { createSessionStore } from '../../src/session/store';
import { Jar } from './jar';

const SECRET = `${'c'.repeat(16)}opened-cache-secret-0123456789`;
const ORIGIN = 'https://gw.example.com';
const cookie = cookieConfigSchema.parse({});

interface Session {
  sub: string;
  lastSeenAt: number;
  claims: { groups: string[] };
}

async function cookieFor(store: ReturnType<typeof createSessionStore<Session>>, sub: string): Promise<string> {
  return new Jar().apply(await store.write({ sub, lastSeenAt: 1, claims: { groups: [] } }, null, ORIGIN)).header()!;
}

describe('opened-session cache', () => {
  it('evicts the least recently used session, not the oldest one', async () => {
    let t = 1_000_000;
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600, cacheSize: 2, now: () => t });
    const [a, b, c] = [await cookieFor(store, 'a'), await cookieFor(store, 'b'), await cookieFor(store, 'c')];
    await store.read(a, ORIGIN);
    await store.read(b, ORIGIN);
    await store.read(a, ORIGIN); // a is now the most recent
    await store.read(c, ORIGIN); // evicts b
    const before = store.cacheStats();
    expect((await store.read(a, ORIGIN))?.sub).toBe('a');
    expect(store.cacheStats().hits).toBe(before.hits + 1);
    expect((await store.read(b, ORIGIN))?.sub).toBe('b');
    expect(store.cacheStats().unsealed).toBe(before.unsealed + 1);
    expect(store.cacheStats().size).toBe(2);
    t += 1;
  });

  it('re-seals an unchanged session from the same cookie once per 30 s, not on every request', async () => {
    let t = 5_000_000;
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600, now: () => t });
    const header = await cookieFor(store, 'alice');
    const session = (await store.read(header, ORIGIN))!;
    const first = await store.write({ ...session, lastSeenAt: 100 }, header, ORIGIN);
    t += 10_000;
    expect(first).toHaveLength(1);
    const again = await store.write({ ...session, lastSeenAt: 110 }, header, ORIGIN);
    expect(again).toEqual([]);
    expect(store.cacheStats().memoised).toBe(1);
    // A changed session is always sealed anew.
    const changed = await store.write({ ...session, claims: { groups: ['admins'] }, lastSeenAt: 110 }, header, ORIGIN);
    expect(changed).not.toEqual(first);
    t += 25_000;
    const later = await store.write({ ...session, lastSeenAt: 135 }, header, ORIGIN);
    expect(later).not.toBe(first);
    expect((await store.read(new Jar().apply(later).header()!, ORIGIN))?.lastSeenAt).toBe(135);
  });
});

describe('opened-session cache keys', () => {
  it("never answers a forged value that shares the cached seal's tail", async () => {
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600 });
    const header = await cookieFor(store, 'alice');
    expect((await store.read(header, ORIGIN))?.sub).toBe('alice');
    const [name, value] = header.split('=') as [string, string];
    // Same last 64 characters (the MAC end), different beginning.
    const forged = `${name}=${'X'.repeat(value.length - 64)}${value.slice(-64)}`;
    expect(await store.read(forged, ORIGIN)).toBeUndefined();
    expect((await store.read(header, ORIGIN))?.sub).toBe('alice');
  });
});
