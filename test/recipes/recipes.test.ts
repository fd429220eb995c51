/**
 * Every recipe in docs/recipes/ as its user runs it: config/demo.yaml as shipped (the recipes' app
 * blocks are in it, and test/recipes/docs.test.ts keeps each page's snippet equal to it), over HTTP
 * against the real gateway and the emulator, in Chromium where the recipe has a page.
 */
import { AdminDisableUserCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { launchChromium } from '../helpers/chromium';
import { POOL, startStack, type Stack } from '../helpers/stack';

type Echo = { path: string; headers: Record<string, string> };
const json = { accept: 'application/json' };

describe('recipes in a browser (real clock)', () => {
  let stack: Stack;
  let browser: Browser;
  let spaOrigin: string;
  let spaServer: Server;
  beforeAll(async () => {
    // A single-page app on its own origin (another port on localhost: same site, other origin).
    spaServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>SPA</title><p>spa</p>');
    });
    await new Promise<void>((r) => spaServer.listen(0, '127.0.0.1', r));
    spaOrigin = `http://localhost:${(spaServer.address() as AddressInfo).port}`;
    stack = await startStack({
      // The shipped config lists http://localhost:5173 (a Vite dev server); this test's SPA has its own port.
      edit: (raw) => raw.apps.find((a: { id: string }) => a.id === 'spa-api').cors.allowedOrigins.push(spaOrigin),
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await new Promise((r) => spaServer?.close(r));
  });

  it("password-form: the site's own login form signs bob in and lands where he was going", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.url}/site/login?rd=%2Fsite%2Farticles%2F7`);
    expect(await page.locator('h1').textContent()).toBe('Publishing site');
    await page.waitForSelector('#sign-in:not([disabled])'); // the CSRF token arrived from /_auth/password
    await page.fill('#username', 'bob');
    await page.fill('#password', 'Bob-Passw0rd!');
    await Promise.all([page.waitForURL(`${stack.url}/site/articles/7`), page.click('#sign-in')]);
    expect(await page.locator('body > p').first().textContent()).toBe('You are bob (bob@example.com).');
    expect(stack.audit.some((e) => e.type === 'sign-in' && e.app === 'site' && e.authMethod === 'password')).toBe(true);
  });

  it('password-form: a wrong password gets the catalogue page, and no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/site/login`);
    await page.waitForSelector('#sign-in:not([disabled])');
    await page.fill('#username', 'bob');
    await page.fill('#password', 'not-his-password');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url() === `${stack.url}/_auth/password`, { timeout: 5000 }), page.click('#sign-in')]);
    expect(res.status()).toBe(401);
    expect(await page.locator('body').textContent()).toContain('Incorrect username or password.');
    const back = page.locator('a', { hasText: 'Back to the sign-in form' });
    expect(await back.getAttribute('href')).toBe('/site/login');
    expect((await context.cookies(stack.url)).some((c) => c.name.includes('_session'))).toBe(false);
  });

  it('spa-cors-api: the SPA on another origin calls the API with its session cookie; the gateway answers the preflight', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Sign in on the gateway first (as the SPA's "Sign in" link would), on the same host name.
    const gw = stack.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${gw}/_auth/login?rd=%2Fspa-api%2Fme`);
    await page.fill('input[name="username"]', 'carol');
    await page.fill('input[name="password"]', 'Carol-Passw0rd!');
    await Promise.all([page.waitForURL(`${gw}/spa-api/me`), page.click('button[type="submit"], input[type="submit"]')]);
    await page.goto(`${spaOrigin}/`);
    const result = await page.evaluate(async (api) => {
      // A JSON content type makes this a non-simple request: Chromium sends a preflight first.
      const r = await fetch(`${api}/spa-api/orders`, {
        method: 'PUT',
        credentials: 'include',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: '{"qty":1}',
      });
      return { status: r.status, body: (await r.json()) as { method: string; headers: Record<string, string> } };
    }, gw);
    expect(result.status).toBe(200);
    expect(result.body.method).toBe('PUT');
    expect(result.body.headers['x-auth-user']).toBe('carol');
    const preflight = stack.logs.find((l) => l.method === 'OPTIONS' && String(l.path).startsWith('/spa-api/orders'));
    expect(preflight?.status).toBe(204);
  });
});

describe('recipes over HTTP (controlled clock)', () => {
  const START_MS = Date.UTC(2027, 0, 15, 8, 0, 0);
  let clockMs = START_MS;
  const advance = (s: number) => (clockMs += s * 1000);
  let stack: Stack;
  let sdk: CognitoIdentityProviderClient;
  beforeAll(async () => {
    stack = await startStack({ now: () => clockMs, emulatorNow: () => clockMs });
    sdk = new CognitoIdentityProviderClient({ endpoint: stack.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });
  afterAll(async () => {
    sdk?.destroy();
    await stack?.close();
  });

  it('password-form: JSON sign-in from a script sets the same session as the hosted UI', async () => {
    const b = new TestBrowser();
    const res = await b.request(`${stack.url}/_auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.url },
      body: JSON.stringify({ username: 'alice', password: 'Alice-Passw0rd!', rd: '/site/' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ signedIn: true, username: 'alice', returnTo: '/site/' });
    const page = await b.request(`${stack.url}/site/`, { headers: json });
    expect(((await page.json()) as Echo).headers['x-auth-user']).toBe('alice');
    // The same cookie opens every app of the realm: the session is the hosted-UI one.
    expect((await b.request(`${stack.url}/admin/`, { headers: json })).status).toBe(200);
  });

  it('password-form: only apps that turned it on accept it', async () => {
    const res = await fetch(`${stack.url}/_auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.url, ...json },
      body: JSON.stringify({ username: 'alice', password: 'Alice-Passw0rd!', rd: '/admin/' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('password_sign_in_disabled');
  });

  it('user-portal: a user removed from staff, then a disabled user, is cut off within the retention period', async () => {
    const bob = new TestBrowser();
    await bob.signIn(`${stack.url}/portal/`, 'bob', 'Bob-Passw0rd!');
    expect((await bob.request(`${stack.url}/portal/users`, { headers: json })).status).toBe(200);
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: 'bob' }));
    advance(5);
    expect((await bob.request(`${stack.url}/portal/users`, { headers: json })).status, 'inside the 15 s retention period').toBe(200);
    advance(15);
    const cut = await bob.request(`${stack.url}/portal/users`, { headers: json });
    expect(cut.status).toBe(401);
    expect(stack.logs.some((l) => l.msg === 'session ended' && String(l.reason).includes('disabled'))).toBe(true);

    // Group changes reach the gateway with the next refreshed ID token (session.revalidateAfter).
    const alice = new TestBrowser();
    await alice.signIn(`${stack.url}/portal/`, 'alice', 'Alice-Passw0rd!');
    expect((await alice.request(`${stack.url}/portal/users`, { headers: json })).status).toBe(200);
    await sdk.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: POOL, Username: 'alice', GroupName: 'staff' }));
    advance(6 * 60);
    const after = await alice.request(`${stack.url}/portal/users`, { headers: json });
    expect(after.status).toBe(403);
    expect(((await after.json()) as { error: string }).error).toBe('access_denied');
  });

  it('identity-broker: /broker/ sends the browser straight to PartnerIdP; erin gets in, alice does not', async () => {
    const erin = new TestBrowser();
    const start = await erin.follow(`${stack.url}/broker/`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    expect(new URL(start.next!).searchParams.get('identity_provider')).toBe('PartnerIdP');
    const done = await erin.signIn(`${stack.url}/broker/`, 'erin', 'Erin-Passw0rd!');
    expect(done.res.status).toBe(200);
    const page = await erin.request(`${stack.url}/broker/deals`, { headers: json });
    expect(((await page.json()) as Echo).headers['x-auth-email']).toBe('erin@partner.example');

    const alice = new TestBrowser();
    await alice.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    expect((await alice.request(`${stack.url}/broker/deals`, { headers: json })).status).toBe(403);
  });

  it('commerce-realms: a buyer session does not open the merchant console; the store prefix signs a merchant in to /acme/', async () => {
    const b = new TestBrowser();
    expect((await b.signIn(`${stack.url}/shop/cart`, 'carol', 'Carol-Passw0rd!')).res.status).toBe(200);
    const merchantPage = await b.request(`${stack.url}/merchant/orders`);
    expect(merchantPage.status).toBe(302);
    expect(new URL(merchantPage.headers.get('location')!).searchParams.get('client_id')).toBe('demo-merchant');
    const store = await b.follow(`${stack.url}/_auth/login?realm=merchant&prefix=acme`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    expect(new URL(store.next!).searchParams.get('client_id')).toBe('demo-merchant');
    const done = await b.signIn(`${stack.url}/_auth/login?realm=merchant&prefix=acme`, 'carol', 'Carol-Passw0rd!');
    expect(new URL(done.url).pathname).toBe('/acme/');
    expect([...b.cookies('127.0.0.1').keys()].filter((n) => n.endsWith('_session')).sort()).toEqual(['_cgw-merchant_session', '_cgw_session']);
    const me = async (q: string) => (await (await b.request(`${stack.url}/_auth/me${q}`, { headers: json })).json()) as { realm: string; clientId: string };
    expect([await me(''), await me('?realm=merchant')].map((m) => [m.realm, m.clientId])).toEqual([
      ['default', 'demo-gateway'],
      ['merchant', 'demo-merchant'],
    ]);
    await b.request(`${stack.url}/_auth/logout?realm=merchant`);
    expect((await b.request(`${stack.url}/shop/cart`, { headers: json })).status, 'the buyer session stays').toBe(200);
    expect((await b.request(`${stack.url}/acme/orders`)).status, 'the merchant session is gone').toBe(302);
  });

  it('zero-trust-claims: the signed assertion carries name and custom:tenant, verified with the gateway keys', async () => {
    const carol = new TestBrowser();
    await carol.signIn(`${stack.url}/partners/`, 'carol', 'Carol-Passw0rd!');
    const res = await carol.request(`${stack.url}/partners/deals`, { headers: json });
    const token = ((await res.json()) as Echo).headers['x-auth-assertion']!;
    const jwks = (await (await fetch(`${stack.url}/_auth/jwks`)).json()) as { keys: never[] };
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks.keys }), { audience: 'partners' });
    expect([payload.username, payload.name, payload['custom:tenant']]).toEqual(['carol', 'Carol Partner', 'partner-co']);
    const me = (await (await carol.request(`${stack.url}/_auth/me`)).json()) as { claims: Record<string, unknown> };
    expect(me.claims).toEqual({ name: 'Carol Partner', 'custom:tenant': 'partner-co' });
  });

  it('spa-cors-api: a preflight from a listed origin is answered before authentication, an unlisted one gets no grant', async () => {
    const pre = await fetch(`${stack.url}/spa-api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-max-age')).toBe('600');
    const other = await fetch(`${stack.url}/spa-api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBe(null);
    const anonymous = await fetch(`${stack.url}/spa-api/orders`, { headers: { origin: 'http://localhost:5173', ...json } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});
