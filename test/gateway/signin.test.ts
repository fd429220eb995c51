/**
 * Browser sign-in through the running gateway against the emulator: the hosted-UI redirect carries
 * PKCE S256, state and nonce; signing in keeps the original URL with its query and forwards identity
 * headers; /_auth/me answers the identity (401 signed out); two tabs sign in at once; 30 tabs never
 * build a Cookie header near 8 KB; a new sign-in replaces the old session (no fixation); API clients get
 * 401 JSON with WWW-Authenticate; a federated PartnerIdP user signs in; rd returns only to allowed
 * targets; a large session with the access token is split across numbered cookies and forwarded as
 * Authorization; unverified emails are left out unless headers.unverifiedEmail says forward; an app's
 * identity_provider hint and extra scopes reach the authorize request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

async function echo(browser: TestBrowser, path: string, headers: Record<string, string> = {}) {
  const res = await browser.request(`${stack.url}${path}`, { headers: { accept: 'application/json', ...headers } });
  expect(res.status, `${path} -> ${res.status}`).toBe(200);
  return (await res.json()) as { method: string; path: string; query: string; headers: Record<string, string> };
}

describe('browser sign-in with code + PKCE against the emulator', () => {
  it('redirects an anonymous browser to the hosted UI with PKCE S256, state and nonce', async () => {
    const b = new TestBrowser();
    const res = await b.request(`${stack.url}/reports?q=a%20b&x=1`);
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.origin).toBe(stack.emulator.hostedUiBase);
    expect(loc.pathname).toBe('/oauth2/authorize');
    const p = loc.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe('demo-gateway');
    expect(p.get('redirect_uri')).toBe(`${stack.url}/_auth/callback`);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(p.get('nonce')!.length).toBeGreaterThanOrEqual(32);
    expect(p.get('scope')!.split(' ')).toContain('openid');
    const cookies = res.headers.getSetCookie();
    expect(cookies.some((c) => /_login_/.test(c) && /HttpOnly/i.test(c) && /SameSite=Lax/i.test(c) && /Path=\//.test(c))).toBe(true);
  });

  it('signs alice in, keeps the original URL with its query, and forwards identity headers', async () => {
    const b = new TestBrowser();
    const { res, url } = await b.signIn(`${stack.url}/reports?q=a%20b&x=1`, 'alice', 'Alice-Passw0rd!');
    expect(res.status).toBe(200);
    expect(url).toBe(`${stack.url}/reports?q=a%20b&x=1`);
    const seen = await echo(b, '/reports?q=a%20b&x=1', { 'x-auth-user': 'mallory', x_auth_groups: 'admins' });
    expect(seen.path).toBe('/reports');
    expect(seen.query).toContain('q=a%20b&x=1');
    expect(seen.headers['x-auth-user']).toBe('alice');
    expect(seen.headers['x-auth-email']).toBe('alice@example.com');
    expect(seen.headers['x-auth-groups']).toBe('admins,staff');
    expect(seen.headers['x-auth-assertion']).toMatch(/^eyJ/);
    expect(seen.headers.x_auth_groups).toBeUndefined();
    // The gateway's own cookies never reach the upstream.
    expect(seen.headers.cookie ?? '').not.toMatch(/_cgw/);
  });

  it('answers /_auth/me with the identity, and 401 when signed out', async () => {
    const b = new TestBrowser();
    const anon = await b.request(`${stack.url}/_auth/me`);
    expect(anon.status).toBe(401);
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const me = await b.request(`${stack.url}/_auth/me`);
    expect(me.status).toBe(200);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ username: 'bob', email: 'bob@example.com', groups: ['staff'], authMethod: 'session' });
    expect(typeof body.sessionExpiresAt).toBe('string');
  });

  it('lets two tabs sign in at once (login state keyed by state)', async () => {
    const b = new TestBrowser();
    const tab1 = await b.follow(`${stack.url}/one?tab=1`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    const tab2 = await b.follow(`${stack.url}/two?tab=2`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    // Finish tab 2 first, then tab 1.
    const page2 = await b.follow(tab2.next!);
    const done2 = await b.submitForm(page2.url, await page2.res.text(), { username: 'alice', password: 'Alice-Passw0rd!' });
    expect(done2.url).toBe(`${stack.url}/two?tab=2`);
    expect(done2.res.status).toBe(200);
    // Tab 1: the hosted UI session cookie now skips the form and goes straight back.
    const done1 = await b.follow(tab1.next!);
    expect(done1.url).toBe(`${stack.url}/one?tab=1`);
    expect(done1.res.status).toBe(200);
  });

  it('bounds pending login-state cookies: 30 tabs never build a header near 8 KB', async () => {
    const b = new TestBrowser();
    for (let i = 0; i < 30; i++) {
      const res = await b.request(`${stack.url}/tab/${i}`);
      expect(res.status).toBe(302);
    }
    const header = b.cookieHeader(stack.url) ?? '';
    const loginCookies = header.split('; ').filter((c) => c.includes('_login_'));
    expect(loginCookies.length).toBeLessThanOrEqual(5);
    expect(header.length).toBeLessThan(4096);
    // The newest attempt still completes.
    const last = await b.request(`${stack.url}/tab/final`);
    const done = await b.signIn(last.headers.get('location')!, 'bob', 'Bob-Passw0rd!');
    expect(done.url).toBe(`${stack.url}/tab/final`);
  });

  it('replaces a previous session on a new sign-in (no session fixation)', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const before = b.cookieHeader(stack.url);
    const res = await b.follow(`${stack.url}/_auth/login?rd=%2Fafter&prompt=login`);
    const done = await b.submitForm(res.url, await res.res.text(), { username: 'alice', password: 'Alice-Passw0rd!' });
    expect(done.url).toBe(`${stack.url}/after`);
    expect(b.cookieHeader(stack.url)).not.toBe(before);
    const me = (await (await b.request(`${stack.url}/_auth/me`)).json()) as { username: string };
    expect(me.username).toBe('alice');
  });

  it('answers API clients with 401 JSON and WWW-Authenticate instead of a redirect', async () => {
    const b = new TestBrowser();
    for (const init of [
      { headers: { accept: 'application/json' } },
      { headers: { 'x-requested-with': 'XMLHttpRequest' } },
      { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ] as RequestInit[]) {
      const res = await b.request(`${stack.url}/data`, init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await res.json()) as { error: string; request_id: string };
      expect(body.error).toBe('unauthorized');
      expect(body.request_id).toBe(res.headers.get('x-request-id'));
    }
  });

  it('signs a federated PartnerIdP user in through the provider page', async () => {
    const b = new TestBrowser();
    const done = await b.signInVia(stack.url, 'PartnerIdP', 'erin', 'Erin-Passw0rd!');
    expect(done.res.status).toBe(200);
    const me = (await (await b.request(`${stack.url}/_auth/me`)).json()) as { username: string; identityProviders: string[] };
    expect(me.username).toMatch(/^partneridp_/);
    expect(me.identityProviders).toEqual(['PartnerIdP']);
  });

  it('returns to a validated rd after an explicit sign-in, and never to another host', async () => {
    const ok = new TestBrowser();
    const good = await ok.signIn(`${stack.url}/_auth/login?rd=${encodeURIComponent('/reports?a=1&b=2')}`, 'bob', 'Bob-Passw0rd!');
    expect(good.url).toBe(`${stack.url}/reports?a=1&b=2`);
    for (const rd of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example/',
      'https:evil.example',
      '/%2F%2Fevil.example',
      'https://127.0.0.1.evil.example/',
    ]) {
      const b = new TestBrowser();
      const done = await b.signIn(`${stack.url}/_auth/login?rd=${encodeURIComponent(rd)}`, 'bob', 'Bob-Passw0rd!');
      expect(done.url, rd).toBe(`${stack.url}/`);
    }
  });
});

describe('forwarding the access token (large sessions)', () => {
  let big: Stack;
  beforeAll(async () => {
    big = await startStack({ edit: (raw) => (raw.headers.accessToken = 'authorization') });
  });
  afterAll(() => big?.close());

  it('keeps the access token in a session split across numbered cookies and forwards it as Authorization', async () => {
    const b = new TestBrowser();
    await b.signIn(`${big.url}/`, 'alice', 'Alice-Passw0rd!');
    const names = [...b.cookies('127.0.0.1').keys()].filter((n) => n.includes('_session'));
    expect(names.sort()).toEqual(['_cgw_session_0', '_cgw_session_1']);
    const res = await b.request(`${big.url}/x`, { headers: { accept: 'application/json' } });
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers.authorization).toMatch(/^Bearer eyJ/);
    const claims = JSON.parse(Buffer.from(seen.headers.authorization!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ token_use: 'access', username: 'alice', client_id: 'demo-gateway' });
    expect(seen.headers.cookie ?? '').not.toMatch(/_cgw/);
  });
});

describe('unverified email addresses', () => {
  async function setBobVerified(s: Stack, v: 'true' | 'false') {
    const { AdminUpdateUserAttributesCommand, CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider');
    const sdk = new CognitoIdentityProviderClient({ endpoint: s.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await sdk.send(
      new AdminUpdateUserAttributesCommand({ UserPoolId: 'us-east-1_DemoPool1', Username: 'bob', UserAttributes: [{ Name: 'email_verified', Value: v }] }),
    );
  }

  it('are left out of identity headers and the assertion unless headers.unverifiedEmail is forward', async () => {
    await setBobVerified(stack, 'false');
    try {
      const b = new TestBrowser();
      await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
      const seen = await echo(b, '/x');
      expect(seen.headers['x-auth-user']).toBe('bob');
      expect(seen.headers['x-auth-email']).toBeUndefined();
      const assertion = JSON.parse(Buffer.from(seen.headers['x-auth-assertion']!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(assertion.email).toBeUndefined();
    } finally {
      await setBobVerified(stack, 'true');
    }

    const forwarding = await startStack({ edit: (raw) => (raw.headers.unverifiedEmail = 'forward') });
    try {
      await setBobVerified(forwarding, 'false');
      const b2 = new TestBrowser();
      await b2.signIn(`${forwarding.url}/`, 'bob', 'Bob-Passw0rd!');
      const me = (await (await b2.request(`${forwarding.url}/_auth/me`)).json()) as { emailVerified: boolean };
      expect(me.emailVerified).toBe(false);
      const res = await b2.request(`${forwarding.url}/x`, { headers: { accept: 'application/json' } });
      expect(((await res.json()) as { headers: Record<string, string> }).headers['x-auth-email']).toBe('bob@example.com');
    } finally {
      await forwarding.close();
    }
  });
});

describe('per-app sign-in hints', () => {
  let hinted: Stack;
  beforeAll(async () => {
    hinted = await startStack({
      edit: (raw) => {
        const partners = raw.apps.find((a: { id: string }) => a.id === 'partners');
        partners.login = { identityProvider: 'PartnerIdP', extraScopes: ['phone'] };
      },
    });
  });
  afterAll(() => hinted?.close());

  it('sends the identity_provider hint and extra scopes of the app being asked for', async () => {
    const b = new TestBrowser();
    const res = await b.request(`${hinted.url}/partners/deals`);
    expect(res.status).toBe(302);
    const authorize = new URL(res.headers.get('location')!);
    expect(authorize.searchParams.get('identity_provider')).toBe('PartnerIdP');
    expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'phone']));
    // The hint skips the pool's own form: the browser lands on the provider's page, signs in as erin.
    const done = await b.signIn(`${hinted.url}/partners/deals`, 'erin', 'Erin-Passw0rd!');
    expect(done.url).toBe(`${hinted.url}/partners/deals`);
    expect(done.res.status).toBe(200);
    // Other apps keep the pool's own sign-in.
    const other = await new TestBrowser().request(`${hinted.url}/anything`);
    expect(new URL(other.headers.get('location')!).searchParams.get('identity_provider')).toBeNull();
  });
});
