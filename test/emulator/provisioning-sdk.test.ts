/**
 * The emulator's provisioning operations through the official SDK client, with Cognito's error
 * types and messages: UpdateUserPool replacing every setting it is not sent and refusing create-only
 * ones; DescribeUserPool showing the settings, the domain and the MFA mode; SetUserPoolMfaConfig /
 * GetUserPoolMfaConfig with their two invalid combinations; Create/Describe/UpdateIdentityProvider
 * with required details, duplicates and unknown names; ListUserPoolClients paging.
 */
import {
  CognitoIdentityProviderClient,
  CreateIdentityProviderCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolCommand,
  DuplicateProviderException,
  GetUserPoolMfaConfigCommand,
  InvalidParameterException,
  ListUserPoolClientsCommand,
  ResourceNotFoundException,
  SetUserPoolMfaConfigCommand,
  UpdateIdentityProviderCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';

let emu: RunningEmulator;
let sdk: CognitoIdentityProviderClient;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sdk = new CognitoIdentityProviderClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});
afterAll(async () => {
  sdk.destroy();
  await emu.close();
});

const newPool = async (input: Partial<ConstructorParameters<typeof CreateUserPoolCommand>[0]> = {}) =>
  (await sdk.send(new CreateUserPoolCommand({ PoolName: 'p', ...input }))).UserPool!;
const describePool = async (id: string) => (await sdk.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool!;

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected a rejection');
}

describe('pool settings', () => {
  it('CreateUserPool keeps the given settings; DescribeUserPool shows them with the domain', async () => {
    const pool = await newPool({
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } },
      DeletionProtection: 'ACTIVE',
      UsernameAttributes: ['email'],
    });
    await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: pool.Id!, Domain: 'settings-login' }));
    const d = await describePool(pool.Id!);
    // Requirements the policy does not name are off, as Cognito fills them.
    expect(d.Policies?.PasswordPolicy).toEqual({
      MinimumLength: 12,
      RequireUppercase: false,
      RequireLowercase: false,
      RequireNumbers: false,
      RequireSymbols: true,
      PasswordHistorySize: 0,
      TemporaryPasswordValidityDays: 7,
    });
    expect([d.DeletionProtection, d.UsernameAttributes, d.Domain, d.MfaConfiguration]).toEqual(['ACTIVE', ['email'], 'settings-login', 'OFF']);
  });

  it('UpdateUserPool resets what it is not sent and refuses create-only settings', async () => {
    const pool = await newPool({ Policies: { PasswordPolicy: { MinimumLength: 12 } }, DeletionProtection: 'ACTIVE', UsernameAttributes: ['email'] });
    await sdk.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id!, AutoVerifiedAttributes: ['email'] }));
    const d = await describePool(pool.Id!);
    expect([d.Policies?.PasswordPolicy?.MinimumLength, d.DeletionProtection, d.UsernameAttributes]).toEqual([8, 'INACTIVE', ['email']]);
    expect(d.LastModifiedDate).toBeInstanceOf(Date);

    const tooShort = await rejection(sdk.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id!, Policies: { PasswordPolicy: { MinimumLength: 4 } } })));
    expect(tooShort.name).toBe('InvalidParameterException');
    expect(tooShort.message).toContain("at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value between 6 and 99");
    const smsless = await rejection(sdk.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id!, MfaConfiguration: 'ON' })));
    expect(smsless).toEqual({
      name: 'InvalidParameterException',
      message: 'SMS configuration and Auto verification for phone_number are required when MFA is required/optional',
      status: 400,
    });
    const both = await rejection(
      sdk.send(
        new UpdateUserPoolCommand({
          UserPoolId: pool.Id!,
          Policies: { PasswordPolicy: { TemporaryPasswordValidityDays: 3 } },
          AdminCreateUserConfig: { UnusedAccountValidityDays: 7 },
        }),
      ),
    );
    expect(both.message).toBe('Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays');
    await expect(sdk.send(new UpdateUserPoolCommand({ UserPoolId: 'us-east-1_Nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('MFA', () => {
  it('SetUserPoolMfaConfig turns TOTP MFA on; GetUserPoolMfaConfig and DescribeUserPool agree; UpdateUserPool may then keep it', async () => {
    const pool = await newPool();
    expect((await sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: pool.Id! }))).MfaConfiguration).toBe('OFF');
    const set = await sdk.send(
      new SetUserPoolMfaConfigCommand({ UserPoolId: pool.Id!, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }),
    );
    expect([set.MfaConfiguration, set.SoftwareTokenMfaConfiguration?.Enabled]).toEqual(['ON', true]);
    const got = await sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: pool.Id! }));
    expect([got.MfaConfiguration, got.SoftwareTokenMfaConfiguration?.Enabled]).toEqual(['ON', true]);
    expect((await describePool(pool.Id!)).MfaConfiguration).toBe('ON');
    await sdk.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id!, MfaConfiguration: 'ON' }));
    expect((await describePool(pool.Id!)).MfaConfiguration).toBe('ON');
    // UpdateUserPool without MfaConfiguration resets it to OFF.
    await sdk.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id! }));
    expect((await sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: pool.Id! }))).MfaConfiguration).toBe('OFF');
  });

  it("refuses MFA on with no method, and MFA off with one, in Cognito's words", async () => {
    const pool = await newPool();
    const none = await rejection(sdk.send(new SetUserPoolMfaConfigCommand({ UserPoolId: pool.Id!, MfaConfiguration: 'OPTIONAL' })));
    expect(none).toEqual({
      name: 'InvalidParameterException',
      message: "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.",
      status: 400,
    });
    const both = await rejection(
      sdk.send(new SetUserPoolMfaConfigCommand({ UserPoolId: pool.Id!, MfaConfiguration: 'OFF', SoftwareTokenMfaConfiguration: { Enabled: true } })),
    );
    expect(both.message).toBe("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.");
    await expect(sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: 'us-east-1_Nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('identity providers', () => {
  const details = {
    client_id: 'cid',
    client_secret: 'csecret',
    oidc_issuer: 'https://idp.example',
    authorize_scopes: 'openid email',
    attributes_request_method: 'GET',
  };

  it('CreateIdentityProvider, DescribeIdentityProvider, UpdateIdentityProvider; an app client may then name it', async () => {
    const pool = await newPool();
    const created = await sdk.send(
      new CreateIdentityProviderCommand({
        UserPoolId: pool.Id!,
        ProviderName: 'Corp',
        ProviderType: 'OIDC',
        ProviderDetails: details,
        AttributeMapping: { email: 'email' },
      }),
    );
    expect(created.IdentityProvider).toMatchObject({ UserPoolId: pool.Id, ProviderName: 'Corp', ProviderType: 'OIDC', ProviderDetails: details });
    expect(created.IdentityProvider?.CreationDate).toBeInstanceOf(Date);
    const updated = await sdk.send(
      new UpdateIdentityProviderCommand({ UserPoolId: pool.Id!, ProviderName: 'Corp', ProviderDetails: { ...details, client_secret: 'rotated' } }),
    );
    expect(updated.IdentityProvider?.ProviderDetails?.client_secret).toBe('rotated');
    const described = (await sdk.send(new DescribeIdentityProviderCommand({ UserPoolId: pool.Id!, ProviderName: 'Corp' }))).IdentityProvider!;
    expect([described.ProviderDetails?.client_secret, described.AttributeMapping]).toEqual(['rotated', { email: 'email' }]);
    const client = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool.Id!, ClientName: 'c', SupportedIdentityProviders: ['COGNITO', 'Corp'] }));
    expect(client.UserPoolClient?.SupportedIdentityProviders).toEqual(['COGNITO', 'Corp']);
  });

  it('refuses duplicates, missing details and unknown providers', async () => {
    const pool = await newPool();
    const input = { UserPoolId: pool.Id!, ProviderName: 'Corp', ProviderType: 'OIDC' as const, ProviderDetails: details };
    await sdk.send(new CreateIdentityProviderCommand(input));
    const dup = await sdk.send(new CreateIdentityProviderCommand(input)).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(DuplicateProviderException);
    expect((dup as Error).message).toBe('A provider with the name Corp already exists in this user pool.');
    const { oidc_issuer: _dropped, ...partial } = details;
    const incomplete = await sdk
      .send(new CreateIdentityProviderCommand({ ...input, ProviderName: 'Other', ProviderDetails: partial }))
      .catch((e: unknown) => e);
    expect(incomplete).toBeInstanceOf(InvalidParameterException);
    expect((incomplete as Error).message).toBe('oidc_issuer is required in ProviderDetails for OIDC providers.');
    const unknown = await rejection(sdk.send(new DescribeIdentityProviderCommand({ UserPoolId: pool.Id!, ProviderName: 'Nobody' })));
    expect(unknown).toEqual({ name: 'ResourceNotFoundException', message: 'Identity provider Nobody does not exist.', status: 400 });
    await expect(sdk.send(new UpdateIdentityProviderCommand({ UserPoolId: pool.Id!, ProviderName: 'Nobody' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('describes a seeded provider as the emulated OIDC provider it is', async () => {
    const seeded = (await sdk.send(new DescribeIdentityProviderCommand({ UserPoolId: 'us-east-1_DemoPool1', ProviderName: 'PartnerIdP' }))).IdentityProvider!;
    expect(seeded.ProviderType).toBe('OIDC');
    expect(seeded.ProviderDetails?.oidc_issuer).toBe(`${emu.url}/_idp/PartnerIdP`);
  });
});

it('ListUserPoolClients pages with NextToken', async () => {
  const pool = await newPool();
  for (const n of ['a', 'b', 'c']) await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool.Id!, ClientName: n }));
  const first = await sdk.send(new ListUserPoolClientsCommand({ UserPoolId: pool.Id!, MaxResults: 2 }));
  expect(first.UserPoolClients?.map((c) => c.ClientName)).toEqual(['a', 'b']);
  const second = await sdk.send(new ListUserPoolClientsCommand({ UserPoolId: pool.Id!, MaxResults: 2, NextToken: first.NextToken! }));
  expect([second.UserPoolClients?.map((c) => c.ClientName), second.NextToken]).toEqual([['c'], undefined]);
});
