/**
 * `identity_providers` tells a federated user from a pool user on every path: a pool user (alice)
 * passes `identity_providers: [COGNITO]`; a PartnerIdP user (erin) is reported with her provider by
 * /_auth/me and refused (403), with a bearer access token (which carries no `identities` claim) and
 * with a browser session on an app with user look-ups (where AdminGetUser returns `identities` as a
 * JSON string).
 */ import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithPassword } from '../../src/emulator/index';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.cognitoAdmin = { userCacheRetention: '1m' };
      const demo = raw.apps.find((a: { id: string }) => a.id === 'demo');
      demo.cognito = { userLookup: true };
      demo.policies.splice(
        1,
        0,
        {
          name: 'pool-users-only',
          action: 'allow',
          paths: ['/local/*'],
          include: [{ identity_providers: ['COGNITO'] }],
          require: [{ auth_methods: ['session', 'bearer'] }],
        },
        { name: 'everyone-else', action: 'block', paths: ['/local/*'], include: [{ authenticated: true }] },
      );
    },
  });
});
afterAll(() => stack?.close());

async function erinAccessToken(): Promise<string> {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: 'demo-gateway',
    redirect_uri: `${stack.url}/_auth/callback`,
    scope: 'openid email profile',
    state: 'review-state-0001',
    identity_provider: 'PartnerIdP',
  });
  const cb = new URL(await signInWithPassword(`${stack.emulator.hostedUiBase}/oauth2/authorize?${q}`, 'erin', 'Erin-Passw0rd!'));
  const res = await fetch(`${stack.emulator.hostedUiBase}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('demo-gateway:demo-gateway-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: `${stack.url}/_auth/callback` }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('identity_providers: [COGNITO] keeps federated users out', () => {
  it('sanity: a pool user (alice) passes with a session', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const res = await b.request(`${stack.url}/local/x`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
  });

  it('a federated user with a bearer access token is not reported (or allowed) as a COGNITO user', async () => {
    const token = await erinAccessToken();
    const me = (await (await fetch(`${stack.url}/_auth/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      username: string;
      identityProviders: string[];
    };
    expect(me.username).toMatch(/^partneridp_/);
    expect(me.identityProviders).toEqual(['PartnerIdP']);
    const res = await fetch(`${stack.url}/local/x`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    expect(res.status).toBe(403);
  });

  it('a federated user with a session is not allowed as a COGNITO user on an app with user look-ups', async () => {
    const b = new TestBrowser();
    const done = await b.signInVia(stack.url, 'PartnerIdP', 'erin', 'Erin-Passw0rd!');
    expect(done.res.status).toBe(200);
    const res = await b.request(`${stack.url}/local/x`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(403);
  });

  it("a sign-in link may name the provider: /_auth/login?identity_provider=PartnerIdP (the README's erin hint)", async () => {
    const b = new TestBrowser();
    const start = await b.follow(`${stack.url}/_auth/login?rd=%2F&identity_provider=PartnerIdP`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    expect(new URL(start.next!).searchParams.get('identity_provider')).toBe('PartnerIdP');
    const page = await b.follow(start.next!);
    const done = await b.submitForm(page.url, await page.res.text(), { username: 'erin', password: 'Erin-Passw0rd!' });
    expect(done.res.status).toBe(200);
    const me = (await (await b.request(`${stack.url}/_auth/me`)).json()) as { identityProviders: string[] };
    expect(me.identityProviders).toEqual(['PartnerIdP']);
    // Only a provider-shaped name is passed on.
    const odd = await b.follow(`${stack.url}/_auth/login?rd=%2F&identity_provider=${encodeURIComponent('x&prompt=none')}`, {
      stopAt: (u) => u.includes('/oauth2/authorize'),
    });
    expect(new URL(odd.next!).searchParams.get('identity_provider')).toBeNull();
  });
});
