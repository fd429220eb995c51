/**
 * Password sign-in for API clients (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH) against the
 * emulator: SECRET_HASH as Cognito computes it; confidential and public clients; a wrong password and an
 * unknown user answered alike; disabled users, challenges and a wrong client secret (a
 * misconfiguration, not the user's fault) told apart; the password never logged. Failed attempts are
 * rate-limited per user and per client address (an IPv6 /64 as one), successes are not counted, and
 * concurrent attempts cannot overshoot the limit (stubbed clock). parseBasicAuth follows RFC 7617.
 */
import { AdminCreateUserCommand, CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, computeSecretHash, createPasswordAuthenticator, parseBasicAuth, type RateLimit } from '../../src/cognito/password-auth';
import { secretHash, startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { createMemoryLogger } from '../../src/log';
import { claimsOf } from '../emulator/helpers';
import { countingFetch, emulatorAdmin, manualClock, POOL, sdkClient } from './helpers';

let emu: RunningEmulator;
let publicClientId: string;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  // demo-spa lacks ALLOW_ADMIN_USER_PASSWORD_AUTH: a public client that has it, created with the SDK.
  const created = await sdkClient(emu).send(
    new CreateUserPoolClientCommand({
      UserPoolId: POOL,
      ClientName: 'public-api-client',
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  publicClientId = created.UserPoolClient!.ClientId!;
  await sdkClient(emu).send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'newbie', TemporaryPassword: 'Temp-Passw0rd!' }));
});
afterAll(async () => {
  await emu?.close();
});

const roomy: { perUser: RateLimit; perAddress: RateLimit } = { perUser: { max: 100, windowSeconds: 60 }, perAddress: { max: 100, windowSeconds: 60 } };

function gatewayAuth(opts: { limits?: typeof roomy; now?: () => number; secret?: string } = {}) {
  const counter = countingFetch();
  const log = createMemoryLogger();
  const auth = createPasswordAuthenticator({
    admin: emulatorAdmin(emu, { fetch: counter.fetch }),
    clientId: 'demo-gateway',
    clientSecret: opts.secret ?? 'demo-gateway-secret',
    limits: opts.limits ?? roomy,
    now: opts.now,
    log,
  });
  return { auth, counter, log };
}

describe('SECRET_HASH', () => {
  it('equals Base64(HMAC_SHA256(secret, username + clientId)) as the emulator computes it', async () => {
    expect(await computeSecretHash('demo-gateway-secret', 'alice', 'demo-gateway')).toBe(secretHash('demo-gateway-secret', 'alice', 'demo-gateway'));
    expect(await computeSecretHash('s', 'ü:ser', 'c')).toBe(secretHash('s', 'ü:ser', 'c'));
  });
});

describe('password sign-in (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH)', () => {
  it('signs in with SECRET_HASH on a confidential client', async () => {
    const { auth } = gatewayAuth();
    const r = await auth.authenticate('alice', 'Alice-Passw0rd!', '192.0.2.1');
    expect(r.ok).toBe(true);
    if (!r.ok) throw new Error('unreachable');
    expect(claimsOf(r.tokens.idToken)).toMatchObject({ 'cognito:username': 'alice', aud: 'demo-gateway', token_use: 'id' });
    expect(claimsOf(r.tokens.accessToken)).toMatchObject({ client_id: 'demo-gateway', token_use: 'access' });
    expect(r.tokens.refreshToken).toMatch(/^eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ(\.[A-Za-z0-9_-]+){4}$/); // the emulator's JWE-shaped refresh token
    expect(r.tokens.expiresIn).toBe(3600);
  });

  it('signs in without SECRET_HASH on a public client', async () => {
    const auth = createPasswordAuthenticator({ admin: emulatorAdmin(emu), clientId: publicClientId, limits: roomy });
    const r = await auth.authenticate('bob', 'Bob-Passw0rd!', '192.0.2.1');
    expect(r.ok).toBe(true);
    if (!r.ok) throw new Error('unreachable');
    expect(claimsOf(r.tokens.idToken).aud).toBe(publicClientId);
  });

  it('rejects a wrong password and an unknown user alike', async () => {
    const { auth } = gatewayAuth();
    expect(await auth.authenticate('alice', 'wrong-password', '192.0.2.2')).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(await auth.authenticate('no-such-user', 'Whatever-1!', '192.0.2.2')).toEqual({ ok: false, reason: 'invalid_credentials' });
  });

  it('reports a disabled user', async () => {
    const { auth } = gatewayAuth();
    expect(await auth.authenticate('dave', 'Dave-Passw0rd!', '192.0.2.3')).toEqual({ ok: false, reason: 'user_disabled' });
  });

  it('names a challenge (NEW_PASSWORD_REQUIRED)', async () => {
    const { auth } = gatewayAuth();
    const r = await auth.authenticate('newbie', 'Temp-Passw0rd!', '192.0.2.4');
    expect(r).toMatchObject({ ok: false, reason: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED' });
    if (r.ok) throw new Error('unreachable');
    expect(r.pending).toMatchObject({ challenge: 'NEW_PASSWORD_REQUIRED', username: 'newbie', parameters: { requiredAttributes: '[]' } });
    expect(r.pending!.session.length).toBeGreaterThan(50);
  });

  it("reports a wrong client secret as unavailable (misconfiguration), not as the user's fault", async () => {
    const { auth, log } = gatewayAuth({ secret: 'not-the-secret' });
    expect(await auth.authenticate('alice', 'Alice-Passw0rd!', '192.0.2.5')).toEqual({ ok: false, reason: 'unavailable' });
    expect(log.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('never logs the password', async () => {
    const { auth, log } = gatewayAuth({
      secret: 'not-the-secret',
      limits: { perUser: { max: 1, windowSeconds: 60 }, perAddress: { max: 1, windowSeconds: 60 } },
    });
    await auth.authenticate('carol', 'Carol-Passw0rd!', '192.0.2.6');
    await auth.authenticate('carol', 'Carol-Passw0rd!', '192.0.2.6');
    expect(log.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.lines)).not.toContain('Carol-Passw0rd!');
  });
});

describe('rate limiting of failed attempts', () => {
  it('limits per user (any address), then lets the user in after the window', async () => {
    const clock = manualClock();
    const { auth, counter } = gatewayAuth({ now: clock.now, limits: { perUser: { max: 3, windowSeconds: 60 }, perAddress: { max: 100, windowSeconds: 60 } } });
    for (let i = 0; i < 3; i++) expect(await auth.authenticate('Alice', `bad-${i}`, `198.51.100.${i}`)).toEqual({ ok: false, reason: 'invalid_credentials' });
    clock.advance(10_000);
    const limited = await auth.authenticate('alice', 'Alice-Passw0rd!', '198.51.100.99');
    expect(limited).toEqual({ ok: false, reason: 'rate_limited', retryAfterSeconds: 50 });
    expect(counter.count('AdminInitiateAuth')).toBe(3); // the limited attempt never reached Cognito
    clock.advance(50_000);
    expect((await auth.authenticate('alice', 'Alice-Passw0rd!', '198.51.100.99')).ok).toBe(true);
  });

  it('limits per client address (any user)', async () => {
    const clock = manualClock();
    const { auth } = gatewayAuth({ now: clock.now, limits: { perUser: { max: 100, windowSeconds: 60 }, perAddress: { max: 2, windowSeconds: 30 } } });
    expect((await auth.authenticate('alice', 'x-1', '203.0.113.7')).ok).toBe(false);
    expect((await auth.authenticate('bob', 'x-2', '203.0.113.7')).ok).toBe(false);
    expect(await auth.authenticate('carol', 'Carol-Passw0rd!', '203.0.113.7')).toMatchObject({ ok: false, reason: 'rate_limited' });
    expect((await auth.authenticate('carol', 'Carol-Passw0rd!', '203.0.113.8')).ok).toBe(true); // another address
    clock.advance(30_000);
    expect((await auth.authenticate('carol', 'Carol-Passw0rd!', '203.0.113.7')).ok).toBe(true);
  });

  it('counts an IPv6 /64 as one address', async () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('[2001:0db8:0001:0002:ffff:1:2:3]'));
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('does not count successes', async () => {
    const { auth } = gatewayAuth({ limits: { perUser: { max: 1, windowSeconds: 60 }, perAddress: { max: 1, windowSeconds: 60 } } });
    for (let i = 0; i < 4; i++) expect((await auth.authenticate('bob', 'Bob-Passw0rd!', '192.0.2.50')).ok).toBe(true);
  });

  it('cannot be overshot by concurrent attempts', async () => {
    const { auth, counter } = gatewayAuth({ limits: { perUser: { max: 2, windowSeconds: 60 }, perAddress: { max: 100, windowSeconds: 60 } } });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => auth.authenticate('carol', `wrong-${i}`, '192.0.2.60')));
    expect(results.filter((r) => !r.ok && r.reason === 'rate_limited').length).toBe(4);
    expect(counter.count('AdminInitiateAuth')).toBe(2);
  });
});

describe('parseBasicAuth (RFC 7617)', () => {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  it('parses user and password, with colons in the password and UTF-8', () => {
    expect(parseBasicAuth(`Basic ${b64('alice:pa:ss:word')}`)).toEqual({ username: 'alice', password: 'pa:ss:word' });
    expect(parseBasicAuth(`basic   ${b64('jörg:pässwörd€')}`)).toEqual({ username: 'jörg', password: 'pässwörd€' });
    expect(parseBasicAuth(`BASIC ${b64('u:')}`)).toEqual({ username: 'u', password: '' });
  });
  it('rejects malformed values', () => {
    for (const bad of [
      undefined,
      '',
      'Basic',
      'Basic ',
      `Bearer ${b64('a:b')}`,
      `Basic ${b64('no-colon')}`,
      `Basic ${b64(':password')}`,
      'Basic !!!!',
      'Basic YWJj=ZGVm',
      `Basic ${b64('a:b')} extra`,
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`,
      `Basic ${b64('a:b\u0000c')}`,
      'Basic A',
    ]) {
      expect(parseBasicAuth(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('answering challenges (AdminRespondToAuthChallenge)', () => {
  const TOTP = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  beforeAll(() => {
    emu.addUser(POOL, { username: 'npr-secret', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD' });
    emu.addUser(POOL, { username: 'npr-public', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', totpSecret: TOTP });
    emu.addUser(POOL, { username: 'sms-user', password: 'Sms-Passw0rd!', smsMfa: true, attributes: { phone_number: '+447700900123' } });
  });

  it('sets a new password with SECRET_HASH on a confidential client; a refused one keeps the session', async () => {
    const { auth, log } = gatewayAuth();
    const r = await auth.authenticate('npr-secret', 'Temp-Passw0rd!', '192.0.2.30');
    if (r.ok || !r.pending) throw new Error('expected a challenge');
    const weak = await auth.respond({ ...r.pending, newPassword: 'weak' });
    expect(weak).toEqual({
      kind: 'failed',
      reason: 'invalid_password',
      detail: 'Password did not conform with policy: Password must have uppercase, lowercase, numeric and symbol characters and at least 8 characters',
    });
    const done = await auth.respond({ ...r.pending, newPassword: 'Npr-S3cret-Pass!' });
    expect(done.kind).toBe('tokens');
    if (done.kind !== 'tokens') throw new Error('unreachable');
    expect(claimsOf(done.tokens.idToken)).toMatchObject({ 'cognito:username': 'npr-secret', aud: 'demo-gateway' });
    // Used: the same Session again is "expired" (start over).
    expect(await auth.respond({ ...r.pending, newPassword: 'Npr-S3cret-Pass!' })).toEqual({ kind: 'failed', reason: 'expired' });
    expect(JSON.stringify(log.lines)).not.toContain('Npr-S3cret-Pass!');
  });

  it('chains a new password into TOTP on a public client (no SECRET_HASH)', async () => {
    const auth = createPasswordAuthenticator({ admin: emulatorAdmin(emu), clientId: publicClientId, limits: roomy });
    const r = await auth.authenticate('npr-public', 'Temp-Passw0rd!', '192.0.2.31');
    if (r.ok || !r.pending) throw new Error('expected a challenge');
    const next = await auth.respond({ ...r.pending, newPassword: 'Npr-Publ1c-Pass!' });
    expect(next).toMatchObject({ kind: 'challenge', pending: { challenge: 'SOFTWARE_TOKEN_MFA', username: 'npr-public' } });
  });

  it('SMS_MFA: the texted code signs in; a wrong one is code_mismatch', async () => {
    const { auth } = gatewayAuth();
    const r = await auth.authenticate('sms-user', 'Sms-Passw0rd!', '192.0.2.32');
    if (r.ok || !r.pending) throw new Error('expected a challenge');
    expect(r.pending.parameters).toMatchObject({ CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS', CODE_DELIVERY_DESTINATION: '+********0123' });
    const code = emu.lastSms(POOL, 'sms-user').code;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await auth.respond({ ...r.pending, code: wrong })).toEqual({ kind: 'failed', reason: 'code_mismatch' });
    expect((await auth.respond({ ...r.pending, code })).kind).toBe('tokens');
  });

  it('limits wrong answers per user (clock stubbed): the right code is refused once the limit is reached', async () => {
    const clock = manualClock();
    const { auth } = gatewayAuth({ now: clock.now, limits: { perUser: { max: 2, windowSeconds: 60 }, perAddress: roomy.perAddress } });
    const r = await auth.authenticate('sms-user', 'Sms-Passw0rd!', '192.0.2.33');
    if (r.ok || !r.pending) throw new Error('expected a challenge');
    const code = emu.lastSms(POOL, 'sms-user').code;
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await auth.respond({ ...r.pending, code: wrong })).kind).toBe('failed');
    expect(await auth.respond({ ...r.pending, code: wrong })).toEqual({ kind: 'failed', reason: 'code_mismatch' });
    expect(await auth.respond({ ...r.pending, code })).toEqual({ kind: 'failed', reason: 'rate_limited', retryAfterSeconds: 60 });
    clock.advance(61_000);
    expect((await auth.respond({ ...r.pending, code })).kind).toBe('tokens');
  });

  it('a wrong client secret is unavailable (misconfiguration), logged without the secret', async () => {
    const good = gatewayAuth();
    const r = await good.auth.authenticate('sms-user', 'Sms-Passw0rd!', '192.0.2.34');
    if (r.ok || !r.pending) throw new Error('expected a challenge');
    const { auth, log } = gatewayAuth({ secret: 'not-the-secret' });
    expect(await auth.respond({ ...r.pending, code: emu.lastSms(POOL, 'sms-user').code })).toEqual({ kind: 'failed', reason: 'unavailable' });
    expect(log.lines.find((l) => l.msg === 'challenge answer misconfigured: the app client secret does not match')).toMatchObject({ clientId: 'demo-gateway' });
    expect(JSON.stringify(log.lines)).not.toContain('not-the-secret');
  });
});

describe('password sign-in (InitiateAuth, USER_PASSWORD_AUTH: flow user)', () => {
  /** No credentials at all: the public operations are unsigned. */
  function userFlowAuth(opts: { clientId?: string; secret?: string } = {}) {
    const counter = countingFetch();
    const log = createMemoryLogger();
    const auth = createPasswordAuthenticator({
      admin: emulatorAdmin(emu, { fetch: counter.fetch, credentials: undefined }),
      flow: 'user',
      clientId: opts.clientId ?? 'demo-user-password',
      clientSecret: opts.secret ?? 'demo-user-password-secret',
      limits: roomy,
      log,
    });
    return { auth, counter, log };
  }

  it('signs in with SECRET_HASH through InitiateAuth only, no AWS credentials', async () => {
    const { auth, counter } = userFlowAuth();
    expect(auth.flow).toBe('user');
    const r = await auth.authenticate('alice', 'Alice-Passw0rd!', '198.51.100.7');
    if (!r.ok) throw new Error(`expected tokens, got ${r.reason}`);
    expect(claimsOf(r.tokens.idToken)).toMatchObject({ aud: 'demo-user-password', 'cognito:username': 'alice' });
    expect(counter.calls).toEqual(['InitiateAuth']);
  });

  it('a wrong password and an unknown user answer alike; a disabled user is told apart', async () => {
    const { auth } = userFlowAuth();
    expect(await auth.authenticate('bob', 'nope', '198.51.100.8')).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(await auth.authenticate('nobody-here', 'nope', '198.51.100.8')).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(await auth.authenticate('dave', 'Dave-Passw0rd!', '198.51.100.8')).toEqual({ ok: false, reason: 'user_disabled' });
  });

  it('NEW_PASSWORD_REQUIRED is answered with RespondToAuthChallenge', async () => {
    await sdkClient(emu).send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'newbie-user-flow', TemporaryPassword: 'Temp-Passw0rd!' }));
    const { auth, counter } = userFlowAuth();
    const r = await auth.authenticate('newbie-user-flow', 'Temp-Passw0rd!', '198.51.100.9');
    if (r.ok || !r.pending) throw new Error('expected a challenge');
    expect(r.pending.challenge).toBe('NEW_PASSWORD_REQUIRED');
    const answered = await auth.respond({ ...r.pending, newPassword: 'Newbie-N3w-Passw0rd!' });
    expect(answered.kind).toBe('tokens');
    expect(counter.calls).toEqual(['InitiateAuth', 'RespondToAuthChallenge']);
  });

  it('a client without ALLOW_USER_PASSWORD_AUTH is a misconfiguration (unavailable, logged), not the user’s fault', async () => {
    const { auth, log } = userFlowAuth({ clientId: 'demo-gateway', secret: 'demo-gateway-secret' });
    expect(await auth.authenticate('alice', 'Alice-Passw0rd!', '198.51.100.10')).toEqual({ ok: false, reason: 'unavailable' });
    expect(log.lines.find((l) => l.msg === 'password sign-in misconfigured')).toMatchObject({
      level: 'error',
      error: 'InvalidParameterException',
      detail: 'USER_PASSWORD_AUTH flow not enabled for this client',
      flow: 'user',
    });
    expect(JSON.stringify(log.lines)).not.toContain('Alice-Passw0rd!');
  });
});
