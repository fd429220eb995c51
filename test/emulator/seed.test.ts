/**
 * Emulator seeds: the demo seed holds the fixed demo values; Cognito defaults are filled and
 * attribute values turned into strings; every problem in a bad seed is listed with its path.
 * startEmulator takes a seed object and a hostedUiBase with a {port} placeholder, answers on ::1 when
 * the machine has it, and refuses an invalid seed before listening.
 */
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED_PATH, loadSeedFile, parseSeed, startEmulator } from '../../src/emulator/index';
import { regionOfPool } from '../../src/emulator/seed';

describe('seed', () => {
  it('the demo seed holds the fixed demo values', () => {
    const seed = loadSeedFile(DEFAULT_SEED_PATH);
    expect(seed.pools.map((p) => p.id)).toEqual(['us-east-1_DemoPool1']);
    const pool = seed.pools[0]!;
    const gateway = pool.clients.find((c) => c.id === 'demo-gateway')!;
    expect(gateway).toMatchObject({
      secret: 'demo-gateway-secret',
      callbackUrls: ['http://127.0.0.1:8787/_auth/callback', 'http://localhost:8787/_auth/callback'],
      logoutUrls: ['http://127.0.0.1:8787/', 'http://localhost:8787/'],
      idTokenValidity: 3600,
      accessTokenValidity: 3600,
      refreshTokenValidity: 30 * 86400,
      refreshTokenRotation: true,
      refreshTokenGracePeriod: 10,
    });
    expect(gateway.explicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(pool.clients.find((c) => c.id === 'demo-spa')?.secret).toBeUndefined();
    expect(pool.clients.find((c) => c.id === 'demo-machine')).toMatchObject({
      secret: 'demo-machine-secret',
      allowedOAuthFlows: ['client_credentials'],
      allowedScopes: ['demo-api/read', 'demo-api/write'],
    });
    expect(pool.groups.map((g) => g.name)).toEqual(['admins', 'staff']);
    const users = Object.fromEntries(pool.users.map((u) => [u.username, u]));
    expect(users.alice).toMatchObject({ password: 'Alice-Passw0rd!', groups: ['admins', 'staff'], attributes: { email: 'alice@example.com' } });
    expect(users.bob).toMatchObject({ password: 'Bob-Passw0rd!', groups: ['staff'], attributes: { email: 'bob@example.com' } });
    expect(users.carol).toMatchObject({ password: 'Carol-Passw0rd!', groups: [], attributes: { email: 'carol@partner.example' } });
    expect(users.carol?.attributes['custom:tenant']).toBeTypeOf('string');
    expect(users.dave).toMatchObject({ password: 'Dave-Passw0rd!', enabled: false });
    expect(pool.identityProviders[0]).toMatchObject({ name: 'PartnerIdP', users: [{ username: 'erin', password: 'Erin-Passw0rd!' }] });
    expect(pool.identityProviders[0]?.users[0]?.attributes.email).toBe('erin@partner.example');
  });

  it('fills Cognito defaults and turns attribute values into strings', () => {
    const seed = parseSeed({
      pools: [
        { id: 'eu-west-2_Abc123', clients: [{ id: 'c1' }], users: [{ username: 'u', password: 'p', attributes: { email_verified: true, 'custom:n': 7 } }] },
      ],
    });
    expect(seed.pools[0]!.clients[0]).toMatchObject({ accessTokenValidity: 3600, refreshTokenValidity: 2592000, refreshTokenRotation: false });
    expect(seed.pools[0]!.users[0]!.attributes).toEqual({ email_verified: 'true', 'custom:n': '7' });
    expect(regionOfPool('eu-west-2_Abc123')).toBe('eu-west-2');
  });

  it('lists every problem with its path', () => {
    const bad = {
      pools: [
        {
          id: 'not-a-pool-id',
          groups: [{ name: 'g' }],
          clients: [
            { id: 'a', allowedScopes: ['api/x'] },
            { id: 'a', allowedOAuthFlows: ['client_credentials'] },
          ],
          users: [{ username: 'u', password: 'p', groups: ['missing'] }],
        },
      ],
    };
    let message = '';
    try {
      parseSeed(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('pools.0.id');
    expect(message).toContain('scope api/x is not defined');
    expect(message).toContain('duplicate client id a');
    expect(message).toContain('client_credentials needs a client secret');
    expect(message).toContain('unknown group missing');
    expect(() => parseSeed({ pools: [{ id: 'us-east-1_X', clients: [{ id: 'c', idTokenValidity: 'soon' }] }] })).toThrow(/idTokenValidity/);
  });
});

describe('startEmulator', () => {
  it('takes a seed object and a hostedUiBase with a {port} placeholder; answers on ::1 too when the machine has it', async () => {
    const emu = await startEmulator({
      port: 0,
      seed: { pools: [{ id: 'eu-west-1_Other1', clients: [{ id: 'other', callbackUrls: ['https://app.example/cb'] }] }] },
      hostedUiBase: 'http://127.0.0.1:{port}/',
    });
    try {
      expect(emu.hostedUiBase).toBe(emu.url);
      expect(emu.issuer('eu-west-1_Other1')).toBe(`${emu.url}/eu-west-1_Other1`);
      const doc = (await (await fetch(`${emu.issuer('eu-west-1_Other1')}/.well-known/openid-configuration`)).json()) as Record<string, string>;
      expect(doc.token_endpoint).toBe(`${emu.url}/oauth2/token`);
      const hasV6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'));
      if (hasV6Loopback) {
        const port = new URL(emu.url).port;
        expect((await fetch(`http://[::1]:${port}/_emulator/health`)).status).toBe(200);
      }
      expect((await fetch(`${emu.url}/_emulator/health`)).status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  it('rejects an invalid seed before listening', async () => {
    await expect(startEmulator({ port: 0, seed: { pools: [] } })).rejects.toThrow(/invalid emulator seed/);
  });
});
