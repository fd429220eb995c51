/**
 * Sign-in challenges, through the official SDK client and the hosted UI: NEW_PASSWORD_REQUIRED for a
 * FORCE_CHANGE_PASSWORD user (AdminCreateUser with a temporary password), answered with
 * AdminRespondToAuthChallenge (tokens, status CONFIRMED; unknown, reused and expired sessions refused);
 * SOFTWARE_TOKEN_MFA for a user with a TOTP secret (RFC 6238 codes computed here independently; the
 * neighbouring steps accepted, older ones and wrong codes refused with CodeMismatchException); and the
 * hosted UI's "change your password" and authenticator-code pages before the usual redirect.
 */
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  CodeMismatchException,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash, signInWithPassword, startEmulator, type EmulatorSeed, type RunningEmulator } from '../../src/emulator/index';
import { totp } from '../helpers/totp';
import { claimsOf, offsetClock } from './helpers';

const POOL = 'eu-west-1_Challenge1';
const CLIENT = { id: 'challenge-app', secret: 'challenge-app-secret' };
const CALLBACK = 'http://127.0.0.1:8787/_auth/callback';
/** RFC 6238's SHA-1 test secret ("12345678901234567890"), base32. */
const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const seed: EmulatorSeed = {
  pools: [
    {
      id: POOL,
      clients: [
        {
          id: CLIENT.id,
          secret: CLIENT.secret,
          callbackUrls: [CALLBACK],
          explicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        },
      ],
      users: [
        { username: 'otto', password: 'Otto-Passw0rd!', totpSecret: TOTP_SECRET, attributes: { email: 'otto@example.com' } },
        { username: 'nina', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD' },
        { username: 'tess', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', totpSecret: TOTP_SECRET },
        { username: 'hugo', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD' },
        { username: 'mara', password: 'Mara-Passw0rd!', totpSecret: TOTP_SECRET },
        { username: 'sian', password: 'Sian-Passw0rd!', smsMfa: true, attributes: { phone_number: '+15550001234' } },
        { username: 'pete', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD' },
      ],
    },
  ],
};

let emu: RunningEmulator;
let sdk: CognitoIdentityProviderClient;
const clock = offsetClock();
beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed, now: clock.now });
  sdk = new CognitoIdentityProviderClient({ endpoint: emu.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  sdk.destroy();
  await emu.close();
});

const hash = (username: string) => secretHash(CLIENT.secret, username, CLIENT.id);
const initiate = (username: string, password: string) =>
  sdk.send(
    new AdminInitiateAuthCommand({
      UserPoolId: POOL,
      ClientId: CLIENT.id,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password, SECRET_HASH: hash(username) },
    }),
  );
const respond = (challenge: 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'SMS_MFA', session: string | undefined, responses: Record<string, string>) =>
  sdk.send(
    new AdminRespondToAuthChallengeCommand({
      UserPoolId: POOL,
      ClientId: CLIENT.id,
      ChallengeName: challenge,
      Session: session,
      ChallengeResponses: { SECRET_HASH: hash(responses.USERNAME!), ...responses },
    }),
  );

describe('NEW_PASSWORD_REQUIRED through AdminRespondToAuthChallenge', () => {
  it('a user created with a temporary password sets a new one, gets tokens and becomes CONFIRMED', async () => {
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'fred', TemporaryPassword: 'Temp-Fr3d!', MessageAction: 'SUPPRESS' }));
    const first = await initiate('fred', 'Temp-Fr3d!');
    expect(first.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(first.ChallengeParameters?.USER_ID_FOR_SRP).toBe('fred');
    expect(first.AuthenticationResult).toBeUndefined();
    const done = await respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'fred', NEW_PASSWORD: 'Fr3d-Permanent!' });
    expect(done.ChallengeName).toBeUndefined();
    expect(done.AuthenticationResult?.TokenType).toBe('Bearer');
    expect(claimsOf(done.AuthenticationResult!.IdToken!)['cognito:username']).toBe('fred');
    expect(done.AuthenticationResult?.RefreshToken).toMatch(/^eyJ/);
    const user = await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'fred' }));
    expect(user.UserStatus).toBe('CONFIRMED');
    // The new password signs in directly; the temporary one no longer does.
    expect((await initiate('fred', 'Fr3d-Permanent!')).AuthenticationResult?.AccessToken).toMatch(/^eyJ/);
    await expect(initiate('fred', 'Temp-Fr3d!')).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it('refuses an unknown session, a reused one and an expired one with NotAuthorizedException', async () => {
    await expect(respond('NEW_PASSWORD_REQUIRED', 'not-a-session', { USERNAME: 'nina', NEW_PASSWORD: 'Nina-N3w-Pass!' })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user.',
    });
    const first = await initiate('nina', 'Temp-Passw0rd!');
    // A session belongs to its user: answering it for someone else is refused.
    await expect(respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'otto', NEW_PASSWORD: 'x-Y-z-1234!' })).rejects.toBeInstanceOf(
      NotAuthorizedException,
    );
    await respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'nina', NEW_PASSWORD: 'Nina-N3w-Pass!' });
    await expect(respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'nina', NEW_PASSWORD: 'Again-N3w-Pass!' })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user.',
    });

    const late = await initiate('hugo', 'Temp-Passw0rd!');
    clock.advance(3 * 60_000 + 1000);
    await expect(respond('NEW_PASSWORD_REQUIRED', late.Session, { USERNAME: 'hugo', NEW_PASSWORD: 'Hugo-N3w-Pass!' })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user, session is expired.',
    });
    expect((await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'hugo' }))).UserStatus).toBe('FORCE_CHANGE_PASSWORD');
  });

  it('needs NEW_PASSWORD, the right challenge name and a valid SECRET_HASH', async () => {
    const first = await initiate('hugo', 'Temp-Passw0rd!');
    await expect(respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'hugo' })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(respond('SOFTWARE_TOKEN_MFA', first.Session, { USERNAME: 'hugo', SOFTWARE_TOKEN_MFA_CODE: '123456' })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(
      respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'hugo', NEW_PASSWORD: 'Hugo-N3w-Pass!', SECRET_HASH: 'bm9wZQ==' }),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException', message: `Unable to verify secret hash for client ${CLIENT.id}` });
  });
});

describe('SOFTWARE_TOKEN_MFA through AdminRespondToAuthChallenge', () => {
  it('the RFC 6238 test vector matches the test TOTP', () => {
    expect(totp(TOTP_SECRET, 59_000)).toBe('287082'); // RFC 6238 appendix B: 94287082, 6 digits
  });

  it('a user with a TOTP secret gets the challenge and signs in with the current code', async () => {
    const first = await initiate('otto', 'Otto-Passw0rd!');
    expect(first.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    expect(first.AuthenticationResult).toBeUndefined();
    const done = await respond('SOFTWARE_TOKEN_MFA', first.Session, { USERNAME: 'otto', SOFTWARE_TOKEN_MFA_CODE: totp(TOTP_SECRET, clock.now()) });
    expect(claimsOf(done.AuthenticationResult!.IdToken!)).toMatchObject({ 'cognito:username': 'otto', email: 'otto@example.com' });
  });

  it('a wrong code is a CodeMismatchException and the session may retry; ±1 step is accepted, 2 steps are not', async () => {
    const first = await initiate('otto', 'Otto-Passw0rd!');
    const now = clock.now();
    const wrong = String((Number(totp(TOTP_SECRET, now)) + 1) % 1_000_000).padStart(6, '0');
    await expect(respond('SOFTWARE_TOKEN_MFA', first.Session, { USERNAME: 'otto', SOFTWARE_TOKEN_MFA_CODE: wrong })).rejects.toBeInstanceOf(
      CodeMismatchException,
    );
    await expect(
      respond('SOFTWARE_TOKEN_MFA', first.Session, { USERNAME: 'otto', SOFTWARE_TOKEN_MFA_CODE: totp(TOTP_SECRET, now - 60_000) }),
    ).rejects.toMatchObject({ name: 'CodeMismatchException', message: 'Invalid code received for user' });
    const previous = await respond('SOFTWARE_TOKEN_MFA', first.Session, { USERNAME: 'otto', SOFTWARE_TOKEN_MFA_CODE: totp(TOTP_SECRET, now - 30_000) });
    expect(previous.AuthenticationResult?.AccessToken).toMatch(/^eyJ/);
    const second = await initiate('otto', 'Otto-Passw0rd!');
    const next = await respond('SOFTWARE_TOKEN_MFA', second.Session, { USERNAME: 'otto', SOFTWARE_TOKEN_MFA_CODE: totp(TOTP_SECRET, now + 30_000) });
    expect(next.AuthenticationResult?.AccessToken).toMatch(/^eyJ/);
  });

  it('a FORCE_CHANGE_PASSWORD user with TOTP answers NEW_PASSWORD_REQUIRED, then SOFTWARE_TOKEN_MFA', async () => {
    const first = await initiate('tess', 'Temp-Passw0rd!');
    expect(first.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    const second = await respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'tess', NEW_PASSWORD: 'Tess-N3w-Pass!' });
    expect(second.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    expect(second.Session).not.toBe(first.Session);
    const done = await respond('SOFTWARE_TOKEN_MFA', second.Session, { USERNAME: 'tess', SOFTWARE_TOKEN_MFA_CODE: totp(TOTP_SECRET, clock.now()) });
    expect(claimsOf(done.AuthenticationResult!.AccessToken!).username).toBe('tess');
  });
});

describe('SMS_MFA through AdminRespondToAuthChallenge', () => {
  it('a user with SMS MFA gets the challenge with the masked phone; the texted code signs in, a wrong one is CodeMismatchException', async () => {
    const first = await initiate('sian', 'Sian-Passw0rd!');
    expect(first.ChallengeName).toBe('SMS_MFA');
    expect(first.ChallengeParameters).toEqual({ USER_ID_FOR_SRP: 'sian', CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS', CODE_DELIVERY_DESTINATION: '+*******1234' });
    const sms = emu.lastSms(POOL, 'sian');
    expect(sms).toMatchObject({ to: '+15550001234', code: expect.stringMatching(/^\d{6}$/) });
    const wrong = String((Number(sms.code) + 1) % 1_000_000).padStart(6, '0');
    await expect(respond('SMS_MFA', first.Session, { USERNAME: 'sian', SMS_MFA_CODE: wrong })).rejects.toMatchObject({
      name: 'CodeMismatchException',
      message: 'Invalid code received for user',
    });
    await expect(respond('SMS_MFA', first.Session, { USERNAME: 'sian' })).rejects.toBeInstanceOf(InvalidParameterException);
    const done = await respond('SMS_MFA', first.Session, { USERNAME: 'sian', SMS_MFA_CODE: sms.code });
    expect(claimsOf(done.AuthenticationResult!.IdToken!)['cognito:username']).toBe('sian');
    // Each sign-in texts a new code; the hook reads the last one over HTTP too.
    await initiate('sian', 'Sian-Passw0rd!');
    const overHttp = await fetch(`${emu.url}/_emulator/last-sms`, { method: 'POST', body: JSON.stringify({ poolId: POOL, username: 'sian' }) });
    expect((await overHttp.json()) as unknown).toMatchObject({ to: '+15550001234', code: emu.lastSms(POOL, 'sian').code });
    const none = await fetch(`${emu.url}/_emulator/last-sms`, { method: 'POST', body: JSON.stringify({ poolId: POOL, username: 'otto' }) });
    expect(none.status).toBe(404);
  });

  it('a seed user with smsMfa needs a phone_number', async () => {
    expect(() => emu.addUser(POOL, { username: 'nophone', password: 'x', smsMfa: true })).toThrow('smsMfa needs a phone_number attribute');
    const res = await fetch(`${emu.url}/_emulator/add-user`, {
      method: 'POST',
      body: JSON.stringify({ poolId: POOL, user: { username: 'hook-user', password: 'Hook-Passw0rd!' } }),
    });
    expect(res.status).toBe(200);
    expect((await initiate('hook-user', 'Hook-Passw0rd!')).AuthenticationResult?.AccessToken).toMatch(/^eyJ/);
  });
});

describe("NEW_PASSWORD_REQUIRED and the pool's password policy", () => {
  it('a new password the policy refuses is InvalidPasswordException, and the same session may try again', async () => {
    const first = await initiate('pete', 'Temp-Passw0rd!');
    await expect(respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'pete', NEW_PASSWORD: 'password' })).rejects.toMatchObject({
      name: 'InvalidPasswordException',
      message: 'Password did not conform with policy: Password must have uppercase, lowercase, numeric and symbol characters and at least 8 characters',
    });
    expect((await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'pete' }))).UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    const done = await respond('NEW_PASSWORD_REQUIRED', first.Session, { USERNAME: 'pete', NEW_PASSWORD: 'Pete-N3w-Pass!' });
    expect(done.AuthenticationResult?.AccessToken).toMatch(/^eyJ/);
  });
});

describe('challenges in the hosted UI', () => {
  const authorize = () =>
    `${emu.hostedUiBase}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT.id,
      redirect_uri: CALLBACK,
      scope: 'openid',
      state: 'st8',
    })}`;

  /** GETs with manual redirects, keeping the hosted UI's cookies. */
  async function browse(url: string, jar: Map<string, string>, form?: Record<string, string>) {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=');
      jar.set(k!, v!);
    }
    const location = res.headers.get('location');
    return { status: res.status, location: location ? new URL(location, url).toString() : undefined, body: await res.text() };
  }
  const hidden = (html: string) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
  const actionOf = (html: string, url: string) =>
    new URL(/<form[^>]*action="([^"]*)"/.exec(html)![1]!.replaceAll('&amp;', '&').replaceAll('&#38;', '&'), url).toString();

  it('asks for a new password after the password form, then redirects with a code', async () => {
    const created = await sdk.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'gina', TemporaryPassword: 'Temp-G1na!' }));
    expect(created.User?.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    const jar2 = new Map<string, string>();
    const form = await browse((await browse(authorize(), jar2)).location!, jar2);
    const challenge = await browse(actionOf(form.body, emu.hostedUiBase), jar2, { ...hidden(form.body), username: 'gina', password: 'Temp-G1na!' });
    expect(challenge.status).toBe(200);
    expect(challenge.body).toContain('name="newPasswordForm"');
    expect(challenge.body).toContain('name="new_password"');
    // Without the CSRF token the answer is not taken: the sign-in form again.
    const { _csrf: _, ...noCsrf } = hidden(challenge.body);
    const refused = await browse(actionOf(challenge.body, emu.hostedUiBase), new Map(), { ...noCsrf, new_password: 'G1na-Permanent!' });
    expect(refused.body).toContain('Your sign-in page expired');
    expect((await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'gina' }))).UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    const done = await browse(actionOf(challenge.body, emu.hostedUiBase), jar2, { ...hidden(challenge.body), new_password: 'G1na-Permanent!' });
    expect(done.status).toBe(302);
    const callback = new URL(done.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(callback.searchParams.get('state')).toBe('st8');
    expect(callback.searchParams.get('code')).toMatch(/^[\w-]{20,}$/);
    expect((await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'gina' }))).UserStatus).toBe('CONFIRMED');
  });

  it('asks for the authenticator code; a wrong code shows an error and the page again', async () => {
    const jar = new Map<string, string>();
    const form = await browse((await browse(authorize(), jar)).location!, jar);
    const challenge = await browse(actionOf(form.body, emu.hostedUiBase), jar, { ...hidden(form.body), username: 'mara', password: 'Mara-Passw0rd!' });
    expect(challenge.body).toContain('name="mfaForm"');
    const wrong = await browse(actionOf(challenge.body, emu.hostedUiBase), jar, {
      ...hidden(challenge.body),
      code: '000000' === totp(TOTP_SECRET, clock.now()) ? '111111' : '000000',
    });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain('Invalid code received for user');
    expect(wrong.body).toContain('name="mfaForm"');
    const done = await browse(actionOf(wrong.body, emu.hostedUiBase), jar, { ...hidden(wrong.body), code: totp(TOTP_SECRET, clock.now()) });
    expect(done.status).toBe(302);
    expect(new URL(done.location!).searchParams.get('code')).toMatch(/^[\w-]{20,}$/);
  });

  it('asks for the texted code for an SMS MFA user, then redirects with a code', async () => {
    const jar = new Map<string, string>();
    const form = await browse((await browse(authorize(), jar)).location!, jar);
    const challenge = await browse(actionOf(form.body, emu.hostedUiBase), jar, { ...hidden(form.body), username: 'sian', password: 'Sian-Passw0rd!' });
    expect(challenge.body).toContain('<h1>Enter the code we sent to your phone</h1>');
    const done = await browse(actionOf(challenge.body, emu.hostedUiBase), jar, { ...hidden(challenge.body), code: emu.lastSms(POOL, 'sian').code });
    expect(done.status).toBe(302);
    expect(new URL(done.location!).searchParams.get('code')).toMatch(/^[\w-]{20,}$/);
  });

  it('signInWithPassword answers both steps when given the answers, and says which is missing otherwise', async () => {
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'ivan', TemporaryPassword: 'Temp-1van!' }));
    await expect(signInWithPassword(authorize(), 'ivan', 'Temp-1van!')).rejects.toThrow('the hosted UI asks for a new password');
    const callback = await signInWithPassword(authorize(), 'ivan', 'Temp-1van!', { newPassword: 'Ivan-Perm4nent!' });
    expect(new URL(callback).searchParams.get('code')).toMatch(/^[\w-]{20,}$/);
    await expect(signInWithPassword(authorize(), 'mara', 'Mara-Passw0rd!')).rejects.toThrow('the hosted UI asks for an MFA code');
    const mfa = await signInWithPassword(authorize(), 'mara', 'Mara-Passw0rd!', { totpCode: () => totp(TOTP_SECRET, clock.now()) });
    expect(new URL(mfa).searchParams.get('code')).toMatch(/^[\w-]{20,}$/);
  });
});
