/**
 * The emulator's admin API through the official SDK client: pools, domains and app clients (create,
 * describe, update replacing the whole configuration), users, groups and ListUsers filters and
 * pagination; AdminInitiateAuth with SECRET_HASH, typed errors, refresh (REFRESH_TOKEN_AUTH and
 * rotating GetTokensFromRefreshToken); disabled users cannot refresh; global sign-out and RevokeToken
 * revoke refresh tokens. On the wire: errors as {"__type","message"} with x-amzn-RequestId, and bad
 * JSON, unknown operations and missing members answered without crashing.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolDomainCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetTokensFromRefreshTokenCommand,
  InvalidParameterException,
  ListUsersCommand,
  NotAuthorizedException,
  ResourceNotFoundException,
  RevokeTokenCommand,
  UpdateUserPoolClientCommand,
  UsernameExistsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash, startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { claimsOf, GATEWAY, PASSWORDS, POOL, refresh } from './helpers';

/** The emulator's refresh tokens: five base64url parts, like Cognito's encrypted JWE. */
const JWE_SHAPED = /^eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ(\.[A-Za-z0-9_-]+){4}$/;

let emu: RunningEmulator;
let sdk: CognitoIdentityProviderClient;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sdk = new CognitoIdentityProviderClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
afterAll(async () => {
  sdk.destroy();
  await emu.close();
});

/** `hash` '' sends no SECRET_HASH. */
const passwordAuth = (username: string, password: string, hash: string = secretHash(GATEWAY.secret, username, GATEWAY.id)) =>
  sdk.send(
    new AdminInitiateAuthCommand({
      UserPoolId: POOL,
      ClientId: GATEWAY.id,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password, ...(hash ? { SECRET_HASH: hash } : {}) },
    }),
  );

describe('admin API through the official SDK client', () => {
  it('DescribeUserPool', async () => {
    const out = await sdk.send(new DescribeUserPoolCommand({ UserPoolId: POOL }));
    expect(out.UserPool?.Id).toBe(POOL);
    expect(out.UserPool?.CreationDate).toBeInstanceOf(Date);
    expect(out.UserPool?.SchemaAttributes?.map((a) => a.Name)).toContain('custom:tenant');
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(sdk.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_Nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('CreateUserPool, CreateUserPoolDomain, DescribeUserPoolDomain', async () => {
    const { UserPool } = await sdk.send(new CreateUserPoolCommand({ PoolName: 'provisioned' }));
    expect(UserPool?.Id).toMatch(/^us-east-1_[0-9A-Za-z]+$/);
    expect((await fetch(`${emu.issuer(UserPool!.Id!)}/.well-known/jwks.json`)).status).toBe(200);
    const created = await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: UserPool!.Id!, Domain: 'my-app-login' }));
    expect(created.CloudFrontDomain).toBe('my-app-login.cloudfront.emulator.invalid');
    const described = await sdk.send(new DescribeUserPoolDomainCommand({ Domain: 'my-app-login' }));
    expect(described.DomainDescription).toMatchObject({ UserPoolId: UserPool!.Id, Domain: 'my-app-login', Status: 'ACTIVE' });
    expect((await sdk.send(new DescribeUserPoolDomainCommand({ Domain: 'unknown-x' }))).DomainDescription).toEqual({});
    await expect(sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: UserPool!.Id!, Domain: 'my-cognito-login' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
  });

  it('DescribeUserPoolClient reports the seeded client', async () => {
    const { UserPoolClient: c } = await sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: POOL, ClientId: GATEWAY.id }));
    expect(c).toMatchObject({
      ClientId: 'demo-gateway',
      ClientSecret: 'demo-gateway-secret',
      CallbackURLs: ['http://127.0.0.1:8787/_auth/callback', 'http://localhost:8787/_auth/callback'],
      LogoutURLs: ['http://127.0.0.1:8787/', 'http://localhost:8787/'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AccessTokenValidity: 1,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' },
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
    });
    expect(c?.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    await expect(sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: POOL, ClientId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('CreateUserPoolClient and UpdateUserPoolClient (which replaces the whole configuration)', async () => {
    const created = await sdk.send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL,
        ClientName: 'sdk-made',
        GenerateSecret: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['openid', 'email'],
        CallbackURLs: ['https://app.example/cb'],
        AccessTokenValidity: 10,
        TokenValidityUnits: { AccessToken: 'minutes' },
      }),
    );
    const c = created.UserPoolClient!;
    expect(c.ClientId).toMatch(/^[a-z0-9]{26}$/);
    expect(c.ClientSecret).toMatch(/^[a-z0-9]{51}$/);
    expect(c).toMatchObject({ AccessTokenValidity: 10, TokenValidityUnits: { AccessToken: 'minutes' }, CallbackURLs: ['https://app.example/cb'] });

    const updated = await sdk.send(new UpdateUserPoolClientCommand({ UserPoolId: POOL, ClientId: c.ClientId!, ClientName: 'renamed' }));
    expect(updated.UserPoolClient).toMatchObject({ ClientName: 'renamed', ClientSecret: c.ClientSecret, CallbackURLs: [], AllowedOAuthFlows: [] });
    expect(updated.UserPoolClient?.AccessTokenValidity).toBe(1);

    await expect(
      sdk.send(new CreateUserPoolClientCommand({ UserPoolId: POOL, ClientName: 'bad', CallbackURLs: ['http://evil.example/cb'] })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('AdminCreateUser, AdminGetUser, AdminSetUserPassword', async () => {
    const created = await sdk.send(
      new AdminCreateUserCommand({
        UserPoolId: POOL,
        Username: 'frank',
        TemporaryPassword: 'Temp-Passw0rd!',
        UserAttributes: [
          { Name: 'email', Value: 'frank@example.com' },
          { Name: 'custom:tenant', Value: 'acme' },
        ],
      }),
    );
    expect(created.User).toMatchObject({ Username: 'frank', Enabled: true, UserStatus: 'FORCE_CHANGE_PASSWORD' });
    await expect(sdk.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'FRANK' }))).rejects.toBeInstanceOf(UsernameExistsException);

    const got = await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'frank' }));
    expect(got.UserAttributes?.[0]?.Name).toBe('sub');
    expect(got.UserAttributes).toContainEqual({ Name: 'custom:tenant', Value: 'acme' });
    expect(got.UserCreateDate).toBeInstanceOf(Date);

    const challenge = await passwordAuth('frank', 'Temp-Passw0rd!');
    expect(challenge.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: 'frank', Password: 'Frank-Passw0rd!', Permanent: true }));
    const ok = await passwordAuth('frank', 'Frank-Passw0rd!');
    expect(claimsOf(ok.AuthenticationResult!.AccessToken!)).toMatchObject({ username: 'frank', token_use: 'access' });

    const missing = sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'nobody' }));
    await expect(missing).rejects.toBeInstanceOf(UserNotFoundException);
    await expect(missing).rejects.toThrow('User does not exist.');
  });

  it('ListUsers with Filter and pagination', async () => {
    const byEmail = await sdk.send(new ListUsersCommand({ UserPoolId: POOL, Filter: 'email = "bob@example.com"' }));
    expect(byEmail.Users?.map((u) => u.Username)).toEqual(['bob']);
    expect(byEmail.Users?.[0]?.Attributes).toContainEqual({ Name: 'email', Value: 'bob@example.com' });

    const prefix = await sdk.send(new ListUsersCommand({ UserPoolId: POOL, Filter: 'username ^= "a"' }));
    expect(prefix.Users?.map((u) => u.Username)).toEqual(['alice']);

    const disabled = await sdk.send(new ListUsersCommand({ UserPoolId: POOL, Filter: 'status = "Disabled"' }));
    expect(disabled.Users?.map((u) => u.Username)).toEqual(['dave']);

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await sdk.send(new ListUsersCommand({ UserPoolId: POOL, Limit: 2, PaginationToken: token }));
      expect(page.Users!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Users!.map((u) => u.Username!));
      token = page.PaginationToken;
    } while (token);
    expect(seen).toEqual(expect.arrayContaining(['alice', 'bob', 'carol', 'dave']));
    expect(new Set(seen).size).toBe(seen.length);

    await expect(sdk.send(new ListUsersCommand({ UserPoolId: POOL, Filter: 'custom:tenant = "x"' }))).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('groups: add, list, remove', async () => {
    await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, Username: 'carol', GroupName: 'admins' }));
    let groups = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: 'carol' }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['admins']);
    expect(groups.Groups?.[0]?.Precedence).toBe(1);
    await sdk.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: POOL, Username: 'carol', GroupName: 'admins' }));
    groups = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: 'carol' }));
    expect(groups.Groups).toEqual([]);
    await expect(sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, Username: 'carol', GroupName: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('AdminInitiateAuth: password with SECRET_HASH; typed errors', async () => {
    const out = await passwordAuth('alice', PASSWORDS.alice!);
    const r = out.AuthenticationResult!;
    expect(r.TokenType).toBe('Bearer');
    expect(r.ExpiresIn).toBe(3600);
    expect(claimsOf(r.IdToken!)['cognito:username']).toBe('alice');
    expect(claimsOf(r.AccessToken!).scope).toBe('aws.cognito.signin.user.admin');

    const wrong = passwordAuth('alice', 'nope');
    await expect(wrong).rejects.toBeInstanceOf(NotAuthorizedException);
    await expect(wrong).rejects.toThrow('Incorrect username or password.');
    await expect(passwordAuth('alice', PASSWORDS.alice!, 'bad-hash')).rejects.toThrow(/Unable to verify secret hash/);
    await expect(passwordAuth('alice', PASSWORDS.alice!, '')).rejects.toBeInstanceOf(NotAuthorizedException);
    await expect(passwordAuth('dave', PASSWORDS.dave!)).rejects.toThrow('User is disabled.');
    // PreventUserExistenceErrors is on for the demo client: an unknown user looks like a wrong password.
    await expect(passwordAuth('nobody', 'x')).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it('AdminInitiateAuth REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken (rotation)', async () => {
    const { AuthenticationResult: first } = await passwordAuth('bob', PASSWORDS.bob!);
    const refreshed = await sdk.send(
      new AdminInitiateAuthCommand({
        UserPoolId: POOL,
        ClientId: GATEWAY.id,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: first!.RefreshToken!, SECRET_HASH: secretHash(GATEWAY.secret, 'bob', GATEWAY.id) },
      }),
    );
    expect(claimsOf(refreshed.AuthenticationResult!.IdToken!)).toMatchObject({ 'cognito:username': 'bob', token_use: 'id' });
    expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();

    const rotated = await sdk.send(
      new GetTokensFromRefreshTokenCommand({ ClientId: GATEWAY.id, ClientSecret: GATEWAY.secret, RefreshToken: first!.RefreshToken! }),
    );
    expect(rotated.AuthenticationResult?.RefreshToken).toMatch(JWE_SHAPED);
    expect(rotated.AuthenticationResult?.RefreshToken).not.toBe(first!.RefreshToken);
  });

  it('disabled users cannot refresh: NotAuthorizedException "User is disabled."', async () => {
    const { AuthenticationResult: t } = await passwordAuth('carol', PASSWORDS.carol!);
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: 'carol' }));
    try {
      expect((await sdk.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'carol' }))).Enabled).toBe(false);
      await expect(passwordAuth('carol', PASSWORDS.carol!)).rejects.toThrow('User is disabled.');
      expect((await refresh(emu, t!.RefreshToken!)).json).toEqual({ error: 'invalid_grant' });
      const adminRefresh = sdk.send(
        new AdminInitiateAuthCommand({
          UserPoolId: POOL,
          ClientId: GATEWAY.id,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: t!.RefreshToken!, SECRET_HASH: secretHash(GATEWAY.secret, 'carol', GATEWAY.id) },
        }),
      );
      await expect(adminRefresh).rejects.toBeInstanceOf(NotAuthorizedException);
      await expect(adminRefresh).rejects.toThrow('User is disabled.');
    } finally {
      await sdk.send(new AdminEnableUserCommand({ UserPoolId: POOL, Username: 'carol' }));
    }
    expect(claimsOf((await passwordAuth('carol', PASSWORDS.carol!)).AuthenticationResult!.AccessToken!)).toMatchObject({
      username: 'carol',
      token_use: 'access',
    });
    // Disabling revoked the tokens issued before: they stay dead after re-enabling.
    expect((await refresh(emu, t!.RefreshToken!)).json).toEqual({ error: 'invalid_grant' });
  });

  it('AdminUserGlobalSignOut revokes refresh tokens', async () => {
    const { AuthenticationResult: t } = await passwordAuth('bob', PASSWORDS.bob!);
    await sdk.send(new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: 'bob' }));
    expect((await refresh(emu, t!.RefreshToken!)).json).toEqual({ error: 'invalid_grant' });
    await expect(sdk.send(new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: 'nobody' }))).rejects.toBeInstanceOf(UserNotFoundException);
  });

  it('RevokeToken revokes a refresh token', async () => {
    const { AuthenticationResult: t } = await passwordAuth('alice', PASSWORDS.alice!);
    await expect(sdk.send(new RevokeTokenCommand({ ClientId: GATEWAY.id, ClientSecret: 'wrong', Token: t!.RefreshToken! }))).rejects.toBeInstanceOf(
      NotAuthorizedException,
    );
    const out = await sdk.send(new RevokeTokenCommand({ ClientId: GATEWAY.id, ClientSecret: GATEWAY.secret, Token: t!.RefreshToken! }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect((await refresh(emu, t!.RefreshToken!)).json).toEqual({ error: 'invalid_grant' });
  });
});

describe('admin API on the wire', () => {
  const post = (target: string, body: string) =>
    fetch(emu.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    });

  it('answers errors as {"__type","message"} with x-amzn-RequestId', async () => {
    const res = await post('AWSCognitoIdentityProviderService.AdminGetUser', JSON.stringify({ UserPoolId: POOL, Username: 'nobody' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await res.json()).toEqual({ __type: 'UserNotFoundException', message: 'User does not exist.' });
  });

  it('rejects bad JSON, unknown operations and missing members without crashing', async () => {
    expect(((await (await post('AWSCognitoIdentityProviderService.AdminGetUser', '{nope')).json()) as { __type: string }).__type).toBe(
      'SerializationException',
    );
    expect(((await (await post('AWSCognitoIdentityProviderService.Nope', '{}')).json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(((await (await post('AWSCognitoIdentityProviderService.AdminGetUser', '{}')).json()) as { __type: string }).__type).toBe(
      'InvalidParameterException',
    );
    expect(((await (await post('AWSCognitoIdentityProviderService.AdminGetUser', '[1]')).json()) as { __type: string }).__type).toBe('SerializationException');
    const typed = await post('AWSCognitoIdentityProviderService.ListUsers', JSON.stringify({ UserPoolId: POOL, Limit: 'x' }));
    expect(typed.status).toBe(400);
  });
});
