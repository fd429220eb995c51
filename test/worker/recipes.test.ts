/**
 * The recipes' flows on Workers (docs/recipes/), against the real Worker bundle in workerd with
 * config/demo.yaml (only the user-cache retention shortened, as workerd's clock cannot be stubbed): a
 * site's own login form (password sign-in through the admin API, from the Worker to the emulator),
 * the portal cut-off, the identity broker, claims in the assertion, and the CORS API. The realms run
 * in the scenario table (test/worker/scenarios.test.ts). The Node runs: test/recipes/.
 */
import { AdminDisableUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

let stack: WorkerStack;
beforeAll(async () => {
  stack = await startWorkerStack({
    bundleDir: inject('workerBundleDir'),
    edit: (raw) => (raw.cognitoAdmin.userCacheRetention = '1s'),
    vars: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', GATEWAY_COOKIE_SECRETS: 'worker-recipes-cookie-secret-0123456789abcdef' },
  });
}, 60_000);
afterAll(() => stack?.close());

describe('recipes in workerd', () => {
  it("password-form: the site's form (CSRF token, form post) signs bob in; the session opens the site", async () => {
    const b = new TestBrowser();
    const login = await b.request(`${stack.url}/site/login`);
    expect(login.status).toBe(200);
    const html = await login.text();
    const token = await b.request(`${stack.url}/_auth/password`, { headers: { accept: 'application/json' } });
    const { csrf } = (await token.json()) as { csrf: string };
    const done = await b.submitForm(`${stack.url}/site/login`, html, { username: 'bob', password: 'Bob-Passw0rd!', csrf }, { stopAt: () => true });
    expect(done.hops[0]!.status).toBe(303);
    expect(done.next).toBe(`${stack.url}/site/`);
    const page = await b.request(`${stack.url}/site/`, { headers: { accept: 'application/json' } });
    expect(((await page.json()) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('bob');
  });

  it('password-form: a wrong password is the same 401 as an unknown user', async () => {
    const post = (username: string) =>
      fetch(`${stack.url}/_auth/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: stack.url, accept: 'application/json' },
        body: JSON.stringify({ username, password: 'wrong-Passw0rd!', rd: '/site/' }),
      });
    const [wrong, unknown] = [await post('bob'), await post('nobody-here')];
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect([((await wrong.json()) as { error: string }).error, ((await unknown.json()) as { error: string }).error]).toEqual([
      'invalid_credentials',
      'invalid_credentials',
    ]);
  });

  it('spa-cors-api: the preflight is answered before authentication, the anonymous call is a 401 the SPA can read', async () => {
    const pre = await fetch(`${stack.url}/spa-api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect([pre.headers.get('access-control-allow-origin'), pre.headers.get('access-control-allow-credentials')]).toEqual(['http://localhost:5173', 'true']);
    const anonymous = await fetch(`${stack.url}/spa-api/orders`, { headers: { origin: 'http://localhost:5173', accept: 'application/json' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('user-portal: a disabled user is cut off once the user-cache retention has passed', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/portal/`, 'alice', 'Alice-Passw0rd!');
    expect((await b.request(`${stack.url}/portal/users`, { headers: { accept: 'application/json' } })).status).toBe(200);
    const sdk = new CognitoIdentityProviderClient({
      endpoint: stack.emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: 'us-east-1_DemoPool1', Username: 'alice' }));
    sdk.destroy();
    // Real time in workerd: poll past the 1 s retention (bounded).
    await expect
      .poll(async () => (await b.request(`${stack.url}/portal/users`, { headers: { accept: 'application/json' } })).status, { timeout: 10_000, interval: 300 })
      .toBe(401);
  });

  it('identity-broker: /broker/ goes straight to PartnerIdP and lets erin in', async () => {
    const erin = new TestBrowser();
    const start = await erin.follow(`${stack.url}/broker/`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    expect(new URL(start.next!).searchParams.get('identity_provider')).toBe('PartnerIdP');
    expect((await erin.signIn(`${stack.url}/broker/`, 'erin', 'Erin-Passw0rd!')).res.status).toBe(200);
    const page = await erin.request(`${stack.url}/broker/deals`, { headers: { accept: 'application/json' } });
    expect(((await page.json()) as { headers: Record<string, string> }).headers['x-auth-email']).toBe('erin@partner.example');
  });

  it('zero-trust-claims: the assertion carries name and custom:tenant', async () => {
    const carol = new TestBrowser();
    await carol.signIn(`${stack.url}/partners/`, 'carol', 'Carol-Passw0rd!');
    const res = await carol.request(`${stack.url}/partners/deals`, { headers: { accept: 'application/json' } });
    const token = ((await res.json()) as { headers: Record<string, string> }).headers['x-auth-assertion']!;
    const jwks = (await (await fetch(`${stack.url}/_auth/jwks`)).json()) as { keys: never[] };
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks.keys }), { audience: 'partners' });
    expect([payload.username, payload.name, payload['custom:tenant']]).toEqual(['carol', 'Carol Partner', 'partner-co']);
  });
});
