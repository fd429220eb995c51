/**
 * The admin operations `provision` sends (pool, domain, MFA, app clients, identity providers), each a
 * named method so the IAM policy test sees every action. CLI-only: nothing in the gateway or the
 * Worker imports this module, so these SDK commands stay out of the Worker bundle and the runtime
 * needs none of their permissions. Same time limit, retries and errors as the runtime admin client.
 */
import type {
  CreateIdentityProviderCommandInput,
  CreateUserPoolClientCommandInput,
  CreateUserPoolCommandInput,
  DomainDescriptionType,
  GetUserPoolMfaConfigCommandOutput,
  IdentityProviderType,
  SetUserPoolMfaConfigCommandInput,
  UpdateIdentityProviderCommandInput,
  UpdateUserPoolClientCommandInput,
  UpdateUserPoolCommandInput,
  UserPoolClientDescription,
  UserPoolClientType,
  UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { type CognitoAdminOptions, sdkClientConfig } from './client';
import { CognitoAdminError, toCognitoAdminError } from './errors';

export type MfaConfig = Omit<GetUserPoolMfaConfigCommandOutput, '$metadata'>;

export interface ProvisionAdmin {
  /** `undefined` when the pool does not exist. */
  describeUserPool(userPoolId: string): Promise<UserPoolType | undefined>;
  createUserPool(input: CreateUserPoolCommandInput): Promise<UserPoolType>;
  /** REPLACES every setting: a setting left out goes back to its default. */
  updateUserPool(input: UpdateUserPoolCommandInput): Promise<void>;
  /** `undefined` when no pool holds the prefix. */
  describeUserPoolDomain(domain: string): Promise<DomainDescriptionType | undefined>;
  createUserPoolDomain(userPoolId: string, domain: string): Promise<void>;
  getUserPoolMfaConfig(userPoolId: string): Promise<MfaConfig>;
  setUserPoolMfaConfig(input: SetUserPoolMfaConfigCommandInput): Promise<void>;
  /** `undefined` when the client does not exist. */
  describeUserPoolClient(userPoolId: string, clientId: string): Promise<UserPoolClientType | undefined>;
  /** Every page. */
  listUserPoolClients(userPoolId: string): Promise<UserPoolClientDescription[]>;
  createUserPoolClient(input: CreateUserPoolClientCommandInput): Promise<UserPoolClientType>;
  /** REPLACES the whole client configuration: send every field. */
  updateUserPoolClient(input: UpdateUserPoolClientCommandInput): Promise<void>;
  /** `undefined` when the pool has no provider of that name. */
  describeIdentityProvider(userPoolId: string, name: string): Promise<IdentityProviderType | undefined>;
  createIdentityProvider(input: CreateIdentityProviderCommandInput): Promise<void>;
  updateIdentityProvider(input: UpdateIdentityProviderCommandInput): Promise<void>;
}

const defaultBackoff = (attempt: number) => Math.min(1000, 50 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

type Sdk = typeof import('./provision-sdk');

export function createProvisionAdmin(opts: CognitoAdminOptions): ProvisionAdmin {
  let loaded: Promise<{ sdk: Sdk; client: InstanceType<Sdk['CognitoIdentityProviderClient']> }> | undefined;
  const load = () =>
    (loaded ??= import('./provision-sdk').then((sdk) => ({
      sdk,
      client: new sdk.CognitoIdentityProviderClient(sdkClientConfig(opts, 10_000)),
    })));
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const backoff = opts.backoffMs ?? defaultBackoff;

  /** `idempotent: false` (creates) retries only throttling: nothing happened then. */
  async function call<T>(
    operation: string,
    run: (sdk: Sdk, client: InstanceType<Sdk['CognitoIdentityProviderClient']>) => Promise<T>,
    idempotent = true,
  ): Promise<T> {
    let sdk: Sdk;
    let client: InstanceType<Sdk['CognitoIdentityProviderClient']>;
    try {
      ({ sdk, client } = await load());
    } catch (e) {
      loaded = undefined;
      throw new CognitoAdminError({ name: 'SdkLoadError', operation, detail: `cannot load the AWS SDK: ${(e as Error).message}`, retryable: false, cause: e });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(sdk, client);
      } catch (e) {
        const err = toCognitoAdminError(operation, e);
        if (!(err.retryable && attempt < maxAttempts && (idempotent || err.throttled))) throw err;
        await new Promise((r) => setTimeout(r, backoff(attempt)));
      }
    }
  }
  /** ResourceNotFoundException as `undefined`. */
  const orMissing = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (e) {
      if (e instanceof CognitoAdminError && e.name === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  };
  const unexpected = (operation: string, what: string) => new CognitoAdminError({ name: 'UnexpectedResponse', operation, detail: `no ${what} in the answer` });

  return {
    describeUserPool: (userPoolId) =>
      orMissing(
        call('DescribeUserPool', async (sdk, client) => {
          const out = await client.send(new sdk.DescribeUserPoolCommand({ UserPoolId: userPoolId }));
          if (!out.UserPool) throw unexpected('DescribeUserPool', 'UserPool');
          return out.UserPool;
        }),
      ),
    createUserPool: (input) =>
      call(
        'CreateUserPool',
        async (sdk, client) => {
          const out = await client.send(new sdk.CreateUserPoolCommand(input));
          if (!out.UserPool?.Id) throw unexpected('CreateUserPool', 'UserPool');
          return out.UserPool;
        },
        false,
      ),
    updateUserPool: (input) =>
      call('UpdateUserPool', async (sdk, client) => {
        await client.send(new sdk.UpdateUserPoolCommand(input));
      }),
    describeUserPoolDomain: (domain) =>
      call('DescribeUserPoolDomain', async (sdk, client) => {
        const d = (await client.send(new sdk.DescribeUserPoolDomainCommand({ Domain: domain }))).DomainDescription;
        return d?.UserPoolId ? d : undefined;
      }),
    createUserPoolDomain: (userPoolId, domain) =>
      call(
        'CreateUserPoolDomain',
        async (sdk, client) => {
          await client.send(new sdk.CreateUserPoolDomainCommand({ UserPoolId: userPoolId, Domain: domain }));
        },
        false,
      ),
    getUserPoolMfaConfig: (userPoolId) =>
      call('GetUserPoolMfaConfig', async (sdk, client) => {
        const { $metadata: _m, ...config } = await client.send(new sdk.GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }));
        return config;
      }),
    setUserPoolMfaConfig: (input) =>
      call('SetUserPoolMfaConfig', async (sdk, client) => {
        await client.send(new sdk.SetUserPoolMfaConfigCommand(input));
      }),
    describeUserPoolClient: (userPoolId, clientId) =>
      orMissing(
        call('DescribeUserPoolClient', async (sdk, client) => {
          const out = await client.send(new sdk.DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
          if (!out.UserPoolClient) throw unexpected('DescribeUserPoolClient', 'UserPoolClient');
          return out.UserPoolClient;
        }),
      ),
    listUserPoolClients: (userPoolId) =>
      call('ListUserPoolClients', async (sdk, client) => {
        const all: UserPoolClientDescription[] = [];
        let next: string | undefined;
        do {
          const out = await client.send(new sdk.ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, ...(next ? { NextToken: next } : {}) }));
          all.push(...(out.UserPoolClients ?? []));
          next = out.NextToken;
        } while (next);
        return all;
      }),
    createUserPoolClient: (input) =>
      call(
        'CreateUserPoolClient',
        async (sdk, client) => {
          const out = await client.send(new sdk.CreateUserPoolClientCommand(input));
          if (!out.UserPoolClient?.ClientId) throw unexpected('CreateUserPoolClient', 'UserPoolClient');
          return out.UserPoolClient;
        },
        false,
      ),
    updateUserPoolClient: (input) =>
      call('UpdateUserPoolClient', async (sdk, client) => {
        await client.send(new sdk.UpdateUserPoolClientCommand(input));
      }),
    describeIdentityProvider: (userPoolId, name) =>
      orMissing(
        call('DescribeIdentityProvider', async (sdk, client) => {
          const out = await client.send(new sdk.DescribeIdentityProviderCommand({ UserPoolId: userPoolId, ProviderName: name }));
          if (!out.IdentityProvider) throw unexpected('DescribeIdentityProvider', 'IdentityProvider');
          return out.IdentityProvider;
        }),
      ),
    createIdentityProvider: (input) =>
      call(
        'CreateIdentityProvider',
        async (sdk, client) => {
          await client.send(new sdk.CreateIdentityProviderCommand(input));
        },
        false,
      ),
    updateIdentityProvider: (input) =>
      call('UpdateIdentityProvider', async (sdk, client) => {
        await client.send(new sdk.UpdateIdentityProviderCommand(input));
      }),
  };
}
