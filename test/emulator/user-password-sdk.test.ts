/**
 * The public sign-in operations through the official SDK client, with no AWS credentials at all:
 * InitiateAuth (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH) and RespondToAuthChallenge, which the SDK's
 * model marks `smithy.api#noAuth` and sends unsigned. As Cognito: the pool comes from the ClientId;
 * the client must allow ALLOW_USER_PASSWORD_AUTH; SECRET_HASH is required and checked for a client
 * with a secret; the challenges are the admin flow's; an admin-only client refuses the public flow
 * and a public-only client the admin flow.
 */
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  InvalidParameterException,
  NotAuthorizedException,
  ResourceNotFoundException,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash, startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { claimsOf, GATEWAY, POOL } from './helpers';

const CLIENT = { id: 'demo-user-password', secret: 'demo-user-password-secret' };

let emu: RunningEmulator;
/** No credentials: a provider that fails the test if the SDK ever asks it. */
let publicSdk: CognitoIdentityProviderClient;
/** The authorization header of each request the public client sent (read after signing). */
const authorizations: Array<string | undefined> = [];
let credentialRequests = 0;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  publicSdk = new CognitoIdentityProviderClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: async () => {
      credentialRequests++;
      throw new Error('InitiateAuth and RespondToAuthChallenge must not need AWS credentials');
    },
  });
  publicSdk.middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      authorizations.push(headers.authorization ?? headers.Authorization);
      return next(args);
    },
    { step: 'deserialize', name: 'recordAuthorization' },
  );
});
afterAll(async () => {
  publicSdk.destroy();
  await emu.close();
});

const signIn = (username: string, password: string, params: Record<string, string> = { SECRET_HASH: secretHash(CLIENT.secret, username, CLIENT.id) }) =>
  publicSdk.send(
    new InitiateAuthCommand({ ClientId: CLIENT.id, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD: password, ...params } }),
  );

async function refusal(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('InitiateAuth USER_PASSWORD_AUTH (unsigned)', () => {
  it('signs alice in with SECRET_HASH: tokens for the client, sent without a signature or credentials', async () => {
    const out = await signIn('alice', 'Alice-Passw0rd!');
    expect(out.ChallengeName).toBeUndefined();
    expect(out.AuthenticationResult?.TokenType).toBe('Bearer');
    expect(out.AuthenticationResult?.RefreshToken).toMatch(/\./);
    expect(claimsOf(out.AuthenticationResult!.IdToken!)).toMatchObject({ aud: CLIENT.id, token_use: 'id', 'cognito:username': 'alice' });
    expect(claimsOf(out.AuthenticationResult!.AccessToken!)).toMatchObject({ client_id: CLIENT.id, token_use: 'access', username: 'alice' });
    expect(authorizations.at(-1)).toBeUndefined();
    expect(credentialRequests).toBe(0);
  });

  it('a client that does not allow the flow: InvalidParameterException', async () => {
    const e = await refusal(
      publicSdk.send(
        new InitiateAuthCommand({
          ClientId: GATEWAY.id,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice-Passw0rd!', SECRET_HASH: secretHash(GATEWAY.secret, 'alice', GATEWAY.id) },
        }),
      ),
    );
    expect(e).toEqual({ name: 'InvalidParameterException', message: 'USER_PASSWORD_AUTH flow not enabled for this client' });
  });

  it('SECRET_HASH missing or wrong: NotAuthorizedException naming the client', async () => {
    expect(await refusal(signIn('alice', 'Alice-Passw0rd!', {}))).toEqual({
      name: 'NotAuthorizedException',
      message: `Client ${CLIENT.id} is configured with secret but SECRET_HASH was not received`,
    });
    expect(await refusal(signIn('alice', 'Alice-Passw0rd!', { SECRET_HASH: secretHash('not-the-secret', 'alice', CLIENT.id) }))).toEqual({
      name: 'NotAuthorizedException',
      message: `Unable to verify secret hash for client ${CLIENT.id}`,
    });
  });

  it('wrong password, unknown user (existence errors prevented) and disabled user: NotAuthorizedException', async () => {
    const wrong = signIn('bob', 'nope');
    await expect(wrong).rejects.toBeInstanceOf(NotAuthorizedException);
    expect(await refusal(signIn('bob', 'nope'))).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(await refusal(signIn('nobody-here', 'nope'))).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(await refusal(signIn('dave', 'Dave-Passw0rd!'))).toEqual({ name: 'NotAuthorizedException', message: 'User is disabled.' });
  });

  it('an unknown client: ResourceNotFoundException; an unknown flow: InvalidParameterException', async () => {
    const unknown = publicSdk.send(
      new InitiateAuthCommand({ ClientId: 'no-such-client', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'a', PASSWORD: 'b' } }),
    );
    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);
    const admin = publicSdk.send(
      new InitiateAuthCommand({ ClientId: CLIENT.id, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'x' } }),
    );
    await expect(admin).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('REFRESH_TOKEN_AUTH: new ID and access tokens, SECRET_HASH over the username', async () => {
    const first = await signIn('carol', 'Carol-Passw0rd!');
    const out = await publicSdk.send(
      new InitiateAuthCommand({
        ClientId: CLIENT.id,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: first.AuthenticationResult!.RefreshToken!, SECRET_HASH: secretHash(CLIENT.secret, 'carol', CLIENT.id) },
      }),
    );
    expect(claimsOf(out.AuthenticationResult!.IdToken!)).toMatchObject({ aud: CLIENT.id, 'cognito:username': 'carol' });
    expect(out.AuthenticationResult?.RefreshToken).toBeUndefined();
  });
});

describe('RespondToAuthChallenge (unsigned)', () => {
  it('NEW_PASSWORD_REQUIRED for a user with a temporary password; answered, then tokens', async () => {
    const admin = new CognitoIdentityProviderClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await admin.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'uwe', TemporaryPassword: 'Temp-Passw0rd!', MessageAction: 'SUPPRESS' }));
    admin.destroy();
    const first = await signIn('uwe', 'Temp-Passw0rd!');
    expect(first.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(first.ChallengeParameters?.USER_ID_FOR_SRP).toBe('uwe');
    expect(first.Session).toMatch(/^\S{40,}$/);

    const answer = (session: string, clientId = CLIENT.id, secret = CLIENT.secret) =>
      publicSdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: session,
          ChallengeResponses: { USERNAME: 'uwe', NEW_PASSWORD: 'Uwe-N3w-Passw0rd!', SECRET_HASH: secretHash(secret, 'uwe', clientId) },
        }),
      );
    // The session belongs to the client that started it.
    expect(await refusal(answer(first.Session!, GATEWAY.id, GATEWAY.secret))).toEqual({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user.',
    });
    const done = await answer(first.Session!);
    expect(claimsOf(done.AuthenticationResult!.IdToken!)).toMatchObject({ aud: CLIENT.id, 'cognito:username': 'uwe' });
    expect(authorizations.at(-1)).toBeUndefined();
    // Single use.
    expect((await refusal(answer(first.Session!))).name).toBe('NotAuthorizedException');
    expect((await signIn('uwe', 'Uwe-N3w-Passw0rd!')).AuthenticationResult?.IdToken).toMatch(/\./);
  });

  it('every request of the public client went unsigned, and no credentials were asked for', () => {
    expect(authorizations.length).toBeGreaterThan(10);
    expect(authorizations.filter((a) => a !== undefined)).toEqual([]);
    expect(credentialRequests).toBe(0);
  });
});

describe('the admin flow on a client that allows only the public one', () => {
  it('AdminInitiateAuth: InvalidParameterException', async () => {
    const admin = new CognitoIdentityProviderClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const e = await refusal(
        admin.send(
          new AdminInitiateAuthCommand({
            UserPoolId: POOL,
            ClientId: CLIENT.id,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice-Passw0rd!', SECRET_HASH: secretHash(CLIENT.secret, 'alice', CLIENT.id) },
          }),
        ),
      );
      expect(e).toEqual({ name: 'InvalidParameterException', message: 'Auth flow not enabled for this client' });
    } finally {
      admin.destroy();
    }
  });
});
