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

describe('opened-session cache: what a hit requires', () => {
  it("answers a value that carries a cached seal's MAC, iv and length with that seal's own session only", async () => {
    const store = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600 });
    const header = await cookieFor(store, 'alice');
    const first = await store.read(header, ORIGIN);
    const [name, value] = header.split('=') as [string, string];
    // The seal's data field (the 5th of `Fe26.2*id*salt*iv*data*…`) changed in its middle.
    const fields = value.split('*');
    const data = fields[4]!;
    const mid = data.length >> 1;
    fields[4] = `${data.slice(0, mid)}${data[mid] === 'A' ? 'B' : 'A'}${data.slice(mid + 1)}`;
    const altered = `${name}=${fields.join('*')}`;
    // Not authentic: a store that never opened the seal refuses it…
    const fresh = createSessionStore<Session>({ cookie, secrets: [SECRET], maxAgeSeconds: 3600 });
    expect(await fresh.read(altered, ORIGIN)).toBeUndefined();
    // …and the cache answers it only with the session of the seal whose MAC it carries (which its
    // holder had), the very object cached for the genuine value.
    expect(await store.read(altered, ORIGIN)).toBe(first);
    // Another length or another iv: a miss, then refused.
    const longer = `${name}=${fields.slice(0, 4).join('*')}*A${fields.slice(4).join('*')}`;
    expect(await store.read(longer, ORIGIN)).toBeUndefined();
    const otherIv = `${name}=${[...fields.slice(0, 3), `${fields[3]![0] === 'A' ? 'B' : 'A'}${fields[3]!.slice(1)}`, ...fields.slice(4)].join('*')}`;
    expect(await store.read(otherIv, ORIGIN)).toBeUndefined();
    expect(store.cacheStats()).toMatchObject({ size: 1, hits: 1, unsealed: 3 });
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
