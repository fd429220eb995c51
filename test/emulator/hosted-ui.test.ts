/**
 * The emulator's hosted UI as Cognito's behaves: authorize shows the form and redirects to the
 * redirect_uri with a code and the state; its session cookie skips the form (not with prompt=login);
 * prompt=none without a session answers login_required; form errors for a wrong password, unknown or
 * disabled user; no form post without the CSRF cookie; an unknown client or unregistered redirect_uri
 * goes to /error, never to the redirect_uri; request errors go to a valid redirect_uri; unknown scopes
 * are dropped. Also the signInWithPassword helper, /logout (registered logout_uri only), and federated
 * sign-in through PartnerIdP (replayed or forged provider answers refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithPassword, startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { authorizeUrl, basic, CALLBACK, claimsOf, PASSWORDS, pkce, POOL, postForm } from './helpers';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(() => emu.close());

/** One manual-redirect request; returns status, Location (absolute) and Set-Cookie pairs. */
async function get(url: string, cookie?: string) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const location = res.headers.get('location');
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const body = await res.text();
  return { status: res.status, location: location ? new URL(location, url).toString() : undefined, cookies, body };
}

/** Signs in by hand (GET authorize -> GET login -> POST login) and keeps the hosted-UI cookie. */
async function signInByHand(url: string, username: string, password: string) {
  const toLogin = await get(url);
  expect(toLogin.status).toBe(302);
  const form = await get(toLogin.location!);
  expect(form.status).toBe(200);
  expect(form.body).toContain('name="username"');
  expect(form.body).toContain('name="password"');
  const csrfCookie = form.cookies.find((c) => c.startsWith('XSRF-TOKEN='))!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const res = await fetch(toLogin.location!, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
  });
  return {
    status: res.status,
    location: res.headers.get('location') ?? undefined,
    session: res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('cognito=')),
    body: await res.text(),
  };
}

describe('authorize and sign-in form', () => {
  it('redirects to the form, then to the redirect_uri with code and state', async () => {
    const r = await signInByHand(authorizeUrl(emu, { state: 'abc_-123' }), 'alice', PASSWORDS.alice!);
    expect(r.status).toBe(302);
    const cb = new URL(r.location!);
    expect(`${cb.origin}${cb.pathname}`).toBe(CALLBACK);
    expect(cb.searchParams.get('state')).toBe('abc_-123');
    expect(cb.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{36}$/); // 27 random bytes, base64url
    expect(r.session).toMatch(/^cognito=.+/);
  });

  it('a second authorize with the hosted-UI cookie skips the form; prompt=login does not', async () => {
    const first = await signInByHand(authorizeUrl(emu, {}), 'bob', PASSWORDS.bob!);
    const again = await get(authorizeUrl(emu, { state: 's2' }), first.session);
    expect(again.status).toBe(302);
    const cb = new URL(again.location!);
    expect(cb.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{36}$/); // 27 random bytes, base64url
    expect(cb.searchParams.get('state')).toBe('s2');
    const forced = await get(authorizeUrl(emu, { prompt: 'login' }), first.session);
    expect(new URL(forced.location!).pathname).toBe('/login');
  });

  it('prompt=none without a session answers login_required at the redirect_uri', async () => {
    const r = await get(authorizeUrl(emu, { prompt: 'none' }));
    const cb = new URL(r.location!);
    expect(cb.searchParams.get('error')).toBe('login_required');
    expect(cb.searchParams.get('state')).toBe('st4te');
  });

  it('shows an error on the form for a wrong password, an unknown user, and a disabled user', async () => {
    for (const [user, pass, message] of [
      ['alice', 'wrong', 'Incorrect username or password.'],
      ['nobody', 'x', 'Incorrect username or password.'],
      ['dave', PASSWORDS.dave!, 'User is disabled.'],
    ] as const) {
      const r = await signInByHand(authorizeUrl(emu, {}), user, pass);
      expect(r.status).toBe(200);
      expect(r.body).toContain(message);
      expect(r.session).toBeUndefined();
    }
  });

  it('refuses a form post without the CSRF cookie', async () => {
    const toLogin = await get(authorizeUrl(emu, {}));
    const res = await fetch(toLogin.location!, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'x', username: 'alice', password: PASSWORDS.alice! }).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('expired');
  });

  it('sends an unknown client or an unregistered redirect_uri to /error, never to the redirect_uri', async () => {
    const cases: Array<Record<string, string>> = [{ client_id: 'nope' }, { redirect_uri: 'https://evil.example/cb' }, { redirect_uri: `${CALLBACK}/` }];
    for (const params of cases) {
      const r = await get(authorizeUrl(emu, params));
      expect(r.status).toBe(302);
      const to = new URL(r.location!);
      expect(to.pathname).toBe('/error');
      expect(to.searchParams.get('error')).toBe('redirect_mismatch');
      expect((await get(r.location!)).body).toContain('redirect_mismatch');
    }
  });

  it('reports request errors at a valid redirect_uri', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ code_challenge: pkce().challenge, code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: pkce().challenge, code_challenge_method: '' }, 'invalid_request'],
      [{ scope: 'demo-api/read' }, 'invalid_scope'],
      [{ response_type: 'id_token' }, 'unsupported_response_type'],
      [{ identity_provider: 'NoSuchIdP' }, 'invalid_request'],
    ];
    for (const [params, error] of cases) {
      const cb = new URL((await get(authorizeUrl(emu, params))).location!);
      expect(`${cb.origin}${cb.pathname}`).toBe(CALLBACK);
      expect(cb.searchParams.get('error')).toBe(error);
      expect(cb.searchParams.get('state')).toBe('st4te');
    }
  });

  it('drops scopes the client lacks silently', async () => {
    const cb = new URL(await signInWithPassword(authorizeUrl(emu, { scope: 'openid email aws.cognito.signin.user.admin' }), 'bob', PASSWORDS.bob!));
    const res = await postForm(
      `${emu.hostedUiBase}/oauth2/token`,
      { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: CALLBACK },
      { authorization: basic('demo-gateway', 'demo-gateway-secret') },
    );
    expect(claimsOf(res.json.access_token as string).scope).toBe('openid email');
  });
});

describe('signInWithPassword helper', () => {
  it('returns the callback URL with code and state', async () => {
    const url = await signInWithPassword(authorizeUrl(emu, { state: 'xyz' }), 'carol', PASSWORDS.carol!);
    expect(url.startsWith(`${CALLBACK}?`)).toBe(true);
    expect(new URL(url).searchParams.get('state')).toBe('xyz');
  });

  it('throws with the form message on a wrong password', async () => {
    await expect(signInWithPassword(authorizeUrl(emu, {}), 'carol', 'nope')).rejects.toThrow(/Incorrect username or password/);
  });
});

describe('logout', () => {
  it('ends the hosted-UI session and redirects to a registered logout_uri', async () => {
    const r = await signInByHand(authorizeUrl(emu, {}), 'alice', PASSWORDS.alice!);
    const out = await get(`${emu.hostedUiBase}/logout?client_id=demo-gateway&logout_uri=${encodeURIComponent('http://127.0.0.1:8787/')}`, r.session);
    expect(out.status).toBe(302);
    expect(out.location).toBe('http://127.0.0.1:8787/');
    expect(out.cookies.some((c) => c === 'cognito=')).toBe(true);
    // The old cookie no longer skips the form.
    const again = await get(authorizeUrl(emu, {}), r.session);
    expect(new URL(again.location!).pathname).toBe('/login');
  });

  it('refuses an unregistered logout_uri', async () => {
    const out = await get(`${emu.hostedUiBase}/logout?client_id=demo-gateway&logout_uri=${encodeURIComponent('https://evil.example/')}`);
    expect(new URL(out.location!).pathname).toBe('/error');
  });

  it('the redirect_uri form signs out and shows the sign-in page', async () => {
    const q = new URLSearchParams({ client_id: 'demo-gateway', redirect_uri: CALLBACK, response_type: 'code' });
    const out = await get(`${emu.hostedUiBase}/logout?${q}`);
    expect(new URL(out.location!).pathname).toBe('/login');
  });
});

describe('federated sign-in through PartnerIdP', () => {
  it('goes to the provider page, then back with tokens for partneridp_<sub>', async () => {
    const url = authorizeUrl(emu, { identity_provider: 'PartnerIdP' });
    const first = await get(url);
    const idpPage = new URL(first.location!);
    expect(idpPage.host).not.toBe(new URL(emu.hostedUiBase).host);
    expect(idpPage.pathname).toBe('/_idp/PartnerIdP/authorize');
    const page = await get(first.location!);
    expect(page.body).toContain('PartnerIdP sign-in');
    // The pool's own users are not the provider's.
    await expect(signInWithPassword(url, 'alice', PASSWORDS.alice!)).rejects.toThrow(/Incorrect/);

    const cb = new URL(await signInWithPassword(url, 'erin', PASSWORDS.erin!));
    expect(cb.searchParams.get('state')).toBe('st4te');
    const res = await postForm(
      `${emu.hostedUiBase}/oauth2/token`,
      { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: CALLBACK },
      { authorization: basic('demo-gateway', 'demo-gateway-secret') },
    );
    expect(res.status).toBe(200);
    const id = claimsOf(res.json.id_token as string);
    expect(id['cognito:username']).toBe('partneridp_7f1c2a9e-erin-partner-0001');
    expect(id['cognito:groups']).toEqual([`${POOL}_PartnerIdP`]);
    expect(id.email).toBe('erin@partner.example');
    expect(id.identities).toEqual([
      expect.objectContaining({ providerName: 'PartnerIdP', providerType: 'OIDC', userId: '7f1c2a9e-erin-partner-0001', primary: 'true' }),
    ]);
    expect(claimsOf(res.json.access_token as string).username).toBe('partneridp_7f1c2a9e-erin-partner-0001');
  });

  it('refuses a replayed or forged provider answer', async () => {
    const r = await get(`${emu.hostedUiBase}/oauth2/idpresponse?code=forged&state=nope`);
    expect(r.status).toBe(400);
  });
});
