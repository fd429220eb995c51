import type { ClientRecord, GroupRecord, PoolState, TimeUnit, UserRecord } from '../state';
import { epochSeconds } from './input';

/** Admin-API response shapes (field names and types as in the AWS SDK's service model). */

export function attributeList(user: UserRecord, only?: string[]): Array<{ Name: string; Value: string }> {
  const all = [{ Name: 'sub', Value: user.sub }, ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value }))];
  return only && only.length > 0 ? all.filter((a) => only.includes(a.Name)) : all;
}

/** The `UserType` of ListUsers / AdminCreateUser (note `Attributes`, not `UserAttributes`). */
export function userType(user: UserRecord, only?: string[]): Record<string, unknown> {
  return {
    Username: user.username,
    Attributes: attributeList(user, only),
    UserCreateDate: epochSeconds(user.createdAt),
    UserLastModifiedDate: epochSeconds(user.modifiedAt),
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}

export function groupType(poolId: string, group: GroupRecord): Record<string, unknown> {
  return {
    GroupName: group.name,
    UserPoolId: poolId,
    ...(group.description !== undefined ? { Description: group.description } : {}),
    ...(group.precedence !== undefined ? { Precedence: group.precedence } : {}),
    LastModifiedDate: epochSeconds(group.modifiedAt),
    CreationDate: epochSeconds(group.createdAt),
  };
}

export const UNIT_SECONDS: Record<TimeUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/** The largest unit that expresses `seconds` exactly. */
export function bestUnit(seconds: number): TimeUnit {
  for (const unit of ['days', 'hours', 'minutes'] as const) if (seconds % UNIT_SECONDS[unit] === 0) return unit;
  return 'seconds';
}

export function userPoolClientType(client: ClientRecord): Record<string, unknown> {
  const s = client.settings;
  const units = client.units ?? {
    accessToken: bestUnit(s.accessTokenValidity),
    idToken: bestUnit(s.idTokenValidity),
    refreshToken: bestUnit(s.refreshTokenValidity),
  };
  const oauth = s.allowedOAuthFlows.length > 0;
  return {
    UserPoolId: client.poolId,
    ClientName: s.name ?? s.id,
    ClientId: s.id,
    ...(s.secret !== undefined ? { ClientSecret: s.secret } : {}),
    LastModifiedDate: epochSeconds(client.modifiedAt),
    CreationDate: epochSeconds(client.createdAt),
    RefreshTokenValidity: s.refreshTokenValidity / UNIT_SECONDS[units.refreshToken],
    AccessTokenValidity: s.accessTokenValidity / UNIT_SECONDS[units.accessToken],
    IdTokenValidity: s.idTokenValidity / UNIT_SECONDS[units.idToken],
    TokenValidityUnits: { AccessToken: units.accessToken, IdToken: units.idToken, RefreshToken: units.refreshToken },
    ExplicitAuthFlows: s.explicitAuthFlows,
    SupportedIdentityProviders: s.supportedIdentityProviders,
    CallbackURLs: s.callbackUrls,
    LogoutURLs: s.logoutUrls,
    AllowedOAuthFlows: s.allowedOAuthFlows,
    AllowedOAuthScopes: s.allowedScopes,
    AllowedOAuthFlowsUserPoolClient: oauth,
    PreventUserExistenceErrors: s.preventUserExistenceErrors ? 'ENABLED' : 'LEGACY',
    EnableTokenRevocation: s.enableTokenRevocation,
    EnablePropagateAdditionalUserContextData: false,
    AuthSessionValidity: 3,
    RefreshTokenRotation: {
      Feature: s.refreshTokenRotation ? 'ENABLED' : 'DISABLED',
      RetryGracePeriodSeconds: s.refreshTokenGracePeriod,
    },
  };
}

const STANDARD_ATTRIBUTES = [
  'sub',
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'email_verified',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
  'updated_at',
  'identities',
];

function schemaAttribute(name: string): Record<string, unknown> {
  const type = name.endsWith('_verified') ? 'Boolean' : name === 'updated_at' ? 'Number' : 'String';
  return {
    Name: name,
    AttributeDataType: type,
    DeveloperOnlyAttribute: false,
    Mutable: name !== 'sub',
    Required: name === 'sub',
    ...(type === 'String' ? { StringAttributeConstraints: { MinLength: name === 'sub' ? '1' : '0', MaxLength: '2048' } } : {}),
    ...(type === 'Number' ? { NumberAttributeConstraints: { MinValue: '0' } } : {}),
  };
}

const DEFAULT_PASSWORD_POLICY = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  PasswordHistorySize: 0,
  TemporaryPasswordValidityDays: 7,
};

/** A given PasswordPolicy with Cognito's fill-ins: unnamed requirements off, 8 characters, 7 days. */
function passwordPolicyOf(given: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!given) return DEFAULT_PASSWORD_POLICY;
  return {
    MinimumLength: given.MinimumLength ?? 8,
    RequireUppercase: given.RequireUppercase ?? false,
    RequireLowercase: given.RequireLowercase ?? false,
    RequireNumbers: given.RequireNumbers ?? false,
    RequireSymbols: given.RequireSymbols ?? false,
    PasswordHistorySize: given.PasswordHistorySize ?? 0,
    TemporaryPasswordValidityDays: given.TemporaryPasswordValidityDays ?? 7,
  };
}

/** DescribeUserPool's UserPoolType: the settings last given to Create/UpdateUserPool over Cognito's defaults. */
export function userPoolType(pool: PoolState, domain?: string): Record<string, unknown> {
  const custom = new Set<string>();
  for (const u of pool.users.values()) for (const a of Object.keys(u.attributes)) if (a.startsWith('custom:')) custom.add(a);
  const given = pool.settings ?? {};
  const policies = (given.Policies ?? {}) as Record<string, unknown>;
  return {
    Id: pool.id,
    Name: pool.name,
    Policies: {
      PasswordPolicy: passwordPolicyOf(policies.PasswordPolicy as Record<string, unknown> | undefined),
      SignInPolicy: policies.SignInPolicy ?? { AllowedFirstAuthFactors: ['PASSWORD'] },
    },
    DeletionProtection: 'INACTIVE',
    LambdaConfig: {},
    LastModifiedDate: epochSeconds(pool.modifiedAt ?? pool.createdAt),
    CreationDate: epochSeconds(pool.createdAt),
    SchemaAttributes: [...STANDARD_ATTRIBUTES, ...custom].map(schemaAttribute),
    AutoVerifiedAttributes: ['email'],
    VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: [] },
    EstimatedNumberOfUsers: pool.users.size,
    UsernameConfiguration: { CaseSensitive: false },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 },
    AccountRecoverySetting: { RecoveryMechanisms: [{ Priority: 1, Name: 'verified_email' }] },
    UserPoolTier: 'ESSENTIALS',
    ...Object.fromEntries(Object.entries(given).filter(([k]) => k !== 'Policies' && k !== 'Schema')),
    MfaConfiguration: pool.mfa?.configuration ?? 'OFF',
    ...(domain ? { Domain: domain } : {}),
    Arn: `arn:aws:cognito-idp:${pool.region}:000000000000:userpool/${pool.id}`,
  };
}

/** Whether `name` may be set on a user: a standard attribute (not sub/identities) or `custom:*`. */
export function isWritableAttribute(name: string): boolean {
  return (STANDARD_ATTRIBUTES.includes(name) && name !== 'sub' && name !== 'identities') || /^custom:[\w.-]{1,20}$/.test(name);
}
