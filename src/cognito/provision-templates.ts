/**
 * Provisioning request templates: JSON files the user may edit (defaults in config/provision/),
 * rendered with placeholders and checked against what the gateway depends on. Pure.
 *
 * Placeholders: a string that is exactly `"{{name}}"` becomes the value (a list, a number, a
 * boolean); a list element that is exactly a list placeholder is spliced in, so
 * `["{{callbackUrls}}", "https://other.example/cb"]` adds to the gateway's URLs; inside a longer
 * string a placeholder is replaced by its text. `{{env:NAME}}` reads the environment (secrets stay
 * out of the files). An unknown placeholder or a missing variable is refused, naming it.
 */
import type { ClientSpec } from './provision-specs';

export const TEMPLATE_FILES = {
  createUserPool: 'create-user-pool.json',
  updateUserPool: 'update-user-pool.json',
  setUserPoolMfaConfig: 'set-user-pool-mfa-config.json',
  createUserPoolClient: 'create-user-pool-client.json',
  updateUserPoolClient: 'update-user-pool-client.json',
  createIdentityProvider: 'create-identity-provider.json',
} as const;
export type TemplateKind = keyof typeof TEMPLATE_FILES;

/** Request members per template (the AWS API's own), so a misspelt field is refused, not ignored. */
const POOL_COMMON = [
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
  'DcrConfiguration',
  'AccountRecoverySetting',
  'PoolName',
  'UserPoolTier',
  'KeyConfiguration',
  'IssuerConfiguration',
  'AcrConfiguration',
];
/** What UpdateUserPool accepts: a pool update sends the current value of each one the template leaves out. */
export const UPDATE_USER_POOL_FIELDS = POOL_COMMON;
const CLIENT_COMMON = [
  'ClientName',
  'RefreshTokenValidity',
  'AccessTokenValidity',
  'IdTokenValidity',
  'TokenValidityUnits',
  'ReadAttributes',
  'WriteAttributes',
  'ExplicitAuthFlows',
  'SupportedIdentityProviders',
  'CallbackURLs',
  'LogoutURLs',
  'DefaultRedirectURI',
  'AllowedOAuthFlows',
  'AllowedOAuthScopes',
  'AllowedOAuthFlowsUserPoolClient',
  'AnalyticsConfiguration',
  'PreventUserExistenceErrors',
  'EnableTokenRevocation',
  'EnablePropagateAdditionalUserContextData',
  'AuthSessionValidity',
  'RefreshTokenRotation',
];
/** What UpdateUserPoolClient accepts besides the ids: an update sends the current value of each one the template leaves out. */
export const UPDATE_CLIENT_FIELDS = CLIENT_COMMON;

export const TEMPLATE_FIELDS: Record<TemplateKind, readonly string[]> = {
  createUserPool: [...POOL_COMMON, 'AliasAttributes', 'UsernameAttributes', 'UsernameConfiguration', 'Schema'],
  updateUserPool: ['UserPoolId', ...POOL_COMMON],
  setUserPoolMfaConfig: [
    'UserPoolId',
    'MfaConfiguration',
    'SoftwareTokenMfaConfiguration',
    'SmsMfaConfiguration',
    'EmailMfaConfiguration',
    'WebAuthnConfiguration',
  ],
  createUserPoolClient: ['UserPoolId', 'GenerateSecret', ...CLIENT_COMMON],
  updateUserPoolClient: ['UserPoolId', 'ClientId', ...CLIENT_COMMON],
  createIdentityProvider: ['UserPoolId', 'ProviderName', 'ProviderType', 'ProviderDetails', 'AttributeMapping', 'IdpIdentifiers'],
};

/** A template that cannot be used: the message names the file and the field (or placeholder). */
export class TemplateRefused extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`refused ${file}: ${field} ${message}`);
    this.name = 'TemplateRefused';
  }
}

/** `{ env }`: read from the environment when the template uses it (and refused, naming the variable, when unset). */
export type PlaceholderValue = string | number | boolean | string[] | { env: string };
export type Placeholders = Record<string, PlaceholderValue>;

const WHOLE = /^\{\{\s*([A-Za-z][\w]*(?::[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}$/;
const ANY = /\{\{\s*([A-Za-z][\w]*(?::[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}/g;
const STRAY = /\{\{|\}\}/;

/**
 * Renders a parsed template. `current` (update templates) answers `{{current:Field}}` with the
 * field's value as Cognito describes it now: as a list element it splices the current list in (so
 * an update keeps what is there), as a whole value a field Cognito does not report is left out.
 */
export function renderTemplate(
  file: string,
  template: unknown,
  values: Placeholders,
  env: Record<string, string | undefined>,
  current?: Record<string, unknown>,
): unknown {
  const OMIT = Symbol('omit');
  const fromEnv = (variable: string, name: string, where: string): string => {
    const v = env[variable];
    if (v === undefined || v === '') throw new TemplateRefused(file, where, `uses {{${name}}} but ${variable} is not set in the environment`);
    return v;
  };
  const lookup = (name: string, where: string): string | number | boolean | string[] | typeof OMIT => {
    if (name.startsWith('env:')) return fromEnv(name.slice(4), name, where);
    if (name.startsWith('current:')) {
      if (!current) throw new TemplateRefused(file, where, `uses {{${name}}}, which only update templates have`);
      const v = current[name.slice(8)];
      if (v === undefined) return OMIT;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
      throw new TemplateRefused(file, where, `uses {{${name}}}, which is not a string, number, boolean or list of strings`);
    }
    if (!Object.hasOwn(values, name)) {
      throw new TemplateRefused(
        file,
        where,
        `uses an unknown placeholder {{${name}}} (known here: ${Object.keys(values)
          .map((k) => `{{${k}}}`)
          .join(', ')}, {{env:NAME}})`,
      );
    }
    const v = values[name]!;
    return typeof v === 'object' && !Array.isArray(v) ? fromEnv(v.env, name, where) : v;
  };
  const walk = (v: unknown, where: string): unknown => {
    if (typeof v === 'string') {
      const whole = WHOLE.exec(v);
      if (whole) return lookup(whole[1]!, where);
      const out = v.replace(ANY, (_m, name: string) => {
        const value = lookup(name, where);
        if (value === OMIT) throw new TemplateRefused(file, where, `uses {{${name}}} inside a string, but the client has no such value`);
        if (Array.isArray(value)) throw new TemplateRefused(file, where, `puts the list {{${name}}} inside a string; use it as a whole value or list element`);
        return String(value);
      });
      if (STRAY.test(out)) throw new TemplateRefused(file, where, `has a malformed placeholder in "${v}"`);
      return out;
    }
    if (Array.isArray(v)) {
      const items = v.flatMap((x, i) => {
        const whole = typeof x === 'string' ? WHOLE.exec(x) : null;
        if (whole) {
          const value = lookup(whole[1]!, `${where}[${i}]`);
          return value === OMIT ? [] : Array.isArray(value) ? value : [value];
        }
        return [walk(x, `${where}[${i}]`)];
      });
      // Spliced lists overlap ({{callbackUrls}} and {{current:CallbackURLs}}): each string once.
      return items.every((x) => typeof x === 'string') ? [...new Set(items)] : items;
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .map(([k, x]) => [k, walk(x, where ? `${where}.${k}` : k)] as const)
          .filter(([, x]) => x !== OMIT),
      );
    }
    return v;
  };
  if (!template || typeof template !== 'object' || Array.isArray(template)) throw new TemplateRefused(file, '(file)', 'must hold one JSON object (a request)');
  return walk(template, '');
}

/** Refuses members the operation does not have. */
export function checkFields(file: string, kind: TemplateKind, request: Record<string, unknown>): void {
  const allowed = TEMPLATE_FIELDS[kind];
  for (const k of Object.keys(request)) {
    if (!allowed.includes(k)) {
      const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase());
      throw new TemplateRefused(file, k, `is not a member of this request${near ? ` (did you mean ${near}?)` : ''}; see config/provision/README.md`);
    }
  }
}

function mustEqual(file: string, request: Record<string, unknown>, field: string, expected: unknown, why: string): void {
  if (JSON.stringify(request[field]) !== JSON.stringify(expected)) {
    throw new TemplateRefused(
      file,
      field,
      `must be ${JSON.stringify(expected)} (${why}); the template has ${request[field] === undefined ? 'none' : JSON.stringify(request[field])}`,
    );
  }
}

function mustInclude(file: string, request: Record<string, unknown>, field: string, needed: readonly string[], why: string): void {
  const have = request[field];
  if (have !== undefined && (!Array.isArray(have) || !have.every((x) => typeof x === 'string')))
    throw new TemplateRefused(file, field, 'must be a list of strings');
  const lacking = needed.filter((x) => !((have as string[] | undefined) ?? []).includes(x));
  if (lacking.length) throw new TemplateRefused(file, field, `must include ${lacking.map((x) => JSON.stringify(x)).join(', ')} (${why})`);
}

/** The pool templates: the pool they address, and MFA kept in one place. */
export function checkPoolTemplate(file: string, kind: 'createUserPool' | 'updateUserPool', request: Record<string, unknown>, userPoolId?: string): void {
  checkFields(file, kind, request);
  if (kind === 'updateUserPool') mustEqual(file, request, 'UserPoolId', userPoolId, 'the pool named by the config, {{userPoolId}}');
  if (kind === 'createUserPool' && (typeof request.PoolName !== 'string' || !request.PoolName)) {
    throw new TemplateRefused(file, 'PoolName', 'must be a non-empty string (default "{{poolName}}")');
  }
  if (request.MfaConfiguration !== undefined) {
    throw new TemplateRefused(file, 'MfaConfiguration', `belongs in ${TEMPLATE_FILES.setUserPoolMfaConfig} (SetUserPoolMfaConfig), so the two cannot disagree`);
  }
}

export function checkMfaTemplate(file: string, request: Record<string, unknown>, userPoolId: string): void {
  checkFields(file, 'setUserPoolMfaConfig', request);
  mustEqual(file, request, 'UserPoolId', userPoolId, 'the provisioned pool, {{userPoolId}}');
  if (!['OFF', 'ON', 'OPTIONAL'].includes(request.MfaConfiguration as string)) {
    throw new TemplateRefused(file, 'MfaConfiguration', 'must be "OFF", "ON" or "OPTIONAL"');
  }
}

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/** A token lifetime of a client request in seconds, with Cognito's default units and values. */
export function requestValiditySeconds(request: Record<string, unknown>, field: 'AccessTokenValidity' | 'IdTokenValidity' | 'RefreshTokenValidity'): number {
  const unitKey = { AccessTokenValidity: 'AccessToken', IdTokenValidity: 'IdToken', RefreshTokenValidity: 'RefreshToken' }[field];
  const defaultUnit = field === 'RefreshTokenValidity' ? 'days' : 'hours';
  const units = (request.TokenValidityUnits ?? {}) as Record<string, unknown>;
  const unit = typeof units[unitKey] === 'string' ? (units[unitKey] as string) : defaultUnit;
  const value = request[field];
  if (value === undefined) return field === 'RefreshTokenValidity' ? 30 * 86400 : 3600;
  return typeof value === 'number' ? value * (UNIT_SECONDS[unit] ?? 0) : Number.NaN;
}

export const formatSeconds = (s: number): string =>
  s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;

/**
 * The app-client templates: every setting the gateway depends on for this realm (documented as
 * protected in config/provision/README.md). A template may add to the lists, never drop from them.
 */
export function checkClientTemplate(
  file: string,
  kind: 'createUserPoolClient' | 'updateUserPoolClient',
  request: Record<string, unknown>,
  spec: ClientSpec,
  ids: { userPoolId: string; clientId?: string },
): void {
  checkFields(file, kind, request);
  mustEqual(file, request, 'UserPoolId', ids.userPoolId, 'the provisioned pool, {{userPoolId}}');
  if (kind === 'updateUserPoolClient') mustEqual(file, request, 'ClientId', ids.clientId, 'the client being updated, {{clientId}}');
  if (typeof request.ClientName !== 'string' || !request.ClientName)
    throw new TemplateRefused(file, 'ClientName', 'must be a non-empty string (default "{{clientName}}")');
  mustInclude(file, request, 'AllowedOAuthFlows', ['code'], 'the gateway signs in with the authorization code flow');
  mustEqual(file, request, 'AllowedOAuthFlowsUserPoolClient', true, 'without it the hosted UI refuses the client');
  mustInclude(
    file,
    request,
    'AllowedOAuthScopes',
    spec.scopes,
    'the scopes the gateway asks for; Cognito drops missing ones silently and there is no ID token without openid',
  );
  mustInclude(file, request, 'CallbackURLs', spec.callbackUrls, "the gateway's callback URL on each host of the realm, {{callbackUrls}}");
  mustInclude(file, request, 'LogoutURLs', spec.logoutUrls, "where the gateway's sign-out returns, {{logoutUrls}}");
  mustInclude(file, request, 'SupportedIdentityProviders', spec.identityProviders, 'the identity_provider the config names');
  if (Array.isArray(request.SupportedIdentityProviders) && request.SupportedIdentityProviders.length === 0) {
    throw new TemplateRefused(file, 'SupportedIdentityProviders', 'must not be empty (nobody could sign in); default {{identityProviders}}');
  }
  mustInclude(
    file,
    request,
    'ExplicitAuthFlows',
    spec.explicitAuthFlows,
    spec.explicitAuthFlows.some((f) => f.endsWith('USER_PASSWORD_AUTH'))
      ? 'refresh, and password sign-in which the config turns on'
      : 'the gateway refreshes sessions',
  );
  mustEqual(file, request, 'EnableTokenRevocation', true, 'sign-out revokes the refresh token');
  if (kind === 'createUserPoolClient' && spec.confidential) {
    mustEqual(file, request, 'GenerateSecret', true, 'the config has a client secret for this client: a confidential client');
  }
  for (const [field, min, against] of [
    ['AccessTokenValidity', spec.minTokenValiditySeconds, 'session.revalidateAfter'],
    ['IdTokenValidity', spec.minTokenValiditySeconds, 'session.revalidateAfter'],
    ['RefreshTokenValidity', spec.minRefreshValiditySeconds, 'session.absoluteLifetime'],
  ] as const) {
    const s = requestValiditySeconds(request, field);
    if (Number.isNaN(s)) throw new TemplateRefused(file, field, 'must be a number (in the unit TokenValidityUnits names)');
    if (s < min) throw new TemplateRefused(file, field, `is ${formatSeconds(s)}, shorter than ${against} ${formatSeconds(min)}`);
  }
}

export function checkIdentityProviderTemplate(file: string, request: Record<string, unknown>, userPoolId: string, providerName: string): void {
  checkFields(file, 'createIdentityProvider', request);
  mustEqual(file, request, 'UserPoolId', userPoolId, 'the provisioned pool, {{userPoolId}}');
  mustEqual(file, request, 'ProviderName', providerName, 'the identity_provider the config names, {{providerName}}');
  if (typeof request.ProviderType !== 'string')
    throw new TemplateRefused(file, 'ProviderType', 'must be OIDC, SAML, Google, Facebook, LoginWithAmazon or SignInWithApple');
  const details = request.ProviderDetails;
  if (!details || typeof details !== 'object' || Array.isArray(details) || !Object.values(details).every((v) => typeof v === 'string')) {
    throw new TemplateRefused(file, 'ProviderDetails', 'must be an object of strings');
  }
}

/** The environment variable prefix of a provider's settings: PartnerIdP → IDP_PARTNERIDP. */
export const providerEnvPrefix = (name: string): string => `IDP_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
