import { randomBytes } from 'node:crypto';
import { PoolKeys } from '../keys';
import type { PoolMfaConfig, PoolState } from '../state';
import { CognitoError, invalidParameter } from './errors';
import { optionalObject, optionalString, requireString, type Input } from './input';
import { poolOf, type Operation } from './lookup';
import { userPoolType } from './shapes';

/**
 * User pools: CreateUserPool, UpdateUserPool (which, as Cognito's, resets every setting it is not
 * given), the hosted-UI domain (CreateUserPoolDomain, DescribeUserPoolDomain) and MFA
 * (SetUserPoolMfaConfig, GetUserPoolMfaConfig). Settings are kept as given and shown by
 * DescribeUserPool over Cognito's defaults; the emulator's sign-in does not enforce them. Domains are
 * prefix domains; the hosted UI stays the emulator's single hosted-UI base whatever the domain.
 */

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const poolSuffix = () => [...randomBytes(9)].map((b) => ALNUM[b % ALNUM.length]).join('');

/** Members of UpdateUserPool (CreateUserPool has these and the create-only ones below). */
export const UPDATABLE_POOL_SETTINGS = [
  'Policies',
  'DeletionProtection',
  'LambdaConfig',
  'AutoVerifiedAttributes',
  'SmsVerificationMessage',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'VerificationMessageTemplate',
  'SmsAuthenticationMessage',
  'UserAttributeUpdateSettings',
  'MfaConfiguration',
  'DeviceConfiguration',
  'EmailConfiguration',
  'SmsConfiguration',
  'UserPoolTags',
  'AdminCreateUserConfig',
  'UserPoolAddOns',
  'AccountRecoverySetting',
  'UserPoolTier',
] as const;
const CREATE_ONLY_POOL_SETTINGS = ['AliasAttributes', 'UsernameAttributes', 'UsernameConfiguration', 'Schema'] as const;

const MFA_MODES = new Set(['OFF', 'ON', 'OPTIONAL']);

function checkPasswordPolicy(policies: Input | undefined): void {
  const p = policies?.PasswordPolicy as Input | undefined;
  if (!p) return;
  const bounded = (name: string, min: number, max: number) => {
    const v = p[name];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw invalidParameter(
        `1 validation error detected: Value '${String(v)}' at 'policies.passwordPolicy.${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
      );
    }
  };
  bounded('MinimumLength', 6, 99);
  bounded('TemporaryPasswordValidityDays', 0, 365);
  bounded('PasswordHistorySize', 0, 24);
}

/** The settings of a Create/UpdateUserPool request, checked as Cognito checks them. */
function poolSettings(input: Input, fields: readonly string[], pool?: PoolState): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const f of fields) if (input[f] !== undefined && input[f] !== null) settings[f] = input[f];
  const policies = optionalObject(input, 'Policies');
  checkPasswordPolicy(policies);
  const temporary = (policies?.PasswordPolicy as Input | undefined)?.TemporaryPasswordValidityDays;
  if (temporary !== undefined && optionalObject(input, 'AdminCreateUserConfig')?.UnusedAccountValidityDays !== undefined) {
    throw invalidParameter('Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays');
  }
  const mfa = optionalString(input, 'MfaConfiguration');
  if (mfa !== undefined && !MFA_MODES.has(mfa)) {
    throw invalidParameter(
      `1 validation error detected: Value '${mfa}' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]`,
    );
  }
  // Without SMS, MFA can only be on once SetUserPoolMfaConfig has enabled TOTP.
  if (mfa !== undefined && mfa !== 'OFF' && !settings.SmsConfiguration && !pool?.mfa?.softwareToken) {
    throw invalidParameter('SMS configuration and Auto verification for phone_number are required when MFA is required/optional');
  }
  return settings;
}

/** New pools live in the region of the seeded ones (one emulator = one region). */
export const CreateUserPool: Operation = (ctx, input) => {
  const name = requireString(input, 'PoolName');
  if (name.length > 128) throw invalidParameter('PoolName must be at most 128 characters.');
  const settings = poolSettings(input, [...UPDATABLE_POOL_SETTINGS, ...CREATE_ONLY_POOL_SETTINGS]);
  const region = ctx.state.pools.values().next().value?.region ?? 'us-east-1';
  const now = ctx.state.now();
  const pool: PoolState = {
    id: `${region}_${poolSuffix()}`,
    name,
    region,
    createdAt: now,
    resourceServers: [],
    groups: new Map(),
    clients: new Map(),
    users: new Map(),
    identityProviders: new Map(),
    keys: PoolKeys.createSync(),
    settings,
    modifiedAt: now,
    mfa: { configuration: (settings.MfaConfiguration as PoolMfaConfig['configuration'] | undefined) ?? 'OFF', softwareToken: false },
  };
  ctx.state.pools.set(pool.id, pool);
  return { UserPool: userPoolType(pool, domainOf(ctx.state.domains, pool.id)) };
};

/** Replaces every updatable setting: one left out goes back to its default, as in Cognito. */
export const UpdateUserPool: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  for (const f of CREATE_ONLY_POOL_SETTINGS) {
    if (input[f] !== undefined) throw invalidParameter(`${f} cannot be changed after the user pool is created.`);
  }
  const settings = poolSettings(input, UPDATABLE_POOL_SETTINGS, pool);
  const keep = Object.fromEntries(CREATE_ONLY_POOL_SETTINGS.filter((f) => pool.settings?.[f] !== undefined).map((f) => [f, pool.settings![f]]));
  pool.settings = { ...keep, ...settings };
  const name = optionalString(input, 'PoolName');
  if (name !== undefined) pool.name = name;
  const mfa = (settings.MfaConfiguration as PoolMfaConfig['configuration'] | undefined) ?? 'OFF';
  pool.mfa = { ...(pool.mfa ?? { softwareToken: false }), configuration: mfa, ...(mfa === 'OFF' ? { softwareToken: false } : {}) };
  pool.modifiedAt = ctx.state.now();
  return {};
};

export function domainOf(domains: Map<string, { poolId: string }>, poolId: string): string | undefined {
  for (const [domain, record] of domains) if (record.poolId === poolId) return domain;
  return undefined;
}

const PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const CreateUserPoolDomain: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const domain = requireString(input, 'Domain');
  if (!PREFIX.test(domain) || /aws|amazon|cognito/.test(domain)) {
    throw invalidParameter(`Invalid domain prefix ${domain}: lowercase letters, digits and hyphens, without aws, amazon or cognito.`);
  }
  const domains = ctx.state.domains;
  if (domains.has(domain)) throw invalidParameter('Domain already associated with another user pool.');
  if (domainOf(domains, pool.id)) throw invalidParameter(`User pool ${pool.id} already has a domain configured.`);
  domains.set(domain, { poolId: pool.id, createdAt: ctx.state.now() });
  return { CloudFrontDomain: `${domain}.cloudfront.emulator.invalid`, ManagedLoginVersion: 1 };
};

/** An unknown domain answers an empty DomainDescription, as Cognito does. */
export const DescribeUserPoolDomain: Operation = (ctx, input) => {
  const domain = requireString(input, 'Domain');
  const record = ctx.state.domains.get(domain);
  if (!record) return { DomainDescription: {} };
  return {
    DomainDescription: {
      UserPoolId: record.poolId,
      AWSAccountId: '000000000000',
      Domain: domain,
      S3Bucket: 'aws-cognito-prod-emulator-assets',
      CloudFrontDistribution: `${domain}.cloudfront.emulator.invalid`,
      Version: String(record.createdAt),
      Status: ctx.state.pool(record.poolId) ? 'ACTIVE' : 'DELETING',
      ManagedLoginVersion: 1,
    },
  };
};

function mfaConfigOf(pool: PoolState): Record<string, unknown> {
  const mfa = pool.mfa ?? { configuration: 'OFF', softwareToken: false };
  return {
    MfaConfiguration: mfa.configuration,
    SoftwareTokenMfaConfiguration: { Enabled: mfa.softwareToken },
    ...(mfa.sms ? { SmsMfaConfiguration: mfa.sms } : {}),
  };
}

export const GetUserPoolMfaConfig: Operation = (ctx, input) => mfaConfigOf(poolOf(ctx, input));

/** Members left out stay as they are; the result must leave a method on when MFA is ON or OPTIONAL. */
export const SetUserPoolMfaConfig: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const current = pool.mfa ?? { configuration: 'OFF', softwareToken: false };
  const mode = optionalString(input, 'MfaConfiguration') ?? current.configuration;
  if (!MFA_MODES.has(mode)) {
    throw invalidParameter(
      `1 validation error detected: Value '${mode}' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]`,
    );
  }
  const totpIn = optionalObject(input, 'SoftwareTokenMfaConfiguration');
  if (totpIn?.Enabled !== undefined && typeof totpIn.Enabled !== 'boolean') {
    throw new CognitoError('SerializationException', 'SoftwareTokenMfaConfiguration.Enabled must be a boolean');
  }
  const sms = optionalObject(input, 'SmsMfaConfiguration');
  if (mode === 'OFF' && (totpIn?.Enabled === true || sms)) {
    throw invalidParameter("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.");
  }
  const softwareToken = mode === 'OFF' ? false : ((totpIn?.Enabled as boolean | undefined) ?? current.softwareToken);
  const smsNext = mode === 'OFF' ? undefined : (sms ?? current.sms);
  if (mode !== 'OFF' && !softwareToken && !smsNext) {
    throw invalidParameter("Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.");
  }
  pool.mfa = { configuration: mode as PoolMfaConfig['configuration'], softwareToken, ...(smsNext ? { sms: smsNext } : {}) };
  pool.settings = { ...(pool.settings ?? {}), MfaConfiguration: mode };
  pool.modifiedAt = ctx.state.now();
  return mfaConfigOf(pool);
};
