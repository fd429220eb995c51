/**
 * Pool seed options that follow Cognito features: `preTokenGeneration` adds claims to ID and access
 * tokens and scopes to access tokens (as a version-2 pre-token-generation trigger does; the tokens
 * still pass aws-jwt-verify and userInfo), reserved claims are refused; `issuerForm: global` makes
 * tokens carry `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}` (JWKS and discovery stay on
 * the emulator), verified by aws-jwt-verify's generic JwtVerifier; the hosted UI shows one button per
 * federated provider the app client supports, and following it starts that provider's sign-in.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeed, signInWithPassword, startEmulator, type EmulatorSeed, type RunningEmulator } from '../../src/emulator/index';
import { basic, postForm } from './helpers';

const CALLBACK = 'http://127.0.0.1:8787/_auth/callback';
const CLAIMS_POOL = 'us-west-2_Claims1';
const GLOBAL_POOL = 'eu-central-1_Global1';

const client = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  secret: `${id}-secret`,
  callbackUrls: [CALLBACK],
  allowedScopes: ['openid', 'email', 'profile', 'api/read'],
  ...extra,
});

const seed: EmulatorSeed = {
  pools: [
    {
      id: CLAIMS_POOL,
      resourceServers: [{ identifier: 'api', scopes: [{ name: 'read' }, { name: 'write' }] }],
      clients: [client('claims-app', { supportedIdentityProviders: ['COGNITO', 'PartnerIdP', 'Other-IdP'] }), client('plain-app')],
      users: [{ username: 'cleo', password: 'Cleo-Passw0rd!', attributes: { email: 'cleo@example.com', email_verified: true, name: 'Cleo' } }],
      identityProviders: [
        { name: 'PartnerIdP', users: [{ username: 'erin', password: 'Erin-Passw0rd!', attributes: { email: 'erin@partner.example' } }] },
        { name: 'Other-IdP' },
        { name: 'UnusedIdP' },
      ],
      preTokenGeneration: {
        idToken: { addClaims: { 'custom:tier': 'gold', tenant_ids: ['t1', 't2'], beta: true } },
        accessToken: { addClaims: { tenant: 't1', 'https://example.com/roles': ['editor'] }, addScopes: ['api/write', 'reports.read'] },
      },
    },
    {
      id: GLOBAL_POOL,
      issuerForm: 'global',
      resourceServers: [{ identifier: 'api', scopes: [{ name: 'read' }] }],
      clients: [client('global-app', { allowedOAuthFlows: ['code', 'client_credentials'] })],
      users: [{ username: 'gus', password: 'Gus-Passw0rd!', attributes: { email: 'gus@example.com' } }],
    },
  ],
};

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed });
});
afterAll(() => emu.close());

const jwks = async (pool: string): Promise<Jwks> => (await (await fetch(`${emu.issuer(pool)}/.well-known/jwks.json`)).json()) as Jwks;

async function tokensFor(clientId: string, username: string, password: string, scope = 'openid email profile api/read') {
  const url = `${emu.hostedUiBase}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, scope, state: 's' })}`;
  const code = new URL(await signInWithPassword(url, username, password)).searchParams.get('code')!;
  const res = await postForm(
    `${emu.hostedUiBase}/oauth2/token`,
    { grant_type: 'authorization_code', code, redirect_uri: CALLBACK },
    { authorization: basic(clientId, `${clientId}-secret`) },
  );
  expect(res.status).toBe(200);
  return res.json as { id_token: string; access_token: string };
}

describe('preTokenGeneration', () => {
  it('adds claims to ID and access tokens and scopes to access tokens; aws-jwt-verify accepts them', async () => {
    const tokens = await tokensFor('claims-app', 'cleo', 'Cleo-Passw0rd!');
    const verifier = JwtVerifier.create({ issuer: emu.issuer(CLAIMS_POOL), audience: null, jwksUri: `${emu.issuer(CLAIMS_POOL)}/.well-known/jwks.json` });
    verifier.cacheJwks(await jwks(CLAIMS_POOL));
    const id = await verifier.verify(tokens.id_token, { audience: 'claims-app' });
    validateCognitoJwtFields(id, { tokenUse: 'id', clientId: 'claims-app' });
    expect(id).toMatchObject({ 'custom:tier': 'gold', tenant_ids: ['t1', 't2'], beta: true, name: 'Cleo', email_verified: true, 'cognito:username': 'cleo' });
    expect(id).not.toHaveProperty('tenant');

    const access = await verifier.verify(tokens.access_token, { audience: null });
    validateCognitoJwtFields(access, { tokenUse: 'access', clientId: 'claims-app' });
    expect(access.scope).toBe('openid email profile api/read api/write reports.read');
    expect(access).toMatchObject({ tenant: 't1', 'https://example.com/roles': ['editor'], username: 'cleo', client_id: 'claims-app' });
    expect(access).not.toHaveProperty('custom:tier');

    const info = await fetch(`${emu.hostedUiBase}/oauth2/userInfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ username: 'cleo', email: 'cleo@example.com' });
  });

  it('refuses a seed that would override a claim Cognito owns', () => {
    const bad = (claims: Record<string, unknown>) => () =>
      parseSeed({ pools: [{ id: 'us-east-1_Bad1', preTokenGeneration: { accessToken: { addClaims: claims } } }] });
    expect(bad({ sub: 'someone-else' })).toThrow(/addClaims may not set/);
    expect(bad({ iss: 'https://evil.example' })).toThrow(/addClaims may not set/);
    expect(bad({ tenant: 't1' })).not.toThrow();
  });
});

describe('issuerForm: global', () => {
  const globalIssuer = `https://issuer-cognito-idp.eu-central-1.amazonaws.com/${GLOBAL_POOL}`;

  it('user tokens carry the global issuer and pass aws-jwt-verify for it, with the JWKS where it was', async () => {
    const tokens = await tokensFor('global-app', 'gus', 'Gus-Passw0rd!', 'openid email api/read');
    const verifier = JwtVerifier.create({ issuer: globalIssuer, audience: null, jwksUri: `${emu.issuer(GLOBAL_POOL)}/.well-known/jwks.json` });
    verifier.cacheJwks(await jwks(GLOBAL_POOL));
    const id = await verifier.verify(tokens.id_token, { audience: 'global-app' });
    expect(id.iss).toBe(globalIssuer);
    const access = await verifier.verify(tokens.access_token, { audience: null });
    expect(access).toMatchObject({ iss: globalIssuer, token_use: 'access', username: 'gus' });
    // A verifier for the emulator's own issuer form refuses it.
    const regional = JwtVerifier.create({ issuer: emu.issuer(GLOBAL_POOL), audience: null, jwksUri: `${emu.issuer(GLOBAL_POOL)}/.well-known/jwks.json` });
    regional.cacheJwks(await jwks(GLOBAL_POOL));
    await expect(regional.verify(tokens.access_token, { audience: null })).rejects.toThrow(/Issuer not allowed/);

    const doc = (await (await fetch(`${emu.issuer(GLOBAL_POOL)}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.jwks_uri).toBe(`${emu.issuer(GLOBAL_POOL)}/.well-known/jwks.json`);
    const info = await fetch(`${emu.hostedUiBase}/oauth2/userInfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ username: 'gus' });
  });

  it('machine tokens (client_credentials) carry it too', async () => {
    const res = await postForm(
      `${emu.hostedUiBase}/oauth2/token`,
      { grant_type: 'client_credentials', scope: 'api/read' },
      { authorization: basic('global-app', 'global-app-secret') },
    );
    expect(res.status).toBe(200);
    const verifier = JwtVerifier.create({ issuer: globalIssuer, audience: null, jwksUri: `${emu.issuer(GLOBAL_POOL)}/.well-known/jwks.json` });
    verifier.cacheJwks(await jwks(GLOBAL_POOL));
    expect(await verifier.verify(res.json.access_token as string, { audience: null })).toMatchObject({ iss: globalIssuer, client_id: 'global-app' });
  });

  it('pools without the option keep the emulator issuer', async () => {
    const tokens = await tokensFor('plain-app', 'cleo', 'Cleo-Passw0rd!');
    expect(JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()).iss).toBe(emu.issuer(CLAIMS_POOL));
  });
});

describe('federated provider buttons on the hosted UI', () => {
  const loginPage = async (clientId: string) => {
    const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, scope: 'openid', state: 'b1' });
    const res = await fetch(`${emu.hostedUiBase}/login?${q}`);
    expect(res.status).toBe(200);
    return res.text();
  };
  const buttons = (html: string) =>
    [...html.matchAll(/<a class="idp-button" data-provider="([^"]+)" href="([^"]+)">([^<]*)<\/a>/g)].map((m) => ({
      provider: m[1]!,
      href: m[2]!.replaceAll('&#38;', '&'),
      label: m[3]!,
    }));

  it("shows one button per provider the app client supports (not COGNITO, not the pool's other providers)", async () => {
    const found = buttons(await loginPage('claims-app'));
    expect(found.map((b) => [b.provider, b.label])).toEqual([
      ['PartnerIdP', 'Continue with PartnerIdP'],
      ['Other-IdP', 'Continue with Other-IdP'],
    ]);
    expect(buttons(await loginPage('plain-app'))).toEqual([]);
  });

  it("following a button starts that provider's sign-in, which ends at the app's callback", async () => {
    const partner = buttons(await loginPage('claims-app')).find((b) => b.provider === 'PartnerIdP')!;
    const authorize = new URL(partner.href, emu.hostedUiBase);
    expect(authorize.pathname).toBe('/oauth2/authorize');
    expect(authorize.searchParams.get('identity_provider')).toBe('PartnerIdP');
    expect(authorize.searchParams.get('state')).toBe('b1');
    const res = await fetch(authorize, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const idp = new URL(res.headers.get('location')!);
    expect(`${idp.origin}${idp.pathname}`).toBe(`${emu.url}/_idp/PartnerIdP/authorize`);
    const callback = new URL(await signInWithPassword(authorize.toString(), 'erin', 'Erin-Passw0rd!'));
    expect(callback.searchParams.get('state')).toBe('b1');
    expect(callback.searchParams.get('code')).toMatch(/^[\w-]{20,}$/);
  });
});
