/**
 * Password sign-in with `idp.passwordAuthFlow: user` over HTTP (real gateway, the emulator's public
 * InitiateAuth / RespondToAuthChallenge, the demo pool's `demo-user-password` client, which allows
 * only ALLOW_USER_PASSWORD_AUTH): the gateway has NO AWS credentials, and a recording proxy in front
 * of the emulator shows every call is unsigned and none is an admin operation. The form and JSON
 * sign in, a wrong password and an unknown user get the same answer, a disabled user is refused, a
 * challenge is answered, Basic auth follows, the limits are the same, and a client that does not
 * allow the flow gets a precise catalogue error and a log line.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieHeaderOf, rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { TOTP_SECRET, totp } from '../helpers/totp';

const CLIENT = { id: 'demo-user-password', secret: 'demo-user-password-secret' };

/** What reached the emulator: operation and whether the request was signed. */
interface Seen {
  operation: string;
  authorization: string | undefined;
}

/** A loopback HTTP proxy in front of the emulator that records each admin-API request. */
async function recordingProxy(target: () => string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const operation =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    seen.push({ operation, authorization: req.headers.authorization });
    const upstream = new URL(target());
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let stack: Stack;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
const savedAwsEnv: Record<string, string | undefined> = {};
beforeAll(async () => {
  // Nothing AWS in the environment either: the SDK's default credential chain would find nothing.
  for (const k of Object.keys(process.env).filter((k) => k.startsWith('AWS_'))) {
    savedAwsEnv[k] = process.env[k];
    delete process.env[k];
  }
  let emulatorUrl = '';
  proxy = await recordingProxy(() => emulatorUrl);
  stack = await startStack({
    withoutAwsCredentials: true,
    env: { COGNITO_ENDPOINT: proxy.url },
    edit: (raw) => {
      Object.assign(raw.idp, { clientId: CLIENT.id, clientSecret: CLIENT.secret, passwordAuthFlow: 'user' });
      for (const app of raw.apps as Array<{ id: string; cognito?: Record<string, boolean> }>) delete app.cognito;
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
    },
  });
  emulatorUrl = stack.emulator.url;
  const add = (user: Record<string, unknown>) => stack.emulator.addUser(POOL, user as never);
  add({ username: 'una', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', attributes: { email: 'una@example.com' } });
  add({ username: 'tam', password: 'Tam-Passw0rd!', totpSecret: TOTP_SECRET, attributes: { email: 'tam@example.com' } });
});
afterAll(async () => {
  await stack?.close();
  await proxy?.close();
  Object.assign(process.env, savedAwsEnv);
});

const JSON_TYPE = { 'content-type': 'application/json' };
const post = (path: string, body: string, headers: Record<string, string>) => rawRequest(stack.url, path, { method: 'POST', headers, body });
const signIn = (username: string, password: string, rd = '/docs') => post('/_auth/password', JSON.stringify({ username, password, rd }), JSON_TYPE);
const operations = () => [...new Set(proxy.seen.map((s) => s.operation))].sort();

describe('idp.passwordAuthFlow: user, without AWS credentials', () => {
  it('the gateway runs with no AWS credentials anywhere', () => {
    expect(stack.config.idp.passwordAuthFlow).toBe('user');
    expect(Object.keys(process.env).filter((k) => k.startsWith('AWS_'))).toEqual([]);
  });

  it('a form with its CSRF token signs alice in through InitiateAuth, unsigned', async () => {
    const page = await rawRequest(stack.url, '/_auth/password', { headers: { accept: 'application/json' } });
    const token = (JSON.parse(page.body) as { csrf: string }).csrf;
    const form = new URLSearchParams({ username: 'alice', password: 'Alice-Passw0rd!', rd: '/docs?x=1', csrf: token }).toString();
    const res = await post('/_auth/password', form, {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookieHeaderOf(page.headers['set-cookie']),
      origin: stack.url,
    });
    expect([res.status, res.headers.location]).toEqual([303, '/docs?x=1']);
    const docs = await rawRequest(stack.url, '/docs?x=1', { headers: { accept: 'application/json', cookie: cookieHeaderOf(res.headers['set-cookie']) } });
    expect(docs.status).toBe(200);
    expect((JSON.parse(docs.body) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('alice');
    const calls = proxy.seen.filter((s) => s.operation === 'InitiateAuth');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.map((s) => s.authorization)).toEqual(calls.map(() => undefined));
  });

  it('JSON signs bob in; the session is the realm of demo-user-password', async () => {
    const res = await signIn('bob', 'Bob-Passw0rd!');
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { signedIn: true, username: 'bob', returnTo: '/docs' }]);
    const me = await rawRequest(stack.url, '/_auth/me', { headers: { cookie: cookieHeaderOf(res.headers['set-cookie']) } });
    expect(JSON.parse(me.body)).toMatchObject({ username: 'bob', authMethod: 'session' });
    expect(stack.audit.find((e) => e.type === 'sign-in' && e.user === 'bob')).toMatchObject({ authMethod: 'password', app: 'demo' });
  });

  it('a wrong password and an unknown user get the same 401; a disabled user 403 user_disabled', async () => {
    const answerOf = (r: { status: number; body: string }) => [r.status, JSON.parse(r.body).error, JSON.parse(r.body).error_description];
    const same = [401, 'invalid_credentials', 'Incorrect username or password.'];
    expect(answerOf(await signIn('carol', 'nope'))).toEqual(same);
    expect(answerOf(await signIn('nobody-here', 'nope'))).toEqual(same);
    const dave = await signIn('dave', 'Dave-Passw0rd!');
    expect([dave.status, JSON.parse(dave.body).error]).toEqual([403, 'user_disabled']);
  });

  it('NEW_PASSWORD_REQUIRED, then tokens, through RespondToAuthChallenge', async () => {
    const step = JSON.parse((await signIn('una', 'Temp-Passw0rd!')).body);
    expect(step).toMatchObject({ signedIn: false, challenge: 'NEW_PASSWORD_REQUIRED', fields: ['newPassword'] });
    const done = await post('/_auth/password/challenge', JSON.stringify({ state: step.state, newPassword: 'Una-N3w-Passw0rd!' }), JSON_TYPE);
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'una', returnTo: '/docs' }]);
    expect(JSON.parse((await signIn('una', 'Una-N3w-Passw0rd!')).body)).toMatchObject({ signedIn: true, username: 'una' });
  });

  it('SOFTWARE_TOKEN_MFA through RespondToAuthChallenge', async () => {
    const step = JSON.parse((await signIn('tam', 'Tam-Passw0rd!')).body);
    expect(step).toMatchObject({ signedIn: false, challenge: 'SOFTWARE_TOKEN_MFA', fields: ['code'] });
    const done = await post('/_auth/password/challenge', JSON.stringify({ state: step.state, code: totp(TOTP_SECRET, Date.now()) }), JSON_TYPE);
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'tam', returnTo: '/docs' }]);
  });

  it('Authorization: Basic signs in with the same flow', async () => {
    const res = await rawRequest(stack.url, '/docs', { headers: { accept: 'application/json', authorization: `Basic ${btoa('carol:Carol-Passw0rd!')}` } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('carol');
    const wrong = await rawRequest(stack.url, '/docs', { headers: { accept: 'application/json', authorization: `Basic ${btoa('carol:wrong')}` } });
    expect([wrong.status, JSON.parse(wrong.body).error]).toEqual([401, 'invalid_credentials']);
  });

  it('limits wrong passwords per user (5 in 15 minutes) as in the admin flow', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await signIn('erin-user-flow', `wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('every call was unsigned, and none was an admin operation', () => {
    expect(operations()).toEqual(['InitiateAuth', 'RespondToAuthChallenge']);
    expect(proxy.seen.filter((s) => s.authorization !== undefined)).toEqual([]);
  });

  it('a client that does not allow USER_PASSWORD_AUTH: 503 idp_unavailable with a request id, and a log line naming the cause', async () => {
    stack.emulator.setClientSettings(POOL, CLIENT.id, { explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] });
    try {
      const res = await signIn('alice', 'Alice-Passw0rd!');
      const body = JSON.parse(res.body);
      expect([res.status, body.error]).toEqual([503, 'idp_unavailable']);
      expect(body.request_id).toMatch(/^\S{8,}$/);
      expect(res.body).not.toContain('USER_PASSWORD_AUTH');
      const line = stack.logs.findLast((l) => l.msg === 'password sign-in misconfigured');
      expect(line).toMatchObject({
        level: 'error',
        error: 'InvalidParameterException',
        detail: 'USER_PASSWORD_AUTH flow not enabled for this client',
        clientId: CLIENT.id,
        flow: 'user',
      });
      expect(JSON.stringify(stack.logs)).not.toContain('Alice-Passw0rd!');
    } finally {
      stack.emulator.setClientSettings(POOL, CLIENT.id, { explicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] });
    }
  });
});
