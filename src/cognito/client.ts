/**
 * A thin layer over `@aws-sdk/client-cognito-identity-provider`: the admin operations the gateway and
 * its CLI need, with a time limit per attempt, retries for what is worth retrying, and every failure
 * turned into a `CognitoAdminError`. Web-API only (Node and workerd): HTTP goes through `fetch`.
 *
 * The SDK is imported lazily on the first call, so a Worker that never calls the admin API does not
 * pay for it at start-up.
 */
import type {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommandInput,
  UpdateUserPoolClientCommandInput,
  UserPoolClientType,
  UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Logger } from '../log';
import { CognitoAdminError, toCognitoAdminError } from './errors';

type Sdk = typeof import('./sdk');

let sdkPromise: Promise<Sdk> | undefined;
/** Loads the SDK once per isolate/process. */
export function loadCognitoSdk(): Promise<Sdk> {
  sdkPromise ??= import('./sdk').catch((e: unknown) => {
    sdkPromise = undefined;
    throw e;
  });
  return sdkPromise;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface CognitoAdminOptions {
  region: string;
  userPoolId: string;
  /** Endpoint override (the emulator: `http://127.0.0.1:9229`). Default: the regional AWS endpoint. */
  endpoint?: string;
  /** Explicit credentials. Default: the SDK's standard chain (env, profile, SSO, ECS/IMDS; Node only). */
  credentials?: AwsCredentials;
  /** Time limit per attempt (request and response body). Default 3000 ms. */
  timeoutMs?: number;
  /** Attempts for retryable failures (throttling, 5xx, time-outs, network). Default 3. */
  maxAttempts?: number;
  /** HTTP client; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Retries are logged at warn level (operation and error type only). */
  log?: Logger;
  /** Pause before retry `attempt` (1-based); default exponential with jitter, 50 ms .. 1 s. For tests. */
  backoffMs?: (attempt: number) => number;
}

export interface AdminUser {
  username: string;
  enabled: boolean;
  /** UNCONFIRMED, CONFIRMED, ARCHIVED, COMPROMISED, UNKNOWN, RESET_REQUIRED, FORCE_CHANGE_PASSWORD, EXTERNAL_PROVIDER */
  userStatus: string;
  /** Every attribute as Cognito returns it (strings; `sub` included; `identities` is JSON text). */
  attributes: Record<string, string>;
  createdAt?: Date;
  lastModifiedAt?: Date;
}

export interface AuthTokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Seconds. */
  expiresIn: number;
}

export type InitiateAuthResult =
  | { kind: 'tokens'; tokens: AuthTokens }
  | { kind: 'challenge'; challengeName: string; session?: string; parameters: Record<string, string> };

export interface AdminInitiateAuthInput {
  clientId: string;
  /** Default ADMIN_USER_PASSWORD_AUTH. */
  authFlow?: 'ADMIN_USER_PASSWORD_AUTH' | 'ADMIN_NO_SRP_AUTH' | 'REFRESH_TOKEN_AUTH';
  /** USERNAME, PASSWORD, SECRET_HASH, ... (never logged). */
  authParameters: Record<string, string>;
  clientMetadata?: Record<string, string>;
}

export interface AdminRespondToAuthChallengeInput {
  clientId: string;
  challengeName: string;
  /** Cognito's `Session` from the challenge being answered. */
  session: string;
  /** USERNAME, SECRET_HASH, NEW_PASSWORD, SOFTWARE_TOKEN_MFA_CODE, SMS_MFA_CODE... (never logged). */
  responses: Record<string, string>;
}

/** InitiateAuth: the public (unauthenticated) sign-in; the pool is the client's. */
export interface PublicInitiateAuthInput {
  clientId: string;
  authFlow: 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH';
  /** USERNAME, PASSWORD, SECRET_HASH, REFRESH_TOKEN... (never logged). */
  authParameters: Record<string, string>;
  clientMetadata?: Record<string, string>;
}

/** RespondToAuthChallenge: the public form of AdminRespondToAuthChallenge. */
export type PublicRespondToAuthChallengeInput = AdminRespondToAuthChallengeInput;

export type ClientSettingsInput = Omit<UpdateUserPoolClientCommandInput, 'UserPoolId'>;
export type NewClientInput = Omit<CreateUserPoolClientCommandInput, 'UserPoolId'>;

export interface CognitoAdmin {
  readonly region: string;
  readonly userPoolId: string;
  /** AdminGetUser. Throws CognitoAdminError `UserNotFoundException` for an unknown user. */
  getUser(username: string): Promise<AdminUser>;
  /** AdminUserGlobalSignOut: every refresh token of the user stops working. */
  globalSignOut(username: string): Promise<void>;
  /** AdminInitiateAuth. Challenges are results, not errors. */
  adminInitiateAuth(input: AdminInitiateAuthInput): Promise<InitiateAuthResult>;
  /** AdminRespondToAuthChallenge: tokens, or the next challenge. Retried only when throttled (a session is single use). */
  adminRespondToAuthChallenge(input: AdminRespondToAuthChallengeInput): Promise<InitiateAuthResult>;
  /** InitiateAuth (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH): unsigned, needs no AWS credentials. Challenges are results. */
  initiateAuth(input: PublicInitiateAuthInput): Promise<InitiateAuthResult>;
  /** RespondToAuthChallenge: unsigned, needs no AWS credentials. Retried only when throttled (a session is single use). */
  respondToAuthChallenge(input: PublicRespondToAuthChallengeInput): Promise<InitiateAuthResult>;
  describeUserPool(): Promise<UserPoolType>;
  describeUserPoolClient(clientId: string): Promise<UserPoolClientType>;
  /** ListUsers, one page (at most 60). */
  listUsers(paginationToken?: string): Promise<{ users: AdminUser[]; next?: string }>;
  /** ListGroups, one page. */
  listGroups(nextToken?: string): Promise<{ groups: string[]; next?: string }>;
  /** ListUsersInGroup, one page. */
  listUsersInGroup(group: string, nextToken?: string): Promise<{ users: AdminUser[]; next?: string }>;
  /** The same client and settings, bound to another pool. */
  withUserPool(userPoolId: string): CognitoAdmin;
}

/** A UserType of ListUsers / ListUsersInGroup (`Attributes`, not `UserAttributes`). */
function listedUser(u: { Username?: string; Attributes?: Array<{ Name?: string; Value?: string }>; Enabled?: boolean; UserStatus?: string }): AdminUser {
  const attributes: Record<string, string> = {};
  for (const a of u.Attributes ?? []) if (a.Name) attributes[a.Name] = a.Value ?? '';
  return { username: u.Username ?? '', enabled: u.Enabled !== false, userStatus: u.UserStatus ?? 'UNKNOWN', attributes };
}

const defaultBackoff = (attempt: number) => Math.min(1000, 50 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

/** Structural view of the SDK's HttpRequest (kept local: the SDK's types package is not a direct dependency). */
interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** A request handler for the SDK on top of fetch, with a time limit covering the response body too. */
export function fetchRequestHandler(fetchImpl: typeof fetch, timeoutMs: number) {
  return {
    metadata: { handlerProtocol: 'h1' },
    async handle(request: SdkHttpRequest, options?: { abortSignal?: { aborted: boolean; addEventListener?: unknown } }) {
      let url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}`;
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query ?? {})) {
        if (v === null) query.append(k, '');
        else for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
      }
      if ([...query].length) url += `?${query}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(request.headers)) {
        const lower = k.toLowerCase();
        if (lower === 'host' || lower === 'content-length' || lower === 'expect') continue;
        headers.set(k, v);
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const outer = options?.abortSignal;
      const signal = outer && typeof outer.addEventListener === 'function' ? AbortSignal.any([timeout, outer as AbortSignal]) : timeout;
      try {
        const res = await fetchImpl(url, {
          method: request.method,
          headers,
          body: request.method === 'GET' || request.method === 'HEAD' ? undefined : (request.body as BodyInit | undefined),
          signal,
        });
        const body = new Uint8Array(await res.arrayBuffer());
        const resHeaders: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          resHeaders[k] = v;
        });
        return { response: { statusCode: res.status, reason: res.statusText, headers: resHeaders, body } };
      } catch (e) {
        if (timeout.aborted) {
          const err = new Error(`no answer within ${timeoutMs} ms`);
          err.name = 'TimeoutError';
          throw err;
        }
        if (outer?.aborted) throw e;
        const err = new Error(`request to ${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''} failed: ${(e as Error).message}`, {
          cause: e,
        });
        err.name = 'NetworkError';
        throw err;
      }
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs(): Record<string, never> {
      return {};
    },
    destroy(): void {},
  };
}

const toDate = (v: unknown): Date | undefined => (v instanceof Date ? v : typeof v === 'number' ? new Date(v * 1000) : undefined);

/** Tokens or a challenge, from an AdminInitiateAuth / AdminRespondToAuthChallenge answer. */
function authResult(
  operation: string,
  out: {
    AuthenticationResult?: { AccessToken?: string; IdToken?: string; RefreshToken?: string; ExpiresIn?: number };
    ChallengeName?: string;
    Session?: string;
    ChallengeParameters?: Record<string, string>;
  },
): InitiateAuthResult {
  const r = out.AuthenticationResult;
  if (r?.AccessToken && r.IdToken) {
    return {
      kind: 'tokens' as const,
      tokens: {
        idToken: r.IdToken,
        accessToken: r.AccessToken,
        ...(r.RefreshToken ? { refreshToken: r.RefreshToken } : {}),
        expiresIn: r.ExpiresIn ?? 3600,
      },
    };
  }
  if (out.ChallengeName) {
    return {
      kind: 'challenge' as const,
      challengeName: out.ChallengeName,
      ...(out.Session ? { session: out.Session } : {}),
      parameters: out.ChallengeParameters ?? {},
    };
  }
  throw new CognitoAdminError({
    name: 'UnexpectedResponse',
    operation,
    detail: 'neither tokens nor a challenge in the answer',
    retryable: false,
  });
}

interface Shared {
  opts: CognitoAdminOptions;
  client?: Promise<{ sdk: Sdk; client: CognitoIdentityProviderClient }>;
}

/**
 * The SDK client's settings for our admin clients (this one and provisioning's): retries are ours,
 * so the outcome and `retryable` agree; requests go through `fetch` with our time limit.
 */
export function sdkClientConfig(opts: CognitoAdminOptions, defaultTimeoutMs: number) {
  return {
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: 1,
    requestHandler: fetchRequestHandler(opts.fetch ?? ((input, init) => globalThis.fetch(input, init)), opts.timeoutMs ?? defaultTimeoutMs),
  };
}

function build(shared: Shared, userPoolId: string): CognitoAdmin {
  const { opts } = shared;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const backoff = opts.backoffMs ?? defaultBackoff;

  const clientOf = () => {
    shared.client ??= loadCognitoSdk()
      .then((sdk) => ({
        sdk,
        client: new sdk.CognitoIdentityProviderClient(sdkClientConfig(opts, 3000)),
      }))
      .catch((e: unknown) => {
        shared.client = undefined;
        throw e;
      });
    return shared.client;
  };

  /** Runs one operation with retries. `idempotent: false` retries only throttling (nothing happened). */
  async function call<T>(operation: string, run: (sdk: Sdk, client: CognitoIdentityProviderClient) => Promise<T>, idempotent = true): Promise<T> {
    let loaded: { sdk: Sdk; client: CognitoIdentityProviderClient };
    try {
      loaded = await clientOf();
    } catch (e) {
      throw new CognitoAdminError({ name: 'SdkLoadError', operation, detail: `cannot load the AWS SDK: ${(e as Error).message}`, retryable: false, cause: e });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(loaded.sdk, loaded.client);
      } catch (e) {
        const err = toCognitoAdminError(operation, e);
        const again = err.retryable && attempt < maxAttempts && (idempotent || err.throttled);
        if (!again) throw err;
        opts.log?.warn('cognito admin call failed; retrying', { operation, error: err.name, attempt });
        await new Promise((r) => setTimeout(r, backoff(attempt)));
      }
    }
  }

  return {
    region: opts.region,
    userPoolId,

    getUser: (username) =>
      call('AdminGetUser', async (sdk, client) => {
        const out = await client.send(new sdk.AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
        const attributes: Record<string, string> = {};
        for (const a of out.UserAttributes ?? []) if (a.Name) attributes[a.Name] = a.Value ?? '';
        return {
          username: out.Username ?? username,
          enabled: out.Enabled !== false,
          userStatus: out.UserStatus ?? 'UNKNOWN',
          attributes,
          createdAt: toDate(out.UserCreateDate),
          lastModifiedAt: toDate(out.UserLastModifiedDate),
        };
      }),

    globalSignOut: (username) =>
      call('AdminUserGlobalSignOut', async (sdk, client) => {
        await client.send(new sdk.AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: username }));
      }),

    adminInitiateAuth: (input) =>
      call('AdminInitiateAuth', async (sdk, client) => {
        const out = await client.send(
          new sdk.AdminInitiateAuthCommand({
            UserPoolId: userPoolId,
            ClientId: input.clientId,
            AuthFlow: input.authFlow ?? 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: input.authParameters,
            ...(input.clientMetadata ? { ClientMetadata: input.clientMetadata } : {}),
          }),
        );
        return authResult('AdminInitiateAuth', out);
      }),

    adminRespondToAuthChallenge: (input) =>
      call(
        'AdminRespondToAuthChallenge',
        async (sdk, client) => {
          const out = await client.send(
            new sdk.AdminRespondToAuthChallengeCommand({
              UserPoolId: userPoolId,
              ClientId: input.clientId,
              ChallengeName: input.challengeName as never,
              Session: input.session,
              ChallengeResponses: input.responses,
            }),
          );
          return authResult('AdminRespondToAuthChallenge', out);
        },
        false,
      ),

    // Retried like AdminInitiateAuth: both modes behave the same.
    initiateAuth: (input) =>
      call('InitiateAuth', async (sdk, client) => {
        const out = await client.send(
          new sdk.InitiateAuthCommand({
            ClientId: input.clientId,
            AuthFlow: input.authFlow,
            AuthParameters: input.authParameters,
            ...(input.clientMetadata ? { ClientMetadata: input.clientMetadata } : {}),
          }),
        );
        return authResult('InitiateAuth', out);
      }),

    respondToAuthChallenge: (input) =>
      call(
        'RespondToAuthChallenge',
        async (sdk, client) => {
          const out = await client.send(
            new sdk.RespondToAuthChallengeCommand({
              ClientId: input.clientId,
              ChallengeName: input.challengeName as never,
              Session: input.session,
              ChallengeResponses: input.responses,
            }),
          );
          return authResult('RespondToAuthChallenge', out);
        },
        false,
      ),

    describeUserPool: () =>
      call('DescribeUserPool', async (sdk, client) => {
        const out = await client.send(new sdk.DescribeUserPoolCommand({ UserPoolId: userPoolId }));
        if (!out.UserPool) throw new CognitoAdminError({ name: 'UnexpectedResponse', operation: 'DescribeUserPool', detail: 'no UserPool in the answer' });
        return out.UserPool;
      }),

    describeUserPoolClient: (clientId) =>
      call('DescribeUserPoolClient', async (sdk, client) => {
        const out = await client.send(new sdk.DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
        if (!out.UserPoolClient)
          throw new CognitoAdminError({ name: 'UnexpectedResponse', operation: 'DescribeUserPoolClient', detail: 'no UserPoolClient in the answer' });
        return out.UserPoolClient;
      }),

    listUsers: (paginationToken) =>
      call('ListUsers', async (sdk, client) => {
        const out = await client.send(
          new sdk.ListUsersCommand({ UserPoolId: userPoolId, Limit: 60, ...(paginationToken ? { PaginationToken: paginationToken } : {}) }),
        );
        return { users: (out.Users ?? []).map(listedUser), next: out.PaginationToken };
      }),

    listGroups: (nextToken) =>
      call('ListGroups', async (sdk, client) => {
        const out = await client.send(new sdk.ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60, ...(nextToken ? { NextToken: nextToken } : {}) }));
        return { groups: (out.Groups ?? []).map((g) => g.GroupName ?? '').filter(Boolean), next: out.NextToken };
      }),

    listUsersInGroup: (group, nextToken) =>
      call('ListUsersInGroup', async (sdk, client) => {
        const out = await client.send(
          new sdk.ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: group, Limit: 60, ...(nextToken ? { NextToken: nextToken } : {}) }),
        );
        return { users: (out.Users ?? []).map(listedUser), next: out.NextToken };
      }),

    withUserPool: (otherPoolId) => build(shared, otherPoolId),
  };
}

export function createCognitoAdmin(opts: CognitoAdminOptions): CognitoAdmin {
  if (!opts.region) throw new TypeError('createCognitoAdmin: region is required');
  if (!opts.userPoolId) throw new TypeError('createCognitoAdmin: userPoolId is required');
  return build({ opts }, opts.userPoolId);
}

/** The region of a pool id (`eu-west-1_AbC123` → `eu-west-1`). */
export function regionOfPool(userPoolId: string): string | undefined {
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(userPoolId);
  return m?.[1];
}
