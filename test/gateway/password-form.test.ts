/**
 * A site's own login form over HTTP (real gateway, emulator's AdminInitiateAuth): the form and JSON
 * both make the same session as the hosted UI; cross-site posts and forms without their CSRF token
 * are refused; a wrong password and an unknown user get the same answer; disabled users, apps
 * without password sign-in and too many attempts get their own precise answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieHeaderOf, rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
    },
  });
});
afterAll(() => stack?.close());

async function csrf() {
  const res = await rawRequest(stack.url, '/_auth/password', { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  return { token: (JSON.parse(res.body) as { csrf: string }).csrf, cookie: cookieHeaderOf(res.headers['set-cookie']) };
}

function post(body: string, headers: Record<string, string>) {
  return rawRequest(stack.url, '/_auth/password', { method: 'POST', headers, body });
}

describe('POST /_auth/password', () => {
  it('a form with its CSRF token signs alice in and returns her to rd with a session', async () => {
    const { token, cookie } = await csrf();
    expect(cookie).toMatch(/^_cgw_login_csrf=/);
    const form = new URLSearchParams({ username: 'alice', password: 'Alice-Passw0rd!', rd: '/docs?x=1', csrf: token }).toString();
    const res = await post(form, { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: stack.url });
    expect([res.status, res.headers.location]).toEqual([303, '/docs?x=1']);
    const session = cookieHeaderOf(res.headers['set-cookie']);
    expect(session).toMatch(/_cgw_session=Fe26\.2\*/);
    const page = await rawRequest(stack.url, '/docs?x=1', { headers: { accept: 'application/json', cookie: session } });
    expect(page.status).toBe(200);
    expect((JSON.parse(page.body) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('alice');
  });

  it('JSON signs bob in (no token needed: JSON cannot be sent cross-site without a preflight)', async () => {
    const res = await post(JSON.stringify({ username: 'bob', password: 'Bob-Passw0rd!', rd: '/docs' }), { 'content-type': 'application/json' });
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { signedIn: true, username: 'bob', returnTo: '/docs' }]);
    const me = await rawRequest(stack.url, '/_auth/me', { headers: { cookie: cookieHeaderOf(res.headers['set-cookie']) } });
    expect(JSON.parse(me.body)).toMatchObject({ username: 'bob', authMethod: 'session' });
    expect(stack.audit.find((e) => e.type === 'sign-in' && e.user === 'bob')).toMatchObject({ authMethod: 'password', app: 'demo' });
  });

  it('a wrong password and an unknown user get the same 401', async () => {
    const wrong = await post(JSON.stringify({ username: 'carol', password: 'nope' }), { 'content-type': 'application/json' });
    const unknown = await post(JSON.stringify({ username: 'nobody-here', password: 'nope' }), { 'content-type': 'application/json' });
    expect([wrong.status, JSON.parse(wrong.body).error, JSON.parse(wrong.body).error_description]).toEqual([
      401,
      'invalid_credentials',
      'Incorrect username or password.',
    ]);
    expect([unknown.status, JSON.parse(unknown.body).error, JSON.parse(unknown.body).error_description]).toEqual([
      401,
      'invalid_credentials',
      'Incorrect username or password.',
    ]);
  });

  it('refuses a cross-site post, a form without its token, a disabled user and an app without password sign-in', async () => {
    const json = { 'content-type': 'application/json' };
    const body = JSON.stringify({ username: 'alice', password: 'Alice-Passw0rd!' });
    const cross = await post(body, { ...json, 'sec-fetch-site': 'cross-site' });
    expect([cross.status, JSON.parse(cross.body).error]).toEqual([403, 'csrf_rejected']);
    const evil = await post(body, { ...json, origin: 'https://evil.example' });
    expect([evil.status, JSON.parse(evil.body).error]).toEqual([403, 'csrf_rejected']);
    const noToken = await post('username=alice&password=Alice-Passw0rd!', { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
    expect([noToken.status, JSON.parse(noToken.body).error]).toEqual([403, 'csrf_rejected']);
    const dave = await post(JSON.stringify({ username: 'dave', password: 'Dave-Passw0rd!' }), json);
    expect([dave.status, JSON.parse(dave.body).error]).toEqual([403, 'user_disabled']);
    const partners = await post(JSON.stringify({ username: 'carol', password: 'Carol-Passw0rd!', rd: '/partners/' }), json);
    expect([partners.status, JSON.parse(partners.body).error]).toEqual([403, 'password_sign_in_disabled']);
  });

  it('limits wrong passwords per user (5 in 15 minutes) with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 7; i++) {
      const res = await post(JSON.stringify({ username: 'erin-local', password: `wrong-${i}` }), { 'content-type': 'application/json' });
      statuses.push(res.status);
      retryAfter = res.headers['retry-after'] ?? retryAfter;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

describe('one retention period for user data', () => {
  it('a Basic sign-in is remembered for cognitoAdmin.userCacheRetention, not longer: a disabled user is cut off after it', async () => {
    let offset = 0;
    const own = await startStack({
      now: () => Date.now() + offset,
      edit: (raw) => {
        raw.cognitoAdmin = { userCacheRetention: '15s' };
        raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
      },
    });
    try {
      const basic = () => rawRequest(own.url, '/docs', { headers: { accept: 'application/json', authorization: `Basic ${btoa('alice:Alice-Passw0rd!')}` } });
      expect((await basic()).status).toBe(200);
      own.emulator.setUserEnabled('us-east-1_DemoPool1', 'alice', false);
      offset = 10_000;
      expect((await basic()).status).toBe(200); // within the retention period: remembered
      offset = 16_000;
      const after = await basic();
      expect([after.status, JSON.parse(after.body).error]).toEqual([401, 'invalid_credentials']);
    } finally {
      own.emulator.setUserEnabled('us-east-1_DemoPool1', 'alice', true);
      await own.close();
    }
  });
});
