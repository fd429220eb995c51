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

describe('opened-session cache: the write after a read', () => {
  it("looks up the cookie it is given, not the one read last: another session's write is sealed, its own stays memoised", async () => {
    let t = 7_000_000;
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600, now: () => t });
    const [a, b] = [await cookieFor(store, 'alice'), await cookieFor(store, 'bob')];
    const alice = (await store.read(a, ORIGIN))!;
    expect(await store.write({ ...alice, lastSeenAt: 100 }, a, ORIGIN)).toHaveLength(1);
    const bob = (await store.read(b, ORIGIN))!;
    t += 1_000;
    // The last read was bob's: alice's cookie is still found (memoised), bob's is sealed.
    expect(await store.write({ ...alice, lastSeenAt: 101 }, a, ORIGIN)).toEqual([]);
    await store.read(a, ORIGIN);
    const bobs = await store.write({ ...bob, lastSeenAt: 101 }, b, ORIGIN);
    expect(bobs).toHaveLength(1);
    expect((await store.read(new Jar().apply(bobs).header()!, ORIGIN))?.sub).toBe('bob');
    expect(store.cacheStats()).toMatchObject({ sealed: 4, memoised: 1 });
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

describe('opened-session cache: what a hit requires', () => {
  it('answers only the very value that was opened: one character changed anywhere is a miss, then refused', async () => {
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600 });
    const header = await cookieFor(store, 'alice');
    const first = await store.read(header, ORIGIN);
    const [name, value] = header.split('=') as [string, string];
    const flip = (at: number) => `${name}=${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`;
    // `Fe26.2*id*salt*iv*data*expiry*hmacSalt*hmac~2`: in the salt, the iv, the data's start, middle
    // and end, just before the MAC (which keeps the cache key, the last 64 characters, the same).
    const fields = value.split('*');
    const dataAt = fields.slice(0, 4).join('*').length + 1;
    const places = [30, fields.slice(0, 3).join('*').length + 3, dataAt, dataAt + (fields[4]!.length >> 1), dataAt + fields[4]!.length - 1, value.length - 50];
    for (const at of places) expect(await store.read(flip(at), ORIGIN), `changed at ${at}`).toBeUndefined();
    // Longer or shorter by a character: a miss too.
    expect(await store.read(`${name}=${value.slice(0, dataAt)}A${value.slice(dataAt)}`, ORIGIN)).toBeUndefined();
    expect(await store.read(`${name}=${value.slice(0, dataAt)}${value.slice(dataAt + 1)}`, ORIGIN)).toBeUndefined();
    expect(store.cacheStats()).toMatchObject({ size: 1, hits: 0, unsealed: 1 + places.length + 2 });
    expect(await store.read(header, ORIGIN)).toBe(first);
    expect(store.cacheStats().hits).toBe(1);
  });

  it('a value with one character changed, at any place, or two characters of one lane changed, is never a hit', async () => {
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600 });
    const header = await cookieFor(store, 'alice');
    await store.read(header, ORIGIN);
    const [name, value] = header.split('=') as [string, string];
    const other = (ch: string) => (ch === 'A' ? 'B' : 'A');
    for (let at = 0; at < value.length; at++) await store.read(`${name}=${value.slice(0, at)}${other(value[at]!)}${value.slice(at + 1)}`, ORIGIN);
    // Bit 6 flipped in two bytes 16 apart (the same lane of the fingerprint): no cancelling out.
    const flip6 = (text: string, at: number) => `${text.slice(0, at)}${String.fromCharCode(text.charCodeAt(at) ^ 0x40)}${text.slice(at + 1)}`;
    for (let at = 0; at + 16 < value.length - 64; at += 7) await store.read(`${name}=${flip6(flip6(value, at), at + 16)}`, ORIGIN);
    expect(store.cacheStats().hits).toBe(0);
  });

  it('answers an equal copy of the opened value (a new Cookie header string on every request)', async () => {
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600 });
    const header = await cookieFor(store, 'alice');
    const first = await store.read(header, ORIGIN);
    const copy = Array.from(`theme=dark; ${header}; other=1`).join('');
    expect(await store.read(copy, ORIGIN)).toBe(first);
    expect(store.cacheStats()).toMatchObject({ hits: 1, unsealed: 1 });
  });
});

interface Tokened {
  sub: string;
  lastSeenAt: number;
  token?: string;
  withheld?: true;
}

/** A view that leaves `token` out, as the gateway's leaves the refresh token out (src/oidc/session-data.ts). */
const withoutToken = {
  of: (s: Tokened): Tokened => {
    if (!s.token) return s;
    const { token: _, ...rest } = s;
    return { ...rest, withheld: true };
  },
  isPartial: (s: Tokened) => s.withheld === true,
  complete: (s: Tokened, whole: Tokened): Tokened => {
    const { withheld: _, ...rest } = s;
    return { ...rest, token: whole.token };
  },
};

describe('opened-session cache with a view', () => {
  it('read answers the view, readWhole the whole session; a written-back view is completed from its cookie', async () => {
    let t = 7_000_000;
    const store = createSessionStore<Tokened>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600, now: () => t, cacheView: withoutToken });
    const header = new Jar().apply(await store.write({ sub: 'alice', lastSeenAt: 1, token: 'refresh-me' }, null, ORIGIN)).header()!;
    const seen = await store.read(header, ORIGIN);
    expect(seen).toEqual({ sub: 'alice', lastSeenAt: 1, withheld: true });
    expect(await store.read(header, ORIGIN)).toBe(seen);
    expect(await store.readWhole(header, ORIGIN)).toEqual({ sub: 'alice', lastSeenAt: 1, token: 'refresh-me' });
    // The last-seen write-back of the view: sealed with the token, from the cookie it came from.
    const written = await store.write({ ...seen!, lastSeenAt: 60 }, header, ORIGIN);
    expect(written).toHaveLength(1);
    const next = new Jar().apply(written).header()!;
    expect(await store.readWhole(next, ORIGIN)).toEqual({ sub: 'alice', lastSeenAt: 60, token: 'refresh-me' });
    expect(store.cacheStats()).toMatchObject({ unsealed: 1, reopened: 3, sealed: 2, memoised: 0 });
    // The rewrite memo still answers the same view again for 30 s, without unsealing.
    t += 10_000;
    expect(await store.write({ ...seen!, lastSeenAt: 70 }, header, ORIGIN)).toEqual([]);
    expect(store.cacheStats()).toMatchObject({ reopened: 3, sealed: 2, memoised: 1 });
    // A whole session (a refresh's) is sealed as given.
    const refreshed = new Jar().apply(await store.write({ sub: 'alice', lastSeenAt: 80, token: 'rotated' }, header, ORIGIN)).header()!;
    expect(await store.readWhole(refreshed, ORIGIN)).toEqual({ sub: 'alice', lastSeenAt: 80, token: 'rotated' });
  });

  it('refuses to write a view without the cookie it was read from', async () => {
    const store = createSessionStore<Tokened>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600, cacheView: withoutToken });
    await expect(store.write({ sub: 'alice', lastSeenAt: 2, withheld: true }, null, ORIGIN)).rejects.toThrow(/cookie it was read from/);
  });

  it('readWhole is undefined for a missing, tampered or expired cookie, like read', async () => {
    let t = 9_000_000;
    const rejected: string[] = [];
    const store = createSessionStore<Tokened>({
      cookie,
      secrets: [SECRET],
      maxAgeSeconds: 30,
      now: () => t,
      cacheView: withoutToken,
      onRejected: (r) => rejected.push(r),
    });
    const header = new Jar().apply(await store.write({ sub: 'alice', lastSeenAt: 1, token: 'x' }, null, ORIGIN)).header()!;
    expect(await store.readWhole(null, ORIGIN)).toBeUndefined();
    expect(await store.readWhole(`${header.slice(0, -5)}AAAA~2`, ORIGIN)).toBeUndefined();
    t += 31_000;
    expect(await store.readWhole(header, ORIGIN)).toBeUndefined();
    expect(rejected).toEqual(['invalid', 'expired']);
  });
});
