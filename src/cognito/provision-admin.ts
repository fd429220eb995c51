/**
 * The admin operations `provision` sends (pool, domain, MFA, app clients, identity providers), each a
 * named method so the IAM policy test sees every action. CLI-only: nothing in the gateway or the
 * Worker imports this module, so these SDK commands stay out of the Worker bundle and the runtime
 * needs none of their permissions. Same time limit, retries and errors as the runtime admin client.
 */
import {
  CognitoIdentityProviderClient,
  type CreateIdentityProviderCommandInput,
  CreateIdentityProviderCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolClientCommand,
  type CreateUserPoolCommandInput,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  type DomainDescriptionType,
  GetUserPoolMfaConfigCommand,
  type GetUserPoolMfaConfigCommandOutput,
  type IdentityProviderType,
  ListUserPoolClientsCommand,
  type SetUserPoolMfaConfigCommandInput,
  SetUserPoolMfaConfigCommand,
  type UpdateIdentityProviderCommandInput,
  UpdateIdentityProviderCommand,
  type UpdateUserPoolClientCommandInput,
  UpdateUserPoolClientCommand,
  type UpdateUserPoolCommandInput,
  UpdateUserPoolCommand,
  type UserPoolClientDescription,
  type UserPoolClientType,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { type CognitoAdminOptions, fetchRequestHandler } from './client';
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

export function createProvisionAdmin(opts: CognitoAdminOptions): ProvisionAdmin {
  const client = new CognitoIdentityProviderClient({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: 1,
    requestHandler: fetchRequestHandler(opts.fetch ?? ((input, init) => globalThis.fetch(input, init)), opts.timeoutMs ?? 10_000),
  });
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const backoff = opts.backoffMs ?? defaultBackoff;

  /** `idempotent: false` (creates) retries only throttling: nothing happened then. */
  async function call<T>(operation: string, run: () => Promise<T>, idempotent = true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
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
        call('DescribeUserPool', async () => {
          const out = await client.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
          if (!out.UserPool) throw unexpected('DescribeUserPool', 'UserPool');
          return out.UserPool;
        }),
      ),
    createUserPool: (input) =>
      call(
        'CreateUserPool',
        async () => {
          const out = await client.send(new CreateUserPoolCommand(input));
          if (!out.UserPool?.Id) throw unexpected('CreateUserPool', 'UserPool');
          return out.UserPool;
        },
        false,
      ),
    updateUserPool: (input) =>
      call('UpdateUserPool', async () => {
        await client.send(new UpdateUserPoolCommand(input));
      }),
    describeUserPoolDomain: (domain) =>
      call('DescribeUserPoolDomain', async () => {
        const d = (await client.send(new DescribeUserPoolDomainCommand({ Domain: domain }))).DomainDescription;
        return d?.UserPoolId ? d : undefined;
      }),
    createUserPoolDomain: (userPoolId, domain) =>
      call(
        'CreateUserPoolDomain',
        async () => {
          await client.send(new CreateUserPoolDomainCommand({ UserPoolId: userPoolId, Domain: domain }));
        },
        false,
      ),
    getUserPoolMfaConfig: (userPoolId) =>
      call('GetUserPoolMfaConfig', async () => {
        const { $metadata: _m, ...config } = await client.send(new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }));
        return config;
      }),
    setUserPoolMfaConfig: (input) =>
      call('SetUserPoolMfaConfig', async () => {
        await client.send(new SetUserPoolMfaConfigCommand(input));
      }),
    describeUserPoolClient: (userPoolId, clientId) =>
      orMissing(
        call('DescribeUserPoolClient', async () => {
          const out = await client.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
          if (!out.UserPoolClient) throw unexpected('DescribeUserPoolClient', 'UserPoolClient');
          return out.UserPoolClient;
        }),
      ),
    listUserPoolClients: (userPoolId) =>
      call('ListUserPoolClients', async () => {
        const all: UserPoolClientDescription[] = [];
        let next: string | undefined;
        do {
          const out = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, ...(next ? { NextToken: next } : {}) }));
          all.push(...(out.UserPoolClients ?? []));
          next = out.NextToken;
        } while (next);
        return all;
      }),
    createUserPoolClient: (input) =>
      call(
        'CreateUserPoolClient',
        async () => {
          const out = await client.send(new CreateUserPoolClientCommand(input));
          if (!out.UserPoolClient?.ClientId) throw unexpected('CreateUserPoolClient', 'UserPoolClient');
          return out.UserPoolClient;
        },
        false,
      ),
    updateUserPoolClient: (input) =>
      call('UpdateUserPoolClient', async () => {
        await client.send(new UpdateUserPoolClientCommand(input));
      }),
    describeIdentityProvider: (userPoolId, name) =>
      orMissing(
        call('DescribeIdentityProvider', async () => {
          const out = await client.send(new DescribeIdentityProviderCommand({ UserPoolId: userPoolId, ProviderName: name }));
          if (!out.IdentityProvider) throw unexpected('DescribeIdentityProvider', 'IdentityProvider');
          return out.IdentityProvider;
        }),
      ),
    createIdentityProvider: (input) =>
      call(
        'CreateIdentityProvider',
        async () => {
          await client.send(new CreateIdentityProviderCommand(input));
        },
        false,
      ),
    updateIdentityProvider: (input) =>
      call('UpdateIdentityProvider', async () => {
        await client.send(new UpdateIdentityProviderCommand(input));
      }),
  };
}
