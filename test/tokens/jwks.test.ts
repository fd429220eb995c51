/**
 * The JWKS cache over a counting loopback JWKS server, on a stubbed clock: one lazy fetch for many
 * verifications, concurrent first fetches coalesced, a flood of unknown kids bounded to one fetch per
 * cool-down; rotation (new key picked up, retired key dropped only after a refetch); known keys kept
 * usable while the endpoint is down (503 for unknown kids), recovery afterwards; a hanging endpoint
 * cut off by the configured time limit (timers spied); key sets without usable keys as failures;
 * sharing through a SharedCache.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemorySharedCache, createTokenVerifier, JwksUnavailableError, JwtInvalidError } from '../../src/tokens';
import type { VerifierOptions } from '../../src/tokens';
import { CLIENT, idClaims, ISSUER, makeRsaKey, manualClock, mint, startJwksServer } from './helpers';
import type { IssuerKey, JwksServer } from './helpers';

let k1: IssuerKey;
let k2: IssuerKey;
let k3: IssuerKey;
const servers: JwksServer[] = [];

beforeAll(async () => {
  [k1, k2, k3] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k2'), makeRsaKey('k3')]);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(keys: IssuerKey[], extra: Partial<VerifierOptions> = {}) {
  const server = await startJwksServer(keys.map((k) => k.publicJwk));
  servers.push(server);
  const clock = manualClock();
  const verifier = createTokenVerifier({
    mode: 'cognito',
    issuers: [ISSUER],
    jwksUri: server.url,
    clientIds: [CLIENT],
    now: clock.now,
    // Off, so every verification needs a key from the JWKS cache.
    cache: { enabled: false },
    ...extra,
  });
  const token = (key: IssuerKey, kid = key.kid) => mint(key, idClaims(clock.seconds()), { kid });
  return { server, clock, verifier, token };
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('JWKS cache', () => {
  it('fetches once, lazily, for many verifications', async () => {
    const { server, verifier, token } = await setup([k1]);
    expect(server.fetches).toBe(0);
    const jwt = await token(k1);
    for (let i = 0; i < 20; i++) await verifier.verifyIdToken(jwt);
    expect(server.fetches).toBe(1);
    expect(verifier.stats().jwksFetches).toBe(1);
  });

  it('coalesces concurrent first fetches into one', async () => {
    const { server, verifier, token } = await setup([k1]);
    server.delayMs = 50;
    const jwt = await token(k1);
    await Promise.all(Array.from({ length: 25 }, () => verifier.verifyIdToken(jwt)));
    expect(server.fetches).toBe(1);
  });

  it('bounds a flood of unknown kids to one fetch per cool-down window', async () => {
    const { server, clock, verifier, token } = await setup([k1]);
    await verifier.verifyIdToken(await token(k1));
    expect(server.fetches).toBe(1);
    // Forged kids: sequential and concurrent.
    for (let i = 0; i < 30; i++) {
      const e = await rejection(verifier.verifyIdToken(await token(k1, `forged-${i}`)));
      expect((e as JwtInvalidError).code).toBe('kid_not_found');
    }
    const burst = await Promise.all(Array.from({ length: 30 }, async (_, i) => rejection(verifier.verifyIdToken(await token(k1, `burst-${i}`)))));
    expect(burst.every((e) => e instanceof JwtInvalidError && e.code === 'kid_not_found')).toBe(true);
    expect(server.fetches).toBe(2);
    clock.advance(9_999);
    await rejection(verifier.verifyIdToken(await token(k1, 'later')));
    expect(server.fetches).toBe(2);
    clock.advance(1);
    await rejection(verifier.verifyIdToken(await token(k1, 'after-window')));
    expect(server.fetches).toBe(3);
  });

  it('picks up a new key (rotation: added) and drops a retired one only after a refetch', async () => {
    const { server, clock, verifier, token } = await setup([k1]);
    const old = await token(k1);
    await verifier.verifyIdToken(old);

    server.keys = [k1.publicJwk, k2.publicJwk];
    await expect(verifier.verifyIdToken(await token(k2))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(2);

    // k1 retired at the endpoint: still in our set until something makes us refetch.
    server.keys = [k2.publicJwk, k3.publicJwk];
    await expect(verifier.verifyIdToken(old)).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    clock.advance(10_000);
    await expect(verifier.verifyIdToken(await token(k3))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(3);
    const e = await rejection(verifier.verifyIdToken(old));
    expect((e as JwtInvalidError).code).toBe('kid_not_found');
    // Only tokens with the retired kid fail.
    await expect(verifier.verifyIdToken(await token(k2))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
  });

  it('keeps known keys usable while the endpoint is down', async () => {
    const { server, clock, verifier, token } = await setup([k1], { jwksMaxAgeMs: 60_000 });
    const jwt = await token(k1);
    await verifier.verifyIdToken(jwt);
    server.mode = 'error';

    // A new kid cannot be told from a forged one while the endpoint fails: 503, not 401.
    const e = await rejection(verifier.verifyIdToken(await token(k2)));
    expect(e).toBeInstanceOf(JwksUnavailableError);
    expect((e as JwksUnavailableError).httpStatus).toBe(503);
    expect(server.fetches).toBe(2);
    await expect(verifier.verifyIdToken(jwt)).resolves.toMatchObject({ sub: 'b4c8-user-1' });

    // Past the max age the set is refreshed; the failed refresh keeps it.
    clock.advance(61_000);
    await expect(verifier.verifyIdToken(await token(k1))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(3);
    await expect(verifier.verifyIdToken(await token(k1))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(3);

    // Endpoint back: the next refetch (after the cool-down) learns k2.
    server.mode = 'ok';
    server.keys = [k1.publicJwk, k2.publicJwk];
    clock.advance(10_000);
    await expect(verifier.verifyIdToken(await token(k2))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
  });

  it('gives JwksUnavailableError when no key set was ever fetched, and recovers', async () => {
    const { server, clock, verifier, token } = await setup([k1]);
    server.mode = 'error';
    const jwt = await token(k1);
    expect(await rejection(verifier.verifyIdToken(jwt))).toBeInstanceOf(JwksUnavailableError);
    // Within the cool-down the endpoint is not asked again.
    expect(await rejection(verifier.verifyIdToken(jwt))).toBeInstanceOf(JwksUnavailableError);
    expect(server.fetches).toBe(1);
    server.mode = 'ok';
    clock.advance(10_000);
    await expect(verifier.verifyIdToken(jwt)).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(2);
  });

  it('times out a hanging endpoint', async () => {
    // The endpoint never answers, so a rejection at all shows a time limit; the timers set (spied,
    // still real) show it is the configured one, of a length nothing else here uses.
    const { server, verifier, token } = await setup([k1], { jwksTimeoutMs: 173 });
    server.mode = 'hang';
    const jwt = await token(k1);
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      expect(await rejection(verifier.verifyIdToken(jwt))).toBeInstanceOf(JwksUnavailableError);
      expect(timers.mock.calls.filter(([, ms]) => ms === 173).length).toBe(1);
    } finally {
      timers.mockRestore();
    }
    expect(server.fetches).toBe(1);
  });

  it('treats a JWKS document without usable keys as a failed fetch', async () => {
    const { server, verifier, token } = await setup([k1]);
    server.keys = [];
    expect(await rejection(verifier.verifyIdToken(await token(k1)))).toBeInstanceOf(JwksUnavailableError);
  });

  it('shares the JWKS document through a SharedCache', async () => {
    const { server, clock, token } = await setup([k1]);
    const shared = createMemorySharedCache({ now: clock.now });
    const make = () =>
      createTokenVerifier({
        mode: 'cognito',
        issuers: [ISSUER],
        jwksUri: server.url,
        clientIds: [CLIENT],
        now: clock.now,
        sharedCache: shared,
        cache: { enabled: false },
      });
    const jwt = await token(k1);
    await make().verifyIdToken(jwt);
    const second = make();
    await second.verifyIdToken(jwt);
    expect(server.fetches).toBe(1);
    expect(second.stats().jwksFetches).toBe(0);

    // A key the shared copy lacks still reaches the origin, once.
    server.keys = [k1.publicJwk, k2.publicJwk];
    await expect(second.verifyIdToken(await token(k2))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(2);
    await expect(make().verifyIdToken(await token(k2))).resolves.toMatchObject({ sub: 'b4c8-user-1' });
    expect(server.fetches).toBe(2);
  });
});
