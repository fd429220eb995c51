/** Over HTTP: claims listed in assertion.claims ride in the signed assertion (verified with jose against /_auth/jwks) and in /_auth/me. */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { TestBrowser } from '../helpers/browser';
import { DEMO_CONFIG, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ edit: (raw) => (raw.assertion = { claims: ['custom:tenant', 'identities'] }) });
});
afterAll(() => stack?.close());

describe('assertion.claims', () => {
  it('carries custom:tenant for carol, verified against the gateway keys, and /_auth/me lists it', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/partners/`, 'carol', 'Carol-Passw0rd!');
    const res = await b.request(`${stack.url}/partners/deals`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const token = ((await res.json()) as { headers: Record<string, string> }).headers['x-auth-assertion']!;
    const jwks = (await (await fetch(`${stack.url}/_auth/jwks`)).json()) as { keys: never[] };
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks.keys }), { audience: 'partners' });
    expect(payload['custom:tenant']).toBe('partner-co');
    expect(payload.username).toBe('carol');
    expect('identities' in payload).toBe(false); // carol is a pool user: no identities claim to carry
    const me = (await (await b.request(`${stack.url}/_auth/me`)).json()) as { claims: Record<string, unknown> };
    expect(me.claims).toEqual({ 'custom:tenant': 'partner-co' });
  });

  it('refuses a claim the assertion sets itself', () => {
    const text = DEMO_CONFIG.replace('assertion:\n  claims: [name, "custom:tenant"]', 'assertion:\n  claims: [sub]');
    expect(() => loadConfig(text, { EMULATOR_URL: 'http://127.0.0.1:1', DEMO_UPSTREAM_URL: 'http://127.0.0.1:2' })).toThrow(
      /assertion\.claims: assertion\.claims must not name a claim the assertion sets itself/,
    );
  });
});
