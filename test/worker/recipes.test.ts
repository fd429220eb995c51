/**
 * The recipes whose flows exist on Workers (docs/recipes/), against the real Worker bundle in
 * workerd with config/demo.yaml as shipped: a site's own login form (password sign-in through the
 * admin API, from the Worker to the emulator) and the CORS API. The Node runs: test/recipes/.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

let stack: WorkerStack;
beforeAll(async () => {
  stack = await startWorkerStack({
    bundleDir: inject('workerBundleDir'),
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
});
