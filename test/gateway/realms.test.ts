/**
 * Realms over HTTP with the real parts: config/realms.yaml (buyers on the demo pool's demo-gateway
 * client, merchants on its demo-merchant client), the gateway on Node, the emulator's hosted UI and
 * token endpoint. A buyer session never opens a merchant page; each realm signs in, exchanges its code
 * and signs out with its own client; a cookie renamed to the other realm's name is refused.
 */
import { readFileSync } from 'node:fs';
import { AdminInitiateAuthCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSecretHash } from '../../src/cognito/password-auth';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';

const REALMS_CONFIG = readFileSync(new URL('../../config/realms.yaml', import.meta.url), 'utf8');
const ALICE = 'Alice-Passw0rd!';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    configText: REALMS_CONFIG,
    edit: (raw) => {
      // Realm by host: merchants.test is the merchant console too (same client, same realm).
      raw.apps.unshift({
        id: 'merchant-host',
        hosts: ['merchants.test'],
        upstream: raw.apps[0].upstream,
        idp: { clientId: 'demo-merchant', clientSecret: 'demo-merchant-secret' },
        policies: [{ name: 'merchants', action: 'allow', include: [{ authenticated: true }] }],
      });
      // Bearer tokens on the merchant API: only the merchant client's.
      raw.apps
        .find((a: { id: string }) => a.id === 'merchant')
        .policies.unshift({
          name: 'merchant-api',
          action: 'allow',
          paths: ['/merchant/api/*'],
          include: [{ auth_methods: ['bearer'] }],
        });
      raw.apps.find((a: { id: string }) => a.id === 'store-globex').cognito = { passwordAuth: true };
    },
  });
});
afterAll(() => stack?.close());

const authorizeParams = (location: string | undefined) => new URL(location ?? 'http://missing/').searchParams;

/** The cookies a browser holds for the gateway, by name. */
const jarOf = (b: TestBrowser) => b.cookies('127.0.0.1');

async function signedIn(path: string, user = 'alice', password = ALICE, b = new TestBrowser()) {
  const done = await b.signIn(`${stack.url}${path}`, user, password);
  expect(done.res.status, `${user} reaches ${path}`).toBe(200);
  return { b, done };
}

async function me(b: TestBrowser, query = '') {
  const res = await b.request(`${stack.url}/_auth/me${query}`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function accessToken(clientId: string, secret: string): Promise<string> {
  const sdk = new CognitoIdentityProviderClient({ endpoint: stack.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const out = await sdk.send(
    new AdminInitiateAuthCommand({
      UserPoolId: POOL,
      ClientId: clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'alice', PASSWORD: ALICE, SECRET_HASH: await computeSecretHash(secret, 'alice', clientId) },
    }),
  );
  return out.AuthenticationResult!.AccessToken!;
}

describe('two realms on one pool', () => {
  it('a buyer session does not open the merchant console: sign-in starts with the merchant client', async () => {
    const { b } = await signedIn('/whoami');
    expect([...jarOf(b).keys()]).toContain('_cgw_session');
    const res = await b.request(`${stack.url}/merchant/orders?x=1`);
    expect(res.status).toBe(302);
    const authorize = authorizeParams(res.headers.get('location') ?? undefined);
    expect(authorize.get('client_id')).toBe('demo-merchant');
    expect(authorize.get('redirect_uri')).toBe(`${stack.url}/_auth/callback`);
  });

  it('completes the merchant sign-in at /_auth/callback with the merchant client: both sessions at once', async () => {
    const { b } = await signedIn('/whoami');
    const exchanges = stack.emulator.tokenGrantCount('authorization_code');
    const merchant = await b.signIn(`${stack.url}/merchant/orders?x=1`, 'alice', ALICE);
    expect(merchant.res.status).toBe(200);
    expect(new URL(merchant.url).pathname + new URL(merchant.url).search).toBe('/merchant/orders?x=1');
    expect(stack.emulator.tokenGrantCount('authorization_code')).toBe(exchanges + 1);
    const jar = jarOf(b);
    expect(jar.has('_cgw_session')).toBe(true);
    expect(jar.has('_cgw-merchant_session')).toBe(true);
    // The ID token behind each session was issued to that realm's client.
    expect(await me(b)).toMatchObject({ status: 200, body: { realm: 'buyer', username: 'alice', clientId: 'demo-gateway' } });
    expect(await me(b, '?realm=merchant')).toMatchObject({ status: 200, body: { realm: 'merchant', username: 'alice', clientId: 'demo-merchant' } });
    expect(await me(b, '?prefix=acme')).toMatchObject({ status: 200, body: { realm: 'merchant' } });
    expect(await me(b, '?realm=nope')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const login = stack.logs.filter((l) => l.msg === 'login started').at(-1);
    expect(login?.realm).toBe('merchant');
  });

  it("the merchant code is exchanged with the merchant client's secret: another secret at Cognito fails that sign-in only", async () => {
    const { b } = await signedIn('/whoami');
    stack.emulator.setClientSettings(POOL, 'demo-merchant', { secret: 'rotated-at-cognito' });
    try {
      const merchant = await b.signIn(`${stack.url}/merchant/`, 'alice', ALICE);
      expect(merchant.res.status).toBe(502);
      expect(new URL(merchant.url).pathname).toBe('/_auth/callback');
      expect(stack.logs.some((l) => l.error === 'idp_rejected_client' && l.idpError === 'invalid_client')).toBe(true);
    } finally {
      stack.emulator.setClientSettings(POOL, 'demo-merchant', { secret: 'demo-merchant-secret' });
    }
    expect([...jarOf(b).keys()].filter((n) => n.includes('_session'))).toEqual(['_cgw_session']);
    expect((await b.request(`${stack.url}/whoami`, { headers: { accept: 'application/json' } })).status).toBe(200);
  });

  it('logout of the merchant realm uses its client at Cognito and leaves the buyer session', async () => {
    const { b } = await signedIn('/whoami');
    await b.signIn(`${stack.url}/merchant/`, 'alice', ALICE);
    const out = await b.request(`${stack.url}/_auth/logout?realm=merchant`);
    expect(out.status).toBe(302);
    const logout = new URL(out.headers.get('location')!);
    expect(logout.pathname).toBe('/logout');
    expect(logout.searchParams.get('client_id')).toBe('demo-merchant');
    const cleared = out.headers.getSetCookie().map((c) => c.split('=')[0]);
    expect(cleared).toContain('_cgw-merchant_session');
    expect(cleared).not.toContain('_cgw_session');
    expect((await b.request(`${stack.url}/whoami`, { headers: { accept: 'application/json' } })).status).toBe(200);
    expect((await me(b, '?realm=merchant')).status).toBe(401);
    const again = await b.request(`${stack.url}/merchant/`);
    expect([again.status, authorizeParams(again.headers.get('location') ?? undefined).get('client_id')]).toEqual([302, 'demo-merchant']);
    // The buyer's logout names the buyer client.
    const buyerOut = await b.request(`${stack.url}/_auth/logout`);
    expect(new URL(buyerOut.headers.get('location')!).searchParams.get('client_id')).toBe('demo-gateway');
  });

  it('a session cookie renamed to the other realm cookie name is refused (the realm is sealed in it)', async () => {
    const { b } = await signedIn('/whoami');
    await b.signIn(`${stack.url}/merchant/`, 'alice', ALICE);
    const merchantValue = jarOf(b).get('_cgw-merchant_session')!;
    const buyerValue = jarOf(b).get('_cgw_session')!;
    const asBuyer = await rawRequest(stack.url, '/whoami', { headers: { accept: 'text/html', cookie: `_cgw_session=${merchantValue}` } });
    expect(asBuyer.status).toBe(302);
    expect(authorizeParams(asBuyer.headers.location as string).get('client_id')).toBe('demo-gateway');
    expect([asBuyer.headers['set-cookie']].flat().some((c) => String(c).startsWith('_cgw_session=;'))).toBe(true);
    const asMerchant = await rawRequest(stack.url, '/merchant/', { headers: { accept: 'text/html', cookie: `_cgw-merchant_session=${buyerValue}` } });
    expect(asMerchant.status).toBe(302);
    expect(authorizeParams(asMerchant.headers.location as string).get('client_id')).toBe('demo-merchant');
    expect(stack.logs.some((l) => l.msg === 'session ended' && String(l.reason).startsWith('session of realm merchant'))).toBe(true);
    expect(stack.logs.some((l) => l.msg === 'session ended' && String(l.reason).startsWith('session of realm buyer'))).toBe(true);
    // Neither realm's cookie reaches an upstream.
    const echoed = await rawRequest(stack.url, '/whoami', { headers: { accept: 'application/json', cookie: b.cookieHeader(stack.url)! } });
    expect(echoed.status).toBe(200);
    expect(JSON.parse(echoed.body).headers.cookie).toBeUndefined();
  });
});

describe('choosing the realm', () => {
  it('by host: the merchant host signs in with the merchant client', async () => {
    const port = new URL(stack.url).port;
    // A host pattern without a port matches the default port: the Host header a proxy in front would send.
    const res = await rawRequest(stack.url, '/dashboard', { headers: { host: 'merchants.test', accept: 'text/html' } });
    expect(res.status).toBe(302);
    expect(authorizeParams(res.headers.location as string).get('client_id')).toBe('demo-merchant');
    const buyer = await rawRequest(stack.url, '/dashboard', { headers: { host: `127.0.0.1:${port}`, accept: 'text/html' } });
    expect(authorizeParams(buyer.headers.location as string).get('client_id')).toBe('demo-gateway');
  });

  it('by path prefix: a storefront of the merchant realm', async () => {
    const res = await rawRequest(stack.url, '/acme/orders', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(302);
    expect(authorizeParams(res.headers.location as string).get('client_id')).toBe('demo-merchant');
  });

  it('by ?realm=&prefix=: signs a merchant in and lands on the storefront', async () => {
    const b = new TestBrowser();
    const start = await b.request(`${stack.url}/_auth/login?realm=merchant&prefix=acme`);
    expect(start.status).toBe(302);
    expect(authorizeParams(start.headers.get('location') ?? undefined).get('client_id')).toBe('demo-merchant');
    const done = await b.signIn(`${stack.url}/_auth/login?realm=merchant&prefix=globex`, 'alice', ALICE);
    expect(done.res.status).toBe(200);
    expect(new URL(done.url).pathname).toBe('/globex/');
    expect([...jarOf(b).keys()].filter((n) => n.includes('_session'))).toEqual(['_cgw-merchant_session']);
  });

  it('refuses a realm that does not exist, a realm that is not the target app, and a prefix or rd that does not fit', async () => {
    const get = async (q: string) => {
      const res = await rawRequest(stack.url, `/_auth/login?${q}`, { headers: { accept: 'application/json' } });
      return [res.status, JSON.parse(res.body).error, JSON.parse(res.body).error_description];
    };
    expect(await get('realm=nope')).toEqual([400, 'invalid_request', 'There is no realm "nope"; realms: buyer, merchant.']);
    expect(await get('realm=buyer&prefix=acme')).toEqual([
      400,
      'invalid_request',
      'Acme store admin belongs to realm merchant, not buyer: a buyer session would not open it.',
    ]);
    expect(await get('realm=merchant&prefix=..%2Fadmin')).toEqual([
      400,
      'invalid_request',
      'prefix is one path segment such as acme (letters, digits, . _ ~ -).',
    ]);
    expect(await get('realm=merchant&prefix=acme&rd=%2Fglobex%2F')).toEqual([400, 'invalid_request', 'rd must be under the storefront prefix /acme/.']);
    // An rd that fails redirect validation is not followed: it falls back to the storefront's root... of the gateway, refused.
    expect(await get('realm=merchant&prefix=acme&rd=https%3A%2F%2Fevil.example%2Facme%2F')).toEqual([
      400,
      'invalid_request',
      'rd must be under the storefront prefix /acme/.',
    ]);
  });
});

describe('tokens per realm', () => {
  it("a bearer token of the buyer client is refused on the merchant app; the merchant client's is accepted", async () => {
    const buyerToken = await accessToken('demo-gateway', 'demo-gateway-secret');
    const merchantToken = await accessToken('demo-merchant', 'demo-merchant-secret');
    const call = (token: string) =>
      rawRequest(stack.url, '/merchant/api/orders', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    const refused = await call(buyerToken);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error).toBe('invalid_token');
    expect(String(refused.headers['www-authenticate'])).toContain('error="invalid_token"');
    const accepted = await call(merchantToken);
    expect(accepted.status).toBe(200);
    // Access tokens carry groups (not cognito:username): the identity reached the upstream.
    expect(JSON.parse(accepted.body).headers['x-auth-groups']).toBe('admins,staff');
    // And the other way round on /_auth/me.
    const meBuyer = await rawRequest(stack.url, '/_auth/me', { headers: { accept: 'application/json', authorization: `Bearer ${merchantToken}` } });
    expect(meBuyer.status).toBe(401);
    const meMerchant = await rawRequest(stack.url, '/_auth/me?realm=merchant', {
      headers: { accept: 'application/json', authorization: `Bearer ${merchantToken}` },
    });
    expect([meMerchant.status, JSON.parse(meMerchant.body).realm, JSON.parse(meMerchant.body).clientId]).toEqual([200, 'merchant', 'demo-merchant']);
  });

  it('Basic and the password form sign in with the realm of the app', async () => {
    const basic = await rawRequest(stack.url, '/globex/orders', {
      headers: { accept: 'application/json', authorization: `Basic ${btoa(`alice:${ALICE}`)}` },
    });
    expect(basic.status).toBe(200);
    expect(JSON.parse(basic.body).headers['x-auth-user']).toBe('alice');

    const csrf = await rawRequest(stack.url, '/_auth/password', { headers: { accept: 'application/json' } });
    const body = JSON.stringify({ username: 'alice', password: ALICE, rd: '/globex/' });
    const res = await rawRequest(stack.url, '/_auth/password', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        origin: stack.url,
        cookie: String(csrf.headers['set-cookie']).split(';')[0]!,
      },
      body,
    });
    expect(res.status).toBe(200);
    const names = [res.headers['set-cookie']].flat().map((c) => String(c).split('=')[0]);
    expect(names).toContain('_cgw-merchant_session');
    expect(names).not.toContain('_cgw_session');
  });
});
