/**
 * The password form's challenges over HTTP (real gateway, the emulator's AdminInitiateAuth and
 * AdminRespondToAuthChallenge): NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA (RFC 6238 codes computed
 * here) and SMS_MFA (the code read from the emulator as a phone would), each as JSON and as a form;
 * a new password then MFA; wrong codes; replayed, expired, tampered and foreign challenge states;
 * CSRF on the answer; and the per-user limit on wrong answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieHeaderOf, rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { TOTP_SECRET, totp, wrongTotp } from '../helpers/totp';

let stack: Stack;
let offset = 0;
beforeAll(async () => {
  stack = await startStack({
    now: () => Date.now() + offset,
    edit: (raw) => {
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
    },
  });
  const add = (user: Record<string, unknown>) => stack.emulator.addUser(POOL, user as never);
  for (const u of ['nora', 'nick', 'ned'])
    add({ username: u, password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', attributes: { email: `${u}@example.com` } });
  for (const u of ['tom', 'tina', 'wes', 'rita', 'rex', 'ivy', 'bea', 'zed', 'dora', 'ray'])
    add({ username: u, password: `${u}-Passw0rd!`, totpSecret: TOTP_SECRET, attributes: { email: `${u}@example.com` } });
  for (const u of ['sam', 'sue']) add({ username: u, password: `${u}-Passw0rd!`, smsMfa: true, attributes: { phone_number: '+15551234567' } });
  add({ username: 'chad', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', totpSecret: TOTP_SECRET });
});
afterAll(() => stack?.close());

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

function post(path: string, body: string, headers: Record<string, string>) {
  return rawRequest(stack.url, path, { method: 'POST', headers, body });
}
const signIn = (username: string, password: string, rd = '/docs') => post('/_auth/password', JSON.stringify({ username, password, rd }), JSON_TYPE);
const answer = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  post('/_auth/password/challenge', JSON.stringify(fields), { ...JSON_TYPE, ...headers });

async function csrf() {
  const res = await rawRequest(stack.url, '/_auth/password', { headers: { accept: 'application/json' } });
  return { token: (JSON.parse(res.body) as { csrf: string }).csrf, cookie: cookieHeaderOf(res.headers['set-cookie']) };
}
const hidden = (html: string, name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1]?.replaceAll('&#39;', "'");

/** The form flow's first step: the challenge page, its state, and the browser's CSRF cookie and token. */
async function formStep(username: string, password: string, rd = '/docs?x=1') {
  const { token, cookie } = await csrf();
  const res = await post('/_auth/password', new URLSearchParams({ username, password, rd, csrf: token }).toString(), {
    ...FORM_TYPE,
    cookie,
    origin: stack.url,
  });
  return { res, token, cookie, state: hidden(res.body, 'state') ?? '' };
}
const postForm = (fields: Record<string, string>, cookie: string, headers: Record<string, string> = {}) =>
  post('/_auth/password/challenge', new URLSearchParams(fields).toString(), { ...FORM_TYPE, cookie, origin: stack.url, ...headers });

const whoAmI = async (setCookie: string | string[] | undefined) =>
  JSON.parse((await rawRequest(stack.url, '/_auth/me', { headers: { cookie: cookieHeaderOf(setCookie) } })).body) as Record<string, unknown>;

describe('NEW_PASSWORD_REQUIRED', () => {
  it('JSON: the step names the challenge and a sealed state; a weak password is refused with the policy; a good one signs in', async () => {
    const first = await signIn('nora', 'Temp-Passw0rd!');
    const step = JSON.parse(first.body);
    expect(first.status).toBe(200);
    expect(step).toMatchObject({
      signedIn: false,
      challenge: 'NEW_PASSWORD_REQUIRED',
      step: `${stack.url}/_auth/password/challenge`,
      fields: ['newPassword'],
      expiresIn: 900,
      returnTo: '/docs',
    });
    // Sealed: iron's format, nothing of the username or Cognito's Session readable in it.
    expect(step.state).toMatch(/^Fe26\.2\*/);
    expect(step.state).not.toContain('nora');
    expect(first.headers['set-cookie']).toBeUndefined();

    const weak = await answer({ state: step.state, newPassword: 'short' });
    expect([weak.status, JSON.parse(weak.body).error, JSON.parse(weak.body).error_description]).toEqual([
      400,
      'new_password_rejected',
      'Password did not conform with policy: Password must have uppercase, lowercase, numeric and symbol characters and at least 8 characters',
    ]);
    const done = await answer({ state: step.state, newPassword: 'Nora-N3w-Passw0rd!' });
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'nora', returnTo: '/docs' }]);
    expect(await whoAmI(done.headers['set-cookie'])).toMatchObject({ username: 'nora', authMethod: 'session' });
    // The new password is the password now: the next sign-in needs no challenge.
    expect(JSON.parse((await signIn('nora', 'Nora-N3w-Passw0rd!')).body)).toMatchObject({ signedIn: true, username: 'nora' });
    expect(stack.audit.filter((e) => e.type === 'sign-in' && e.user === 'nora').map((e) => e.authMethod)).toEqual(['password', 'password']);
    // Neither the new password nor the state reaches a log line.
    expect(JSON.stringify(stack.logs)).not.toContain('Nora-N3w-Passw0rd!');
    expect(JSON.stringify(stack.logs)).not.toContain(step.state.slice(0, 60));
  });

  it('form: a page with the new-password field, the state and the CSRF token; the answer redirects to rd with a session', async () => {
    const { res, token, cookie, state } = await formStep('nick', 'Temp-Passw0rd!');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.body).toContain('<form method="post" action="/_auth/password/challenge" name="challengeForm" data-challenge="NEW_PASSWORD_REQUIRED">');
    expect(res.body).toContain('name="newPassword" type="password" autocomplete="new-password"');
    expect(hidden(res.body, 'csrf')).toBe(token);
    expect(state).toMatch(/^Fe26\.2\*/);

    const weak = await postForm({ state, csrf: token, newPassword: 'weakweak' }, cookie);
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('role="alert">Password did not conform with policy');
    expect(hidden(weak.body, 'state')).toBe(state);
    const done = await postForm({ state, csrf: token, newPassword: 'Nick-N3w-Passw0rd!' }, cookie);
    expect([done.status, done.headers.location]).toEqual([303, '/docs?x=1']);
    const page = await rawRequest(stack.url, '/docs?x=1', { headers: { accept: 'application/json', cookie: cookieHeaderOf(done.headers['set-cookie']) } });
    expect((JSON.parse(page.body) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('nick');
    // The login CSRF cookie is cleared with the sign-in.
    expect([done.headers['set-cookie']].flat().some((c) => /^_cgw_login_csrf=;/.test(c!))).toBe(true);
  });
});

describe('SOFTWARE_TOKEN_MFA', () => {
  it('JSON: the current code signs in', async () => {
    const step = JSON.parse((await signIn('tom', 'tom-Passw0rd!')).body);
    expect(step).toMatchObject({ signedIn: false, challenge: 'SOFTWARE_TOKEN_MFA', fields: ['code'] });
    const done = await answer({ state: step.state, code: totp(TOTP_SECRET, Date.now()) });
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'tom', returnTo: '/docs' }]);
  });

  it('form: the code page; a wrong code shows the page again with the error; the right one redirects', async () => {
    const { res, token, cookie, state } = await formStep('tina', 'tina-Passw0rd!', '/docs');
    expect(res.body).toContain('data-challenge="SOFTWARE_TOKEN_MFA"');
    expect(res.body).toContain('<title>Enter your authenticator code</title>');
    expect(res.body).toContain('name="code" type="text" inputmode="numeric" autocomplete="one-time-code"');
    const wrong = await postForm({ state, csrf: token, code: wrongTotp(TOTP_SECRET, Date.now()) }, cookie);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('role="alert">That code is not right (or has already changed). Enter the current code.</p>');
    expect(hidden(wrong.body, 'state')).toBe(state);
    const done = await postForm({ state, csrf: token, code: totp(TOTP_SECRET, Date.now()) }, cookie);
    expect([done.status, done.headers.location]).toEqual([303, '/docs']);
    expect(await whoAmI(done.headers['set-cookie'])).toMatchObject({ username: 'tina' });
  });

  it('JSON: a wrong code is 401 mfa_code_mismatch and the same state may try again; a malformed code costs nothing', async () => {
    const step = JSON.parse((await signIn('wes', 'wes-Passw0rd!')).body);
    const malformed = await answer({ state: step.state, code: '12ab' });
    expect([malformed.status, JSON.parse(malformed.body).error, JSON.parse(malformed.body).error_description]).toEqual([
      400,
      'invalid_request',
      'Enter the 6-digit code.',
    ]);
    const wrong = await answer({ state: step.state, code: wrongTotp(TOTP_SECRET, Date.now()) });
    expect([wrong.status, JSON.parse(wrong.body).error]).toEqual([401, 'mfa_code_mismatch']);
    expect(JSON.parse(wrong.body).request_id).toBe(wrong.headers['x-request-id']);
    const done = await answer({ state: step.state, code: totp(TOTP_SECRET, Date.now()) });
    expect(JSON.parse(done.body)).toMatchObject({ signedIn: true, username: 'wes' });
    expect(stack.audit.some((e) => e.type === 'sign-in-failed' && e.reason === 'challenge_code_mismatch')).toBe(true);
    expect(stack.logs.find((l) => l.msg === 'password challenge answer refused' && l.reason === 'code_mismatch')).toMatchObject({
      challenge: 'SOFTWARE_TOKEN_MFA',
      app: 'demo',
    });
  });
});

describe('SMS_MFA', () => {
  it('JSON: the step names the masked phone; the texted code signs in', async () => {
    const step = JSON.parse((await signIn('sam', 'sam-Passw0rd!')).body);
    expect(step).toMatchObject({ signedIn: false, challenge: 'SMS_MFA', fields: ['code'], destination: '+*******4567' });
    const sms = stack.emulator.lastSms(POOL, 'sam');
    expect(sms.to).toBe('+15551234567');
    const done = await answer({ state: step.state, code: sms.code });
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'sam', returnTo: '/docs' }]);
  });

  it('form: the page says where the code went; the texted code redirects', async () => {
    const { res, token, cookie, state } = await formStep('sue', 'sue-Passw0rd!', '/docs');
    expect(res.body).toContain('data-challenge="SMS_MFA"');
    expect(res.body).toContain('Enter the 6-digit code sent by text message to +*******4567.');
    const done = await postForm({ state, csrf: token, code: stack.emulator.lastSms(POOL, 'sue').code }, cookie);
    expect([done.status, done.headers.location]).toEqual([303, '/docs']);
    expect(await whoAmI(done.headers['set-cookie'])).toMatchObject({ username: 'sue' });
  });
});

describe('chained challenges', () => {
  it('a new password, then the TOTP code, each with its own state', async () => {
    const first = JSON.parse((await signIn('chad', 'Temp-Passw0rd!')).body);
    expect(first.challenge).toBe('NEW_PASSWORD_REQUIRED');
    const second = await answer({ state: first.state, newPassword: 'Chad-N3w-Passw0rd!' });
    const step = JSON.parse(second.body);
    expect([second.status, step.signedIn, step.challenge, step.fields]).toEqual([200, false, 'SOFTWARE_TOKEN_MFA', ['code']]);
    expect(step.state).not.toBe(first.state);
    expect(second.headers['set-cookie']).toBeUndefined();
    const done = await answer({ state: step.state, code: totp(TOTP_SECRET, Date.now()) });
    expect(JSON.parse(done.body)).toEqual({ signedIn: true, username: 'chad', returnTo: '/docs' });
  });
});

describe('the challenge state', () => {
  it('is single use: replaying it after the sign-in is 401 challenge_expired', async () => {
    const step = JSON.parse((await signIn('rex', 'rex-Passw0rd!')).body);
    const code = totp(TOTP_SECRET, Date.now());
    expect((await answer({ state: step.state, code })).status).toBe(200);
    const replay = await answer({ state: step.state, code });
    expect([replay.status, JSON.parse(replay.body).error]).toEqual([401, 'challenge_expired']);
  });

  it("a form's replay gets the catalogue page with the way back to the site's form", async () => {
    const { token, cookie } = await csrf();
    const form = new URLSearchParams({ username: 'ray', password: 'ray-Passw0rd!', rd: '/docs', csrf: token }).toString();
    const first = await post('/_auth/password', form, { ...FORM_TYPE, cookie, origin: stack.url, referer: `${stack.url}/public/login?from=nav` });
    const state = hidden(first.body, 'state') ?? '';
    const code = totp(TOTP_SECRET, Date.now());
    expect((await postForm({ state, csrf: token, code }, cookie)).status).toBe(303);
    const replay = await postForm({ state, csrf: token, code }, cookie, { accept: 'text/html,application/xhtml+xml' });
    expect([replay.status, replay.headers['content-type']]).toEqual([401, 'text/html; charset=utf-8']);
    expect(replay.body).toContain('This sign-in step expired or was already completed.');
    expect(replay.body).toContain('<a class="button" href="/public/login?from=nav">Back to the sign-in form</a>');
  });

  it('expires with the gateway clock (15 minutes): 401 challenge_expired', async () => {
    const step = JSON.parse((await signIn('ivy', 'ivy-Passw0rd!')).body);
    offset = 15 * 60_000 + 1000;
    try {
      const late = await answer({ state: step.state, code: totp(TOTP_SECRET, Date.now()) });
      expect([late.status, JSON.parse(late.body).error, JSON.parse(late.body).error_description]).toEqual([
        401,
        'challenge_expired',
        'This sign-in step expired or was already completed.',
      ]);
    } finally {
      offset = 0;
    }
  });

  it('refuses a tampered state, another purpose’s seal and a state bound to another browser with 400 challenge_invalid', async () => {
    const step = JSON.parse((await signIn('bea', 'bea-Passw0rd!')).body);
    const i = step.state.length - 10;
    const tampered = step.state.slice(0, i) + (step.state[i] === 'A' ? 'B' : 'A') + step.state.slice(i + 1);
    const bad = await answer({ state: tampered, code: '123456' });
    expect([bad.status, JSON.parse(bad.body).error]).toEqual([400, 'challenge_invalid']);
    // A session cookie is a seal with the same secrets, but for another purpose.
    const alice = await signIn('alice', 'Alice-Passw0rd!');
    const sessionSeal = /_cgw_session=([^;]+)/.exec(cookieHeaderOf(alice.headers['set-cookie']))![1]!;
    const foreign = await answer({ state: decodeURIComponent(sessionSeal), code: '123456' });
    expect([foreign.status, JSON.parse(foreign.body).error]).toEqual([400, 'challenge_invalid']);
    expect(stack.logs.some((l) => l.msg === 'challenge answer refused: unreadable, altered or foreign challenge state')).toBe(true);

    // A form's state works only with the CSRF cookie of the browser it was given to.
    const form = await formStep('zed', 'zed-Passw0rd!');
    const other = await csrf();
    const elsewhere = await postForm({ state: form.state, csrf: other.token, code: totp(TOTP_SECRET, Date.now()) }, other.cookie);
    expect([elsewhere.status, JSON.parse(elsewhere.body).error]).toEqual([400, 'challenge_invalid']);
    const asJson = await answer({ state: form.state, code: totp(TOTP_SECRET, Date.now()) });
    expect([asJson.status, JSON.parse(asJson.body).error]).toEqual([400, 'challenge_invalid']);
    const home = await postForm({ state: form.state, csrf: form.token, code: totp(TOTP_SECRET, Date.now()) }, form.cookie);
    expect(home.status).toBe(303);
  });

  it('a user disabled between the steps gets 403 user_disabled', async () => {
    const step = JSON.parse((await signIn('dora', 'dora-Passw0rd!')).body);
    stack.emulator.setUserEnabled(POOL, 'dora', false);
    const res = await answer({ state: step.state, code: totp(TOTP_SECRET, Date.now()) });
    expect([res.status, JSON.parse(res.body).error]).toEqual([403, 'user_disabled']);
  });

  it('an answer without a state is 400 invalid_request; GET is 405 with Allow: POST', async () => {
    const none = await answer({ code: '123456' });
    expect([none.status, JSON.parse(none.body).error]).toEqual([400, 'invalid_request']);
    const get = await rawRequest(stack.url, '/_auth/password/challenge', { headers: { accept: 'application/json' } });
    expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
  });
});

describe('CSRF on the answer', () => {
  it('refuses a cross-site answer and a form without its token with 403 csrf_rejected', async () => {
    const step = JSON.parse((await signIn('ned', 'Temp-Passw0rd!')).body);
    const cross = await answer({ state: step.state, newPassword: 'Ned-N3w-Passw0rd!' }, { 'sec-fetch-site': 'cross-site' });
    expect([cross.status, JSON.parse(cross.body).error]).toEqual([403, 'csrf_rejected']);
    const evil = await answer({ state: step.state, newPassword: 'Ned-N3w-Passw0rd!' }, { origin: 'https://evil.example' });
    expect([evil.status, JSON.parse(evil.body).error]).toEqual([403, 'csrf_rejected']);
    const noToken = await post('/_auth/password/challenge', new URLSearchParams({ state: step.state, newPassword: 'Ned-N3w-Passw0rd!' }).toString(), {
      ...FORM_TYPE,
      accept: 'application/json',
    });
    expect([noToken.status, JSON.parse(noToken.body).error]).toEqual([403, 'csrf_rejected']);
    // None of these reached Cognito: the password is still temporary, and the state still answers.
    const done = await answer({ state: step.state, newPassword: 'Ned-N3w-Passw0rd!' });
    expect(JSON.parse(done.body)).toMatchObject({ signedIn: true, username: 'ned' });
  });
});

describe('the limit on wrong answers', () => {
  it('5 wrong codes per user in 15 minutes, then 429 with Retry-After, even for the right code and a new state', async () => {
    const step = JSON.parse((await signIn('rita', 'rita-Passw0rd!')).body);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await answer({ state: step.state, code: wrongTotp(TOTP_SECRET, Date.now()) })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await answer({ state: step.state, code: totp(TOTP_SECRET, Date.now()) });
    expect([limited.status, JSON.parse(limited.body).error]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const again = JSON.parse((await signIn('rita', 'rita-Passw0rd!')).body);
    expect((await answer({ state: again.state, code: totp(TOTP_SECRET, Date.now()) })).status).toBe(429);
    // Another user is not affected.
    const other = JSON.parse((await signIn('tom', 'tom-Passw0rd!')).body);
    expect((await answer({ state: other.state, code: totp(TOTP_SECRET, Date.now()) })).status).toBe(200);
  });
});
