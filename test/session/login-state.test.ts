/**
 * Login-state cookies (one per sign-in attempt, on a stubbed clock): named by creation time and state
 * prefix, short-lived, HttpOnly, Lax even when sessions are Strict; concurrent attempts each
 * consumable once, returning exactly the attempt stored; the full state checked, tampering deleted, a
 * seal bound to its own name; TTL expiry and clean-up; at most 5 pending (and a byte budget) with the
 * newest consumable; oversized attempts and nonsense states refused without throwing.
 */
import { describe, expect, it } from 'vitest';
import { cookieConfigSchema } from '../../src/session/cookie-settings';
import { randomToken } from '../../src/session/crypto';
import { createLoginStateStore, LoginStateTooLargeError } from '../../src/session/login-state';
import type { LoginStateOptions } from '../../src/session/login-state';
import { attributesOf, Jar } from './jar';

const SECRET = 'login-state-test-secret-0123456789abcdef';
const HTTPS = 'https://gw.example.com';
const cookie = cookieConfigSchema.parse({});

interface Attempt {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  app: string;
  createdAt: number;
}

function attempt(returnTo = '/dashboard?tab=2'): Attempt {
  return { codeVerifier: randomToken(), nonce: randomToken(), returnTo, app: 'demo', createdAt: 0 };
}

function setup(overrides: Partial<LoginStateOptions> = {}) {
  const clock = { now: 1_800_000_000_000 };
  const store = createLoginStateStore<Attempt>({ cookie, secrets: [SECRET], now: () => clock.now, ...overrides });
  return { clock, store, jar: new Jar() };
}

describe('login state', () => {
  it('names the cookie by creation time and state prefix, short-lived, HttpOnly, Lax', async () => {
    const { store } = setup();
    const state = randomToken();
    const [line] = await store.create(state, attempt(), null, HTTPS);
    const { name, attrs } = attributesOf(line!);
    expect(name).toBe(`__Host-_cgw_login_${(1_800_000_000_000).toString(36)}_${state.slice(0, 8)}`);
    expect(attrs.get('max-age')).toBe('600');
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.has('secure')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
  });

  it('stays Lax when sessions are Strict, so the cross-site callback carries it', async () => {
    const { store } = setup({ cookie: { ...cookie, sameSite: 'strict' } });
    const [line] = await store.create(randomToken(), attempt(), null, HTTPS);
    expect(attributesOf(line!).attrs.get('samesite')).toBe('Lax');
  });

  it('two concurrent attempts are both consumable, each once, and consume deletes', async () => {
    const { store, jar, clock } = setup();
    const [s1, s2] = [randomToken(), randomToken()];
    const a1 = attempt('/one');
    const a2 = attempt('/two');
    jar.apply(await store.create(s1, a1, jar.header(), HTTPS));
    clock.now += 1000;
    jar.apply(await store.create(s2, a2, jar.header(), HTTPS));
    expect(jar.cookies.size).toBe(2);

    const second = await store.consume(s2, jar.header(), HTTPS);
    expect(second.data).toEqual(a2);
    jar.apply(second.setCookies);
    const first = await store.consume(s1, jar.header(), HTTPS);
    expect(first.data).toEqual(a1);
    jar.apply(first.setCookies);
    expect(jar.cookies.size).toBe(0);

    expect((await store.consume(s1, jar.header(), HTTPS)).data).toBeUndefined();
  });

  it('checks the full state, not only the 8-character prefix in the name', async () => {
    const { store, jar } = setup();
    const state = randomToken();
    const real = attempt();
    jar.apply(await store.create(state, real, null, HTTPS));
    const forged = state.slice(0, 8) + randomToken().slice(0, 35);
    const result = await store.consume(forged, jar.header(), HTTPS);
    expect(result.data).toBeUndefined();
    // The real attempt's cookie is left for its own callback.
    expect(result.setCookies).toEqual([]);
    expect((await store.consume(state, jar.header(), HTTPS)).data).toEqual(real);
  });

  it('deletes a tampered cookie for this state and returns nothing', async () => {
    const { store, jar } = setup();
    const state = randomToken();
    jar.apply(await store.create(state, attempt(), null, HTTPS));
    const [name, value] = [...jar.cookies][0]!;
    jar.cookies.set(name, `${value.slice(0, -4)}AAAA`);
    const result = await store.consume(state, jar.header(), HTTPS);
    expect(result.data).toBeUndefined();
    jar.apply(result.setCookies);
    expect(jar.cookies.size).toBe(0);
  });

  it('does not move a seal to another name (cookie bound to its own state)', async () => {
    const { store, jar } = setup();
    const [victim, attacker] = [randomToken(), randomToken()];
    jar.apply(await store.create(victim, attempt(), null, HTTPS));
    const value = [...jar.cookies.values()][0]!;
    const header = `__Host-_cgw_login_${(1_800_000_000_000).toString(36)}_${attacker.slice(0, 8)}=${value}`;
    expect((await store.consume(attacker, header, HTTPS)).data).toBeUndefined();
  });

  it('expires after the TTL (stubbed clock), and consume clears expired attempts', async () => {
    const { store, jar, clock } = setup({ ttlSeconds: 600 });
    const [old, fresh] = [randomToken(), randomToken()];
    const first = attempt();
    jar.apply(await store.create(old, first, null, HTTPS));
    clock.now += 599_000;
    expect((await store.consume(old, jar.header(), HTTPS)).data).toEqual(first);

    jar.apply(await store.create(old, attempt(), null, HTTPS));
    clock.now += 300_000;
    jar.apply(await store.create(fresh, attempt(), jar.header(), HTTPS));
    clock.now += 300_000; // `old` is now exactly 600 s old
    const result = await store.consume(old, jar.header(), HTTPS);
    expect(result.data).toBeUndefined();
    jar.apply(result.setCookies);
    expect(jar.cookies.size).toBe(1);

    clock.now += 301_000;
    const unrelated = await store.consume(randomToken(), jar.header(), HTTPS);
    expect(unrelated.data).toBeUndefined();
    jar.apply(unrelated.setCookies);
    expect(jar.cookies.size).toBe(0);
  });

  it('30 attempts keep only the newest 5 and a small Cookie header; the newest stays consumable', async () => {
    const { store, jar, clock } = setup();
    const states: string[] = [];
    const attempts = new Map<string, Attempt>();
    for (let i = 0; i < 30; i++) {
      const state = randomToken();
      states.push(state);
      attempts.set(state, attempt('/reports/2026/q3?filter=open&sort=desc'));
      jar.apply(await store.create(state, attempts.get(state)!, jar.header(), HTTPS));
      clock.now += 1500;
      expect(jar.cookies.size).toBeLessThanOrEqual(5);
    }
    expect(jar.cookies.size).toBe(5);
    expect(new TextEncoder().encode(`Cookie: ${jar.header()}`).length).toBeLessThan(4096);
    expect((await store.consume(states[0]!, jar.header(), HTTPS)).data).toBeUndefined();
    for (const state of states.slice(-5)) expect((await store.consume(state, jar.header(), HTTPS)).data).toEqual(attempts.get(state));
  });

  it('evicts by bytes too: long return URLs never add up past the budget', async () => {
    const { store, jar, clock } = setup();
    const states: string[] = [];
    for (let i = 0; i < 12; i++) {
      const state = randomToken();
      states.push(state);
      jar.apply(await store.create(state, attempt(`/search?q=${'x'.repeat(1400)}`), jar.header(), HTTPS));
      clock.now += 10;
      expect(new TextEncoder().encode(jar.header() ?? '').length).toBeLessThanOrEqual(4096);
    }
    // Each sealed attempt is ~2.5 KB here, so only the newest fits the 4 KB budget.
    expect(jar.cookies.size).toBe(1);
    expect((await store.consume(states.at(-1)!, jar.header(), HTTPS)).data?.returnTo).toHaveLength(1410);
  });

  it('honours maxPending', async () => {
    const { store, jar, clock } = setup({ maxPending: 2 });
    for (let i = 0; i < 4; i++) {
      jar.apply(await store.create(randomToken(), attempt(), jar.header(), HTTPS));
      clock.now += 10;
    }
    expect(jar.cookies.size).toBe(2);
  });

  it('refuses an oversized attempt and a malformed state', async () => {
    const { store } = setup();
    await expect(store.create(randomToken(), attempt(`/${'x'.repeat(2500)}`), null, HTTPS)).rejects.toBeInstanceOf(LoginStateTooLargeError);
    await expect(store.create('short', attempt(), null, HTTPS)).rejects.toThrow(/state/);
    await expect(store.create('x;y=z'.repeat(5), attempt(), null, HTTPS)).rejects.toThrow(/state/);
  });

  it.each(['', 'a;b', '../../', 'x'.repeat(600)])('consume with nonsense state %j returns nothing and does not throw', async (state) => {
    const { store, jar } = setup();
    jar.apply(await store.create(randomToken(), attempt(), null, HTTPS));
    const result = await store.consume(state, `${jar.header()}; junk; =; __Host-_cgw_login_zz_${state.slice(0, 8)}=x`, HTTPS);
    expect(result.data).toBeUndefined();
  });
});
