import { newClientId, newClientSecret } from '../ids';
import { OAUTH_FLOWS, type ClientSeed, type OAuthFlow } from '../seed';
import type { ClientRecord, PoolState, TimeUnit } from '../state';
import { CognitoError, invalidParameter } from './errors';
import {
  decodePageToken,
  encodePageToken,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringList,
  pageLimit,
  requireString,
  type Input,
} from './input';
import { clientOf, poolOf, type Operation } from './lookup';
import { domainOf } from './pools';
import { UNIT_SECONDS, userPoolClientType, userPoolType } from './shapes';

/** DescribeUserPool and app-client administration. */

const STANDARD_SCOPES = new Set(['openid', 'email', 'phone', 'profile', 'aws.cognito.signin.user.admin']);
const UNITS = new Set<TimeUnit>(['seconds', 'minutes', 'hours', 'days']);

function unitOf(units: Input | undefined, name: string, fallback: TimeUnit): TimeUnit {
  const v = units?.[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !UNITS.has(v as TimeUnit)) throw invalidParameter(`Invalid TokenValidityUnits.${name}: ${String(v)}`);
  return v as TimeUnit;
}

/** A lifetime in seconds, within Cognito's bounds. */
function lifetime(input: Input, name: string, unit: TimeUnit, defaultSeconds: number, min: number, max: number): number {
  const value = optionalNumber(input, name);
  const seconds = value === undefined ? defaultSeconds : value * UNIT_SECONDS[unit];
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw invalidParameter(`${name} must be between ${min} and ${max} seconds.`);
  }
  return seconds;
}

/** Whether a callback/sign-out URL is acceptable: https, http only for loopback hosts, or an app scheme. */
function acceptableRedirect(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.hash) return false;
    if (u.protocol === 'http:') return ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
    return true;
  } catch {
    return false;
  }
}

/** Builds full client settings from a Create/UpdateUserPoolClient request: omitted fields get defaults. */
function settingsFromRequest(
  pool: PoolState,
  input: Input,
  id: string,
  secret: string | undefined,
  name: string,
): { settings: ClientSeed; units: NonNullable<ClientRecord['units']> } {
  const unitsIn = optionalObject(input, 'TokenValidityUnits');
  const units = {
    accessToken: unitOf(unitsIn, 'AccessToken', 'hours'),
    idToken: unitOf(unitsIn, 'IdToken', 'hours'),
    refreshToken: unitOf(unitsIn, 'RefreshToken', 'days'),
  };
  const accessTokenValidity = lifetime(input, 'AccessTokenValidity', units.accessToken, 3600, 300, 86400);
  const idTokenValidity = lifetime(input, 'IdTokenValidity', units.idToken, 3600, 300, 86400);
  const refreshTokenValidity = lifetime(input, 'RefreshTokenValidity', units.refreshToken, 30 * 86400, 3600, 3650 * 86400);

  const oauthEnabled = optionalBoolean(input, 'AllowedOAuthFlowsUserPoolClient') ?? false;
  const flows = optionalStringList(input, 'AllowedOAuthFlows') ?? [];
  for (const f of flows) if (!(OAUTH_FLOWS as readonly string[]).includes(f)) throw invalidParameter(`Invalid OAuth flow: ${f}`);
  if (flows.includes('client_credentials') && flows.length > 1) {
    throw new CognitoError('InvalidOAuthFlowException', 'client_credentials flow can not be selected along with code flow or implicit flow.');
  }
  if (flows.includes('client_credentials') && secret === undefined) {
    throw new CognitoError('InvalidOAuthFlowException', 'client_credentials flow can not be selected if client does not have a client secret.');
  }
  const scopes = optionalStringList(input, 'AllowedOAuthScopes') ?? [];
  const custom = new Set(pool.resourceServers.flatMap((rs) => rs.scopes.map((s) => `${rs.identifier}/${s.name}`)));
  for (const s of scopes) {
    if (!STANDARD_SCOPES.has(s) && !custom.has(s)) throw new CognitoError('ScopeDoesNotExistException', `Invalid scope requested: ${s}`);
  }
  const providers = optionalStringList(input, 'SupportedIdentityProviders') ?? [];
  for (const p of providers) {
    if (p !== 'COGNITO' && !pool.identityProviders.has(p)) throw invalidParameter(`The provider ${p} does not exist for User Pool ${pool.id}`);
  }
  const callbackUrls = optionalStringList(input, 'CallbackURLs') ?? [];
  const logoutUrls = optionalStringList(input, 'LogoutURLs') ?? [];
  for (const u of [...callbackUrls, ...logoutUrls]) {
    if (!acceptableRedirect(u)) throw invalidParameter(`Invalid redirect URL ${u}: use https (http only for localhost).`);
  }
  if (callbackUrls.length > 100 || logoutUrls.length > 100) throw invalidParameter('At most 100 callback and 100 sign-out URLs.');

  const rotation = optionalObject(input, 'RefreshTokenRotation');
  const grace = rotation?.RetryGracePeriodSeconds ?? 0;
  if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > 60) {
    throw invalidParameter('RetryGracePeriodSeconds must be between 0 and 60.');
  }
  const prevent = optionalString(input, 'PreventUserExistenceErrors') ?? 'LEGACY';
  if (prevent !== 'ENABLED' && prevent !== 'LEGACY') throw invalidParameter(`Invalid PreventUserExistenceErrors: ${prevent}`);

  return {
    units,
    settings: {
      id,
      name,
      secret,
      callbackUrls,
      logoutUrls,
      allowedOAuthFlows: oauthEnabled ? (flows as OAuthFlow[]) : [],
      allowedScopes: scopes,
      supportedIdentityProviders: providers,
      explicitAuthFlows: optionalStringList(input, 'ExplicitAuthFlows') ?? ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH'],
      idTokenValidity,
      accessTokenValidity,
      refreshTokenValidity,
      refreshTokenRotation: rotation?.Feature === 'ENABLED',
      refreshTokenGracePeriod: grace,
      enableTokenRevocation: optionalBoolean(input, 'EnableTokenRevocation') ?? true,
      preventUserExistenceErrors: prevent === 'ENABLED',
    },
  };
}

export const DescribeUserPool: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  return { UserPool: userPoolType(pool, domainOf(ctx.state.domains, pool.id)) };
};

export const DescribeUserPoolClient: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  return { UserPoolClient: userPoolClientType(clientOf(pool, input)) };
};

export const CreateUserPoolClient: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const name = requireString(input, 'ClientName');
  if (pool.clients.size >= 1000) throw new CognitoError('LimitExceededException', 'A pool can have at most 1000 app clients.');
  const secret = optionalBoolean(input, 'GenerateSecret') ? newClientSecret() : undefined;
  const { settings, units } = settingsFromRequest(pool, input, newClientId(), secret, name);
  const now = ctx.state.now();
  const client: ClientRecord = { poolId: pool.id, settings, units, createdAt: now, modifiedAt: now };
  pool.clients.set(settings.id, client);
  return { UserPoolClient: userPoolClientType(client) };
};

/** Replaces the whole configuration: omitted fields go back to defaults (as Cognito does). */
export const UpdateUserPoolClient: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const client = clientOf(pool, input);
  const name = optionalString(input, 'ClientName') ?? client.settings.name ?? client.settings.id;
  const { settings, units } = settingsFromRequest(pool, input, client.settings.id, client.settings.secret, name);
  client.settings = settings;
  client.units = units;
  client.modifiedAt = ctx.state.now();
  return { UserPoolClient: userPoolClientType(client) };
};

export const DeleteUserPoolClient: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  pool.clients.delete(clientOf(pool, input).settings.id);
  return {};
};

export const ListUserPoolClients: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const limit = pageLimit(input, 'MaxResults');
  const offset = decodePageToken(optionalString(input, 'NextToken'));
  const clients = [...pool.clients.values()];
  const next = offset + limit < clients.length ? { NextToken: encodePageToken(offset + limit) } : {};
  return {
    UserPoolClients: clients
      .slice(offset, offset + limit)
      .map((c) => ({ ClientId: c.settings.id, UserPoolId: pool.id, ClientName: c.settings.name ?? c.settings.id })),
    ...next,
  };
};
