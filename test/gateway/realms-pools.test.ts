/**
 * A realm on another pool (apps[].idp.issuer + clientId): its own discovery, token endpoint and key
 * set at the emulator, its client as audience; tokens of one pool never open the other's apps. And
 * per-app sign-in settings (apps[].idp.scopes, identityProvider) on the authorize request.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorSeed } from '../../src/emulator';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

const OTHER_POOL = 'us-east-1_OtherPool1';
const seed = parse(readFileSync(new URL('../../config/demo-pool.yaml', import.meta.url), 'utf8')) as { pools: Array<Record<string, unknown>> };
seed.pools.push({
  id: OTHER_POOL,
  name: 'partner pool',
  clients: [{ id: 'partner-web', secret: 'partner-web-secret', allowedScopes: ['openid', 'email', 'profile'] }],
  users: [{ username: 'pat', password: 'Pat-Passw0rd!', attributes: { email: 'pat@partner.example', email_verified: true } }],
});

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    emulatorSeed: seed as EmulatorSeed,
    edit: (raw) => {
      const emulator = String(raw.idp.issuer).replace(/\/us-east-1_DemoPool1$/, '');
      raw.apps.unshift({
        id: 'partner-portal',
        pathPrefix: '/other-pool',
        upstream: raw.apps[0].upstream,
        idp: { clientId: 'partner-web', clientSecret: 'partner-web-secret', userPoolId: OTHER_POOL, issuer: `${emulator}/${OTHER_POOL}` },
        policies: [{ name: 'partners', action: 'allow', include: [{ authenticated: true }] }],
      });
      raw.apps.find((a: { id: string }) => a.id === 'partners').idp = { identityProvider: 'PartnerIdP', scopes: ['openid', 'email'] };
    },
  });
  const port = new URL(stack.url).port;
  stack.emulator.setClientSettings(OTHER_POOL, 'partner-web', {
    callbackUrls: [`http://127.0.0.1:${port}/_auth/callback`],
    logoutUrls: [`http://127.0.0.1:${port}/`],
  });
});
afterAll(() => stack?.close());

describe('a realm on another pool', () => {
  it("signs in with that pool's client and keys; the session is that realm's only", async () => {
    const b = new TestBrowser();
    const start = await b.request(`${stack.url}/other-pool/home`);
    expect(start.status).toBe(302);
    expect(new URL(start.headers.get('location')!).searchParams.get('client_id')).toBe('partner-web');
    const done = await b.signIn(`${stack.url}/other-pool/home`, 'pat', 'Pat-Passw0rd!');
    expect(done.res.status).toBe(200);
    expect(await done.res.text()).toContain('pat@partner.example');
    expect([...b.cookies('127.0.0.1').keys()].filter((n) => n.includes('_session'))).toEqual(['_cgw-partner-portal_session']);
    const me = await b.request(`${stack.url}/_auth/me?realm=partner-portal`, { headers: { accept: 'application/json' } });
    expect(await me.json()).toMatchObject({ realm: 'partner-portal', username: 'pat', clientId: 'partner-web' });
    // The default realm's apps still want their own sign-in.
    const shop = await b.request(`${stack.url}/dashboard`);
    expect([shop.status, new URL(shop.headers.get('location')!).searchParams.get('client_id')]).toEqual([302, 'demo-gateway']);
    // Readiness covers both pools' keys.
    expect((await rawRequest(stack.url, '/_auth/readyz')).status).toBe(200);
  });

  it("an access token of the demo pool is refused on the other pool's app (issuer and client)", async () => {
    const res = await fetch(`${stack.emulator.hostedUiBase}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa('demo-machine:demo-machine-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'demo-api/read' }),
    });
    const token = ((await res.json()) as { access_token: string }).access_token;
    const refused = await rawRequest(stack.url, '/other-pool/api', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error).toBe('invalid_token');
  });
});

describe('per-app sign-in settings in apps[].idp', () => {
  it("scopes and identityProvider go on the app's authorize request, with the default realm's client", async () => {
    const res = await rawRequest(stack.url, '/partners/deals', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(302);
    const q = new URL(res.headers.location as string).searchParams;
    expect([q.get('client_id'), q.get('scope'), q.get('identity_provider')]).toEqual(['demo-gateway', 'openid email', 'PartnerIdP']);
  });
});
