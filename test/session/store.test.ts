/**
 * The session store: round trip with HttpOnly/Secure/Path/SameSite/Max-Age and __Host- on https (not
 * on plain-HTTP loopback), domain/strict/prefix honoured; chunking across numbered cookies (stale
 * chunks cleared, SessionTooLargeError beyond maxChunks); tampered, truncated, reordered or missing
 * chunks, oversized cookies, a login-state seal and expiry (injected clock) are no session, never a
 * throw; secret rotation; listing and clearing every gateway cookie in any scope variant; the
 * opened-value cache never outliving the seal.
 */
import { describe, expect, it } from 'vitest';
import { cookieConfigSchema } from '../../src/session/cookie-settings';
import type { CookieSettings } from '../../src/session/cookie-settings';
import { createSessionStore, SessionTooLargeError } from '../../src/session/store';
import type { SessionRejection, SessionStoreOptions } from '../../src/session/store';
import { attributesOf, Jar } from './jar';

const SECRET_A = `${'a'.repeat(16)}secret-number-one-0123456789`;
const SECRET_B = `${'b'.repeat(16)}secret-number-two-0123456789`;
const HTTPS = 'https://gw.example.com';
const LOCAL = 'http://127.0.0.1:8787';
const cookie: CookieSettings = cookieConfigSchema.parse({});

interface Session {
  sub: string;
  expiresAt: number;
  blob?: string;
}

function store(overrides: Partial<SessionStoreOptions<Session>> = {}) {
  return createSessionStore<Session>({ cookie, secrets: [SECRET_A], maxAgeSeconds: 3600, ...overrides });
}

/** Incompressible filler so the sealed size follows the payload size. */
function filler(bytes: number): string {
  let out = '';
  while (out.length < bytes) out += Math.random().toString(36).slice(2);
  return out.slice(0, bytes);
}

const session: Session = { sub: 'user-1', expiresAt: 1_900_000_000_000 };

describe('session store: round trip and attributes', () => {
  it('reads back what it wrote, in one cookie when small', async () => {
    const s = store();
    const setCookies = await s.write(session, null, HTTPS);
    expect(setCookies).toHaveLength(1);
    expect(attributesOf(setCookies[0]!).name).toBe('__Host-_cgw_session');
    const jar = new Jar().apply(setCookies);
    expect(await s.read(jar.header(), HTTPS)).toEqual(session);
  });

  it('drops undefined fields instead of failing to seal', async () => {
    const s = store();
    const jar = new Jar().apply(await s.write({ ...session, blob: undefined }, null, HTTPS));
    expect(await s.read(jar.header(), HTTPS)).toEqual(session);
  });

  it('sets HttpOnly, Secure, Path=/, SameSite, Max-Age and no Domain with __Host- on https', async () => {
    const { name, attrs } = attributesOf((await store().write(session, null, HTTPS))[0]!);
    expect(name.startsWith('__Host-')).toBe(true);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.has('secure')).toBe(true);
    expect(attrs.get('path')).toBe('/');
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.get('max-age')).toBe('3600');
    expect(attrs.has('domain')).toBe(false);
  });

  it('drops Secure and the prefix on plain-HTTP loopback (secure: auto)', async () => {
    const s = store();
    const setCookies = await s.write(session, null, LOCAL);
    const { name, attrs } = attributesOf(setCookies[0]!);
    expect(name).toBe('_cgw_session');
    expect(attrs.has('secure')).toBe(false);
    expect(attrs.has('httponly')).toBe(true);
    expect(await s.read(new Jar().apply(setCookies).header(), LOCAL)).toEqual(session);
  });

  it('honours domain, sameSite strict and a custom prefix', async () => {
    const s = store({ cookie: { ...cookie, namePrefix: 'app', domain: 'example.com', sameSite: 'strict' } });
    const { name, attrs } = attributesOf((await s.write(session, null, HTTPS))[0]!);
    expect(name).toBe('app_session');
    expect(attrs.get('domain')).toBe('example.com');
    expect(attrs.get('samesite')).toBe('Strict');
    expect(attrs.has('secure')).toBe(true);
  });

  it('does not read the unprefixed name when the __Host- name is in effect', async () => {
    const s = store();
    const local = await s.write(session, null, LOCAL);
    expect(await s.read(new Jar().apply(local).header(), HTTPS)).toBeUndefined();
  });

  it('rejects bad settings and secrets with messages naming the fix', () => {
    expect(() => store({ secrets: ['short'] })).toThrow(/at least 32/);
    expect(() => store({ secrets: [] })).toThrow(/at least one secret/);
    expect(() => store({ secrets: [SECRET_A, SECRET_A] })).toThrow(/twice/);
    expect(() => store({ cookie: { ...cookie, sameSite: 'none' } })).toThrow(/cookies\.secure: true/);
  });
});

describe('session store: chunking', () => {
  it('splits a 9 KB session across numbered cookies and reassembles it', async () => {
    const s = store();
    const big = { ...session, blob: filler(9000) };
    const setCookies = await s.write(big, null, HTTPS);
    const names = setCookies.map((c) => attributesOf(c).name);
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names).toEqual(names.map((_, i) => `__Host-_cgw_session_${i}`));
    for (const c of setCookies) expect(attributesOf(c).value.length).toBeLessThanOrEqual(3800);
    expect(await s.read(new Jar().apply(setCookies).header(), HTTPS)).toEqual(big);
  });

  it('clears stale chunks when the session shrinks, and the whole cookie when it grows', async () => {
    const s = store();
    const jar = new Jar().apply(await s.write({ ...session, blob: filler(9000) }, null, HTTPS));
    expect(jar.cookies.has('__Host-_cgw_session_2')).toBe(true);

    const smaller = await s.write({ ...session, blob: filler(4000) }, jar.header(), HTTPS);
    jar.apply(smaller);
    expect([...jar.cookies.keys()].sort()).toEqual(['__Host-_cgw_session_0', '__Host-_cgw_session_1']);
    expect(smaller.some((c) => c.startsWith('__Host-_cgw_session_2=; Max-Age=0'))).toBe(true);

    jar.apply(await s.write(session, jar.header(), HTTPS));
    expect([...jar.cookies.keys()]).toEqual(['__Host-_cgw_session']);
    expect(await s.read(jar.header(), HTTPS)).toEqual(session);

    jar.apply(await s.write({ ...session, blob: filler(5000) }, jar.header(), HTTPS));
    expect(jar.cookies.has('__Host-_cgw_session')).toBe(false);
    expect((await s.read(jar.header(), HTTPS))?.blob).toHaveLength(5000);
  });

  it('throws SessionTooLargeError beyond maxChunks', async () => {
    const s = store({ maxChunks: 2 });
    await expect(s.write({ ...session, blob: filler(9000) }, null, HTTPS)).rejects.toBeInstanceOf(SessionTooLargeError);
  });
});

describe('session store: rejection (never throws)', () => {
  async function chunkedJar() {
    const s = store();
    const jar = new Jar().apply(await s.write({ ...session, blob: filler(9000) }, null, HTTPS));
    return { s, jar };
  }

  it('treats a tampered value as no session', async () => {
    const s = store();
    const jar = new Jar().apply(await s.write(session, null, HTTPS));
    const value = jar.cookies.get('__Host-_cgw_session')!;
    const i = Math.floor(value.length / 2);
    const flipped = value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
    jar.cookies.set('__Host-_cgw_session', flipped);
    expect(await s.read(jar.header(), HTTPS)).toBeUndefined();
  });

  it('treats a truncated value as no session', async () => {
    const s = store();
    const jar = new Jar().apply(await s.write(session, null, HTTPS));
    jar.cookies.set('__Host-_cgw_session', jar.cookies.get('__Host-_cgw_session')!.slice(0, -10));
    expect(await s.read(jar.header(), HTTPS)).toBeUndefined();
  });

  it('treats reordered, missing and truncated chunks as no session, and reports why', async () => {
    const { s, jar } = await chunkedJar();
    const c0 = jar.cookies.get('__Host-_cgw_session_0')!;
    const c1 = jar.cookies.get('__Host-_cgw_session_1')!;

    const swapped = new Jar();
    swapped.cookies.set('__Host-_cgw_session_0', c1);
    swapped.cookies.set('__Host-_cgw_session_1', c0);
    for (const [n, v] of jar.cookies) if (!swapped.cookies.has(n)) swapped.cookies.set(n, v);
    expect(await s.read(swapped.header(), HTTPS)).toBeUndefined();

    const reasons: SessionRejection[] = [];
    const observed = store({ onRejected: (r) => reasons.push(r) });
    const missing = new Jar();
    for (const [n, v] of jar.cookies) if (n !== '__Host-_cgw_session_1') missing.cookies.set(n, v);
    expect(await observed.read(missing.header(), HTTPS)).toBeUndefined();
    expect(reasons).toEqual(['missing-chunk']);

    const lastDropped = new Jar();
    const last = `__Host-_cgw_session_${jar.cookies.size - 1}`;
    for (const [n, v] of jar.cookies) if (n !== last) lastDropped.cookies.set(n, v);
    expect(await observed.read(lastDropped.header(), HTTPS)).toBeUndefined();
    expect(reasons[1]).toBe('invalid');
  });

  it('header order does not matter for valid chunks', async () => {
    const { s, jar } = await chunkedJar();
    const reversed = [...jar.cookies]
      .reverse()
      .map(([n, v]) => `${n}=${v}`)
      .join('; ');
    expect((await s.read(reversed, HTTPS))?.sub).toBe('user-1');
  });

  it.each([
    ['garbage', '__Host-_cgw_session=not-a-seal'],
    ['iron-shaped garbage', '__Host-_cgw_session=Fe26.2*1*a*b*c*d*e*f~2'],
    ['prototype id', '__Host-_cgw_session=Fe26.2*constructor*a*b*c**e*f~2'],
    ['empty', '__Host-_cgw_session='],
    ['malformed header', ';;==;__Host-_cgw_session'],
    ['chunk gap', '__Host-_cgw_session_0=abc; __Host-_cgw_session_2=def'],
    ['stray chunk', '__Host-_cgw_session_1=abc'],
  ])('treats %s as no session', async (_, header) => {
    expect(await store().read(header, HTTPS)).toBeUndefined();
  });

  it('refuses oversized cookies without unsealing', async () => {
    const reasons: SessionRejection[] = [];
    const s = store({ onRejected: (r) => reasons.push(r) });
    const huge = Array.from({ length: 6 }, (_, i) => `__Host-_cgw_session_${i}=${'x'.repeat(3800)}`).join('; ');
    expect(await s.read(huge, HTTPS)).toBeUndefined();
    expect(await s.read(`__Host-_cgw_session=${'x'.repeat(20000)}`, HTTPS)).toBeUndefined();
    expect(reasons).toEqual(['oversized', 'oversized']);
  });

  it('does not accept a login-state seal as a session', async () => {
    const { createLoginStateStore } = await import('../../src/session/login-state');
    const login = createLoginStateStore<Session>({ cookie, secrets: [SECRET_A] });
    const setCookies = await login.create('S'.repeat(43), session, null, HTTPS);
    const sealed = attributesOf(setCookies[0]!).value;
    const reasons: SessionRejection[] = [];
    const s = store({ onRejected: (r) => reasons.push(r) });
    expect(await s.read(`__Host-_cgw_session=${sealed}`, HTTPS)).toBeUndefined();
    expect(reasons).toEqual(['wrong-purpose']);
  });

  it('expires with the injected clock', async () => {
    let now = 1_000_000;
    const s = store({ now: () => now, maxAgeSeconds: 60 });
    const jar = new Jar().apply(await s.write(session, null, HTTPS));
    now += 59_000;
    expect(await s.read(jar.header(), HTTPS)).toEqual(session);
    now += 1_000;
    expect(await s.read(jar.header(), HTTPS)).toBeUndefined();
  });
});

describe('session store: secret rotation', () => {
  it('reads seals of an older secret after a new one is prepended, and not after it is dropped', async () => {
    const v1 = store({ secrets: [SECRET_A] });
    const jar = new Jar().apply(await v1.write(session, null, HTTPS));

    const v2 = store({ secrets: [SECRET_B, SECRET_A] });
    expect(await v2.read(jar.header(), HTTPS)).toEqual(session);
    const rewritten = new Jar().apply(await v2.write(session, null, HTTPS));

    const reasons: SessionRejection[] = [];
    const v3 = store({ secrets: [SECRET_B], onRejected: (r) => reasons.push(r) });
    expect(await v3.read(rewritten.header(), HTTPS)).toEqual(session);
    expect(await v3.read(jar.header(), HTTPS)).toBeUndefined();
    expect(reasons).toEqual(['unknown-secret']);
  });
});

describe('session store: gateway cookie names and clearing', () => {
  const header =
    'theme=dark; __Host-_cgw_session_0=a; __Host-_cgw_session_1=b; _cgw_login_abc_12345678=c; other_session=d; _CGW_SESSION=e; __Secure-_cgw_session=f';

  it('lists every gateway cookie present, in any scope variant', () => {
    expect(store().cookieNames(header)).toEqual([
      '__Host-_cgw_session_0',
      '__Host-_cgw_session_1',
      '_cgw_login_abc_12345678',
      '_CGW_SESSION',
      '__Secure-_cgw_session',
    ]);
    expect(store().cookieNames(null)).toEqual([]);
  });

  it.each([
    ['_cgw_session', true],
    ['__Host-_cgw_session_3', true],
    ['_cgw_login_kx1_abcdefgh', true],
    ['_cgw_sessionx', false],
    ['_cgw', false],
    ['theme', false],
    ['x_cgw_session', false],
  ] as Array<[string, boolean]>)('isGatewayCookie(%s) = %s', (name, expected) => {
    expect(store().isGatewayCookie(name)).toBe(expected);
  });

  it('clear deletes each with attributes the browser accepts for its name', () => {
    const lines = store({ cookie: { ...cookie, hostPrefix: false, domain: 'example.com' } }).clear(header, HTTPS);
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      const { name, value, attrs } = attributesOf(line);
      expect(value).toBe('');
      expect(attrs.get('max-age')).toBe('0');
      expect(attrs.get('path')).toBe('/');
      expect(attrs.has('httponly')).toBe(true);
      if (name.startsWith('__Host-')) {
        expect(attrs.has('secure')).toBe(true);
        expect(attrs.has('domain')).toBe(false);
      } else {
        expect(attrs.get('domain')).toBe('example.com');
      }
    }
  });

  it('clearSession deletes session cookies only, keeping sign-ins in progress', () => {
    const names = store()
      .clearSession(header, HTTPS)
      .map((line) => attributesOf(line).name);
    expect(names).toEqual(['__Host-_cgw_session_0', '__Host-_cgw_session_1', '_CGW_SESSION', '__Secure-_cgw_session']);
  });

  it('clear on loopback still marks __Host- deletions Secure', () => {
    const lines = store().clear('__Host-_cgw_session=a; _cgw_session=b', LOCAL);
    expect(attributesOf(lines[0]!).attrs.has('secure')).toBe(true);
    expect(attributesOf(lines[1]!).attrs.has('secure')).toBe(false);
  });
});

describe('session store: opened-value cache', () => {
  it("answers repeated reads of one sealed value without unsealing again, and never past the seal's expiry", async () => {
    let t = Date.now();
    const rejected: SessionRejection[] = [];
    const s = store({ maxAgeSeconds: 30, now: () => t, onRejected: (r) => rejected.push(r) });
    const jar = new Jar().apply(await s.write(session, null, HTTPS));
    const first = await s.read(jar.header(), HTTPS);
    const again = await s.read(jar.header(), HTTPS);
    expect(again).toBe(first); // the same object: served from the cache
    t += 31_000; // past the 30 s seal
    expect(await s.read(jar.header(), HTTPS)).toBeUndefined();
    expect(rejected).toEqual(['expired']);
  });
});

describe('gateway cookie names, remembered per Cookie header', () => {
  it('follows the header: another header, then the first again, each gets its own names', () => {
    const s = store();
    const one = 'cg_session=abc; theme=dark';
    const two = 'cg_session_0=a; cg_session_1=b; cg_login_abc_def=x; other=1';
    const prefix = cookie.namePrefix;
    const fix = (h: string) => h.replaceAll('cg_', `${prefix}_`);
    expect(s.cookieNames(fix(one))).toEqual([`${prefix}_session`]);
    expect(s.cookieNames(fix(two))).toEqual([`${prefix}_session_0`, `${prefix}_session_1`, `${prefix}_login_abc_def`]);
    expect(s.cookieNames(fix(one))).toEqual([`${prefix}_session`]);
    expect(s.cookieNames(null)).toEqual([]);
    expect(s.cookieNames(`${fix(one)}; ${prefix}_session=dup`)).toEqual([`${prefix}_session`]);
  });
});
