/**
 * What the gateway needs from its Cognito app client, derived from the gateway config; checks of an
 * existing client against it (doctor) and the desired client settings (provision). Pure; Web-API only.
 */
import { constantTimeEqual } from '../session/crypto';
import type { UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import type { ResolvedConfig } from '../config/load';
import { normalizeHost } from '../policy/host';
import type { ClientSettingsInput } from './client';

export const CALLBACK_PATH = '/_auth/callback';

export interface ClientRequirements {
  callbackUrls: string[];
  logoutUrls: string[];
  scopes: string[];
  identityProviders: string[];
  explicitAuthFlows: string[];
  /** The config has a client secret: the client must have one (and it must be the same). */
  secret?: string;
  /** Access and ID tokens must live at least this long (session.revalidateAfter). */
  minTokenValiditySeconds: number;
  /** Refresh tokens must live at least this long (the longest absolute session lifetime). */
  minRefreshValiditySeconds: number;
  /** Things that could not be derived (wildcard hosts, no hosts and no publicUrl). */
  notes: string[];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function originOfHost(host: string): string | undefined {
  const h = normalizeHost(host);
  if (!h) return undefined;
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!;
  return `${LOOPBACK.has(name) ? 'http' : 'https'}://${h}`;
}

const unique = (xs: Iterable<string>) => [...new Set(xs)];

export function clientRequirements(config: ResolvedConfig, opts: { passwordAuth?: boolean } = {}): ClientRequirements {
  const notes: string[] = [];
  const origins: string[] = [];
  if (config.publicUrl) origins.push(new URL(config.publicUrl).origin);
  for (const app of config.apps) {
    if (!app.hosts || app.hosts.length === 0) {
      if (!config.publicUrl)
        notes.push(`app "${app.id}" has no hosts and there is no publicUrl: its callback URL depends on the request's Host; set publicUrl or hosts`);
      continue;
    }
    for (const host of app.hosts) {
      if (host.startsWith('*.')) {
        notes.push(`app "${app.id}" host ${host} is a wildcard: Cognito needs each exact callback URL; register the hosts users use`);
        continue;
      }
      const origin = originOfHost(host);
      if (origin) origins.push(origin);
    }
  }
  const o = unique(origins);
  const scopes = unique(['openid', ...config.idp.scopes, ...config.apps.flatMap((a) => a.login?.extraScopes ?? [])]);
  const idps = unique(config.apps.flatMap((a) => (a.login?.identityProvider ? [a.login.identityProvider] : [])));
  const lifetimes = [config.session.absoluteLifetime, ...config.apps.map((a) => a.session?.absoluteLifetime ?? 0)];
  return {
    callbackUrls: o.map((x) => `${x}${CALLBACK_PATH}`),
    logoutUrls: o.map((x) => `${x}/`),
    scopes,
    identityProviders: idps,
    // Password sign-in needs the flow the config asks Cognito with (idp.passwordAuthFlow).
    explicitAuthFlows: [
      'ALLOW_REFRESH_TOKEN_AUTH',
      ...(opts.passwordAuth ? [config.idp.passwordAuthFlow === 'user' ? 'ALLOW_USER_PASSWORD_AUTH' : 'ALLOW_ADMIN_USER_PASSWORD_AUTH'] : []),
    ],
    ...(config.idp.clientSecret ? { secret: config.idp.clientSecret } : {}),
    minTokenValiditySeconds: config.session.revalidateAfter,
    minRefreshValiditySeconds: Math.max(...lifetimes),
    notes,
  };
}

const UNIT: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/**
 * Token lifetimes of a described client, in seconds. Older clients omit the fields: Cognito's
 * defaults are then 1 h for access and ID tokens and 30 days for refresh tokens. A number without
 * units is in hours (access, ID) or days (refresh), as Cognito reads it.
 */
export function validitySeconds(c: UserPoolClientType): { access: number; id: number; refresh: number } {
  const u = c.TokenValidityUnits ?? {};
  const of = (value: number | undefined, unit: string | undefined, defaultUnit: string, fallback: number) =>
    value === undefined ? fallback : value * (UNIT[unit ?? defaultUnit] ?? UNIT[defaultUnit]!) || fallback;
  return {
    access: of(c.AccessTokenValidity, u.AccessToken, 'hours', 3600),
    id: of(c.IdTokenValidity, u.IdToken, 'hours', 3600),
    refresh: of(c.RefreshTokenValidity, u.RefreshToken, 'days', 30 * 86400),
  };
}

export const formatSeconds = (s: number): string =>
  s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;

export interface ClientFinding {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const missing = (have: readonly string[] | undefined, need: readonly string[]) => need.filter((x) => !(have ?? []).includes(x));

/** Checks a described app client against the requirements. One finding per aspect. */
export function checkClient(c: UserPoolClientType, req: ClientRequirements): ClientFinding[] {
  const out: ClientFinding[] = [];
  const provisionFix = 'run `cognito-gateway provision --config FILE` or edit the app client in the Cognito console';

  const cb = missing(c.CallbackURLs, req.callbackUrls);
  out.push({
    check: 'callback URLs',
    ok: cb.length === 0,
    detail: cb.length === 0 ? `${req.callbackUrls.length} required URL(s) registered` : `missing callback URL ${cb.join(', ')}`,
    ...(cb.length ? { fix: `add ${cb.join(', ')} to the app client's allowed callback URLs; ${provisionFix}` } : {}),
  });
  const lo = missing(c.LogoutURLs, req.logoutUrls);
  out.push({
    check: 'sign-out URLs',
    ok: lo.length === 0,
    detail: lo.length === 0 ? `${req.logoutUrls.length} required URL(s) registered` : `missing sign-out URL ${lo.join(', ')}`,
    ...(lo.length ? { fix: `add ${lo.join(', ')} to the app client's allowed sign-out URLs; ${provisionFix}` } : {}),
  });
  const codeFlow = (c.AllowedOAuthFlows ?? []).includes('code');
  out.push({
    check: 'authorization code flow',
    ok: codeFlow,
    detail: codeFlow ? 'AllowedOAuthFlows includes code' : `AllowedOAuthFlows is [${(c.AllowedOAuthFlows ?? []).join(', ')}]: code flow missing`,
    ...(codeFlow ? {} : { fix: 'enable the "Authorization code grant" OAuth flow on the app client' }),
  });
  const oauthOn = c.AllowedOAuthFlowsUserPoolClient === true;
  out.push({
    check: 'OAuth enabled',
    ok: oauthOn,
    detail: oauthOn ? 'AllowedOAuthFlowsUserPoolClient is true' : 'AllowedOAuthFlowsUserPoolClient is false: the hosted UI refuses this client',
    ...(oauthOn ? {} : { fix: 'set AllowedOAuthFlowsUserPoolClient true (console: enable OAuth 2.0 grant types / managed login)' }),
  });
  const sc = missing(c.AllowedOAuthScopes, req.scopes);
  out.push({
    check: 'OAuth scopes',
    ok: sc.length === 0,
    detail:
      sc.length === 0
        ? `allows ${req.scopes.join(' ')}`
        : `missing scope ${sc.join(', ')} (the gateway asks for ${req.scopes.join(' ')}; Cognito drops missing scopes silently)`,
    ...(sc.length ? { fix: `add ${sc.join(', ')} to the app client's allowed OAuth scopes` } : {}),
  });
  const hasSecret = typeof c.ClientSecret === 'string' && c.ClientSecret.length > 0;
  let secretOk = true;
  let secretDetail = hasSecret ? 'confidential client, config has the secret' : 'public client, config has no secret';
  let secretFix: string | undefined;
  if (req.secret !== undefined && !hasSecret) {
    secretOk = false;
    secretDetail = 'config has a client secret but the app client has none';
    secretFix = 'remove idp.clientSecret / GATEWAY_CLIENT_SECRET, or create a new app client with a secret (a secret cannot be added later)';
  } else if (req.secret === undefined && hasSecret) {
    secretOk = false;
    secretDetail = 'the app client has a secret but the config has none: token requests will fail with invalid_client';
    secretFix = 'set GATEWAY_CLIENT_SECRET to the app client secret';
  } else if (req.secret !== undefined && hasSecret && !constantTimeEqual(req.secret, c.ClientSecret!)) {
    secretOk = false;
    secretDetail = "the config's client secret does not match the app client's";
    secretFix = 'set GATEWAY_CLIENT_SECRET to the current app client secret';
  }
  out.push({ check: 'client secret', ok: secretOk, detail: secretDetail, ...(secretFix ? { fix: secretFix } : {}) });

  const supported = c.SupportedIdentityProviders ?? [];
  const idp = missing(supported, req.identityProviders);
  const idpOk = idp.length === 0 && supported.length > 0;
  out.push({
    check: 'identity providers',
    ok: idpOk,
    detail: idpOk
      ? `supports ${supported.join(', ')}`
      : supported.length === 0
        ? 'SupportedIdentityProviders is empty: nobody can sign in'
        : `missing identity provider ${idp.join(', ')} (named in login.identityProvider)`,
    ...(idpOk ? {} : { fix: `add ${(idp.length ? idp : ['COGNITO']).join(', ')} to the app client's identity providers` }),
  });
  const flows = missing(c.ExplicitAuthFlows, req.explicitAuthFlows);
  out.push({
    check: 'auth flows',
    ok: flows.length === 0,
    detail: flows.length === 0 ? `ExplicitAuthFlows include ${req.explicitAuthFlows.join(', ')}` : `ExplicitAuthFlows lack ${flows.join(', ')}`,
    ...(flows.length ? { fix: `add ${flows.join(', ')} to the app client's authentication flows` } : {}),
  });
  const v = validitySeconds(c);
  const shortTokens = [
    ...(v.access < req.minTokenValiditySeconds ? [`access token ${formatSeconds(v.access)}`] : []),
    ...(v.id < req.minTokenValiditySeconds ? [`ID token ${formatSeconds(v.id)}`] : []),
  ];
  out.push({
    check: 'token validity',
    ok: shortTokens.length === 0,
    detail:
      shortTokens.length === 0
        ? `access ${formatSeconds(v.access)}, ID ${formatSeconds(v.id)} >= session.revalidateAfter ${formatSeconds(req.minTokenValiditySeconds)}`
        : `${shortTokens.join(', ')} shorter than session.revalidateAfter ${formatSeconds(req.minTokenValiditySeconds)}`,
    ...(shortTokens.length
      ? { fix: `raise the access/ID token validity to >= ${formatSeconds(req.minTokenValiditySeconds)}, or lower session.revalidateAfter` }
      : {}),
  });
  const refreshOk = v.refresh >= req.minRefreshValiditySeconds;
  out.push({
    check: 'refresh token validity',
    ok: refreshOk,
    detail: refreshOk
      ? `${formatSeconds(v.refresh)} >= session.absoluteLifetime ${formatSeconds(req.minRefreshValiditySeconds)}`
      : `refresh token validity ${formatSeconds(v.refresh)} shorter than session.absoluteLifetime ${formatSeconds(req.minRefreshValiditySeconds)}: sessions end early`,
    ...(refreshOk ? {} : { fix: `raise the refresh token validity to >= ${formatSeconds(req.minRefreshValiditySeconds)}, or lower session.absoluteLifetime` }),
  });
  const revocation = c.EnableTokenRevocation === true;
  out.push({
    check: 'token revocation',
    ok: revocation,
    detail: revocation ? 'EnableTokenRevocation is true' : 'EnableTokenRevocation is false: sign-out cannot revoke refresh tokens',
    ...(revocation ? {} : { fix: 'enable token revocation on the app client' }),
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Desired settings for provision

/** Fields of Create/UpdateUserPoolClient a template may set (besides the ones provision manages). */
export const CLIENT_FIELDS = [
  'ClientName',
  'GenerateSecret',
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
] as const;

export type ClientTemplate = Partial<Record<(typeof CLIENT_FIELDS)[number], unknown>>;

export class TemplateRefused extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`template field ${field}: ${message}`);
    this.name = 'TemplateRefused';
  }
}

/** Canonical settings: lifetimes in seconds, so clients written in other units compare equal. */
export interface CanonicalClient {
  ClientName: string;
  CallbackURLs: string[];
  LogoutURLs: string[];
  DefaultRedirectURI?: string;
  AllowedOAuthFlows: string[];
  AllowedOAuthFlowsUserPoolClient: boolean;
  AllowedOAuthScopes: string[];
  SupportedIdentityProviders: string[];
  ExplicitAuthFlows: string[];
  ReadAttributes?: string[];
  WriteAttributes?: string[];
  AccessTokenValidity: number;
  IdTokenValidity: number;
  RefreshTokenValidity: number;
  EnableTokenRevocation: boolean;
  PreventUserExistenceErrors?: string;
  EnablePropagateAdditionalUserContextData?: boolean;
  AuthSessionValidity?: number;
  RefreshTokenRotation?: { Feature?: string; RetryGracePeriodSeconds?: number };
  AnalyticsConfiguration?: unknown;
}

export function canonicalOf(c: UserPoolClientType): CanonicalClient {
  const v = validitySeconds(c);
  const out: CanonicalClient = {
    ClientName: c.ClientName ?? c.ClientId ?? '',
    CallbackURLs: c.CallbackURLs ?? [],
    LogoutURLs: c.LogoutURLs ?? [],
    AllowedOAuthFlows: c.AllowedOAuthFlows ?? [],
    AllowedOAuthFlowsUserPoolClient: c.AllowedOAuthFlowsUserPoolClient === true,
    AllowedOAuthScopes: c.AllowedOAuthScopes ?? [],
    SupportedIdentityProviders: c.SupportedIdentityProviders ?? [],
    ExplicitAuthFlows: c.ExplicitAuthFlows ?? [],
    AccessTokenValidity: v.access,
    IdTokenValidity: v.id,
    RefreshTokenValidity: v.refresh,
    EnableTokenRevocation: c.EnableTokenRevocation === true,
  };
  if (c.DefaultRedirectURI) out.DefaultRedirectURI = c.DefaultRedirectURI;
  if (c.ReadAttributes) out.ReadAttributes = c.ReadAttributes;
  if (c.WriteAttributes) out.WriteAttributes = c.WriteAttributes;
  if (c.PreventUserExistenceErrors) out.PreventUserExistenceErrors = c.PreventUserExistenceErrors;
  if (c.EnablePropagateAdditionalUserContextData !== undefined) out.EnablePropagateAdditionalUserContextData = c.EnablePropagateAdditionalUserContextData;
  if (c.AuthSessionValidity !== undefined) out.AuthSessionValidity = c.AuthSessionValidity;
  if (c.RefreshTokenRotation)
    out.RefreshTokenRotation = { Feature: c.RefreshTokenRotation.Feature, RetryGracePeriodSeconds: c.RefreshTokenRotation.RetryGracePeriodSeconds ?? 0 };
  if (c.AnalyticsConfiguration) out.AnalyticsConfiguration = c.AnalyticsConfiguration;
  return out;
}

const merged = (a: readonly string[], b: readonly string[]) => unique([...a, ...b]);

function stringList(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new TemplateRefused(field, 'must be a list of strings');
  return v as string[];
}

function templateSeconds(template: ClientTemplate, field: 'AccessTokenValidity' | 'IdTokenValidity' | 'RefreshTokenValidity'): number | undefined {
  const v = template[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TemplateRefused(field, 'must be a positive number');
  const units = (template.TokenValidityUnits ?? {}) as Record<string, unknown>;
  const key = field === 'AccessTokenValidity' ? 'AccessToken' : field === 'IdTokenValidity' ? 'IdToken' : 'RefreshToken';
  const unit = units[key] ?? (field === 'RefreshTokenValidity' ? 'days' : 'hours');
  const mult = typeof unit === 'string' ? UNIT[unit] : undefined;
  if (!mult) throw new TemplateRefused('TokenValidityUnits', `${key} must be seconds, minutes, hours or days`);
  return v * mult;
}

/**
 * The client provision wants: the current settings (or defaults for a new client), the template on top,
 * then what the gateway needs. A template that takes away something the gateway needs is refused
 * (TemplateRefused names the field); fields it does not mention are merged (lists: added to).
 */
export function desiredClient(
  current: CanonicalClient | undefined,
  req: ClientRequirements,
  template: ClientTemplate = {},
  opts: { defaultName?: string } = {},
): CanonicalClient {
  for (const key of Object.keys(template)) {
    if (key === 'UserPoolId' || key === 'ClientId' || key === 'ClientSecret')
      throw new TemplateRefused(key, 'is set by provision from the gateway config; remove it from the template');
    if (!(CLIENT_FIELDS as readonly string[]).includes(key)) throw new TemplateRefused(key, 'is not a CreateUserPoolClient/UpdateUserPoolClient field');
  }
  const base: CanonicalClient = current ?? {
    ClientName: opts.defaultName ?? 'cognito-gateway',
    CallbackURLs: [],
    LogoutURLs: [],
    AllowedOAuthFlows: [],
    AllowedOAuthFlowsUserPoolClient: false,
    AllowedOAuthScopes: [],
    SupportedIdentityProviders: ['COGNITO'],
    ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'],
    AccessTokenValidity: 3600,
    IdTokenValidity: 3600,
    RefreshTokenValidity: 30 * 86400,
    EnableTokenRevocation: true,
    PreventUserExistenceErrors: 'ENABLED',
  };
  const d: CanonicalClient = structuredClone(base);

  // 1. Template on top of the current settings, refusing what would break the gateway.
  const lists = [
    ['CallbackURLs', req.callbackUrls, 'the gateway needs'],
    ['LogoutURLs', req.logoutUrls, 'the gateway needs'],
    ['AllowedOAuthScopes', req.scopes, 'the gateway requests'],
    ['SupportedIdentityProviders', req.identityProviders, 'apps name in login.identityProvider'],
    ['ExplicitAuthFlows', req.explicitAuthFlows, 'the gateway uses'],
    ['AllowedOAuthFlows', ['code'], 'the gateway uses'],
  ] as const;
  for (const [field, needed, why] of lists) {
    if (template[field] === undefined) continue;
    const given = stringList(field, template[field]);
    const lacking = needed.filter((x) => !given.includes(x));
    if (lacking.length) throw new TemplateRefused(field, `lacks ${lacking.join(', ')}, which ${why}`);
    d[field] = given;
  }
  if (template.AllowedOAuthFlowsUserPoolClient !== undefined) {
    if (template.AllowedOAuthFlowsUserPoolClient !== true)
      throw new TemplateRefused('AllowedOAuthFlowsUserPoolClient', 'must be true: the gateway signs users in through the OAuth code flow');
  }
  if (template.EnableTokenRevocation !== undefined) {
    if (template.EnableTokenRevocation !== true)
      throw new TemplateRefused('EnableTokenRevocation', 'must be true: the gateway revokes refresh tokens at sign-out');
  }
  if (template.GenerateSecret !== undefined && typeof template.GenerateSecret !== 'boolean')
    throw new TemplateRefused('GenerateSecret', 'must be true or false');
  if (template.GenerateSecret === false && req.secret !== undefined)
    throw new TemplateRefused('GenerateSecret', 'must not be false: the config has a client secret');
  const access = templateSeconds(template, 'AccessTokenValidity');
  const id = templateSeconds(template, 'IdTokenValidity');
  const refresh = templateSeconds(template, 'RefreshTokenValidity');
  if (access !== undefined) {
    if (access < req.minTokenValiditySeconds)
      throw new TemplateRefused(
        'AccessTokenValidity',
        `${formatSeconds(access)} is shorter than session.revalidateAfter ${formatSeconds(req.minTokenValiditySeconds)}`,
      );
    d.AccessTokenValidity = access;
  }
  if (id !== undefined) {
    if (id < req.minTokenValiditySeconds)
      throw new TemplateRefused(
        'IdTokenValidity',
        `${formatSeconds(id)} is shorter than session.revalidateAfter ${formatSeconds(req.minTokenValiditySeconds)}`,
      );
    d.IdTokenValidity = id;
  }
  if (refresh !== undefined) {
    if (refresh < req.minRefreshValiditySeconds)
      throw new TemplateRefused(
        'RefreshTokenValidity',
        `${formatSeconds(refresh)} is shorter than session.absoluteLifetime ${formatSeconds(req.minRefreshValiditySeconds)}`,
      );
    d.RefreshTokenValidity = refresh;
  }
  if (template.ClientName !== undefined) {
    if (typeof template.ClientName !== 'string' || !template.ClientName) throw new TemplateRefused('ClientName', 'must be a non-empty string');
    d.ClientName = template.ClientName;
  }
  for (const field of ['ReadAttributes', 'WriteAttributes'] as const) if (template[field] !== undefined) d[field] = stringList(field, template[field]);
  if (template.DefaultRedirectURI !== undefined) {
    if (typeof template.DefaultRedirectURI !== 'string') throw new TemplateRefused('DefaultRedirectURI', 'must be a URL string');
    d.DefaultRedirectURI = template.DefaultRedirectURI;
  }
  if (template.PreventUserExistenceErrors !== undefined) {
    if (template.PreventUserExistenceErrors !== 'ENABLED' && template.PreventUserExistenceErrors !== 'LEGACY')
      throw new TemplateRefused('PreventUserExistenceErrors', 'must be ENABLED or LEGACY');
    d.PreventUserExistenceErrors = template.PreventUserExistenceErrors;
  }
  if (template.EnablePropagateAdditionalUserContextData !== undefined)
    d.EnablePropagateAdditionalUserContextData = template.EnablePropagateAdditionalUserContextData === true;
  if (template.AuthSessionValidity !== undefined) {
    if (typeof template.AuthSessionValidity !== 'number') throw new TemplateRefused('AuthSessionValidity', 'must be a number of minutes (3-15)');
    d.AuthSessionValidity = template.AuthSessionValidity;
  }
  if (template.RefreshTokenRotation !== undefined) d.RefreshTokenRotation = template.RefreshTokenRotation as CanonicalClient['RefreshTokenRotation'];
  if (template.AnalyticsConfiguration !== undefined) d.AnalyticsConfiguration = template.AnalyticsConfiguration;

  // 2. What the gateway needs, merged into whatever is there.
  d.CallbackURLs = merged(d.CallbackURLs, req.callbackUrls);
  d.LogoutURLs = merged(d.LogoutURLs, req.logoutUrls);
  d.AllowedOAuthFlows = merged(d.AllowedOAuthFlows, ['code']);
  d.AllowedOAuthFlowsUserPoolClient = true;
  d.AllowedOAuthScopes = merged(d.AllowedOAuthScopes, req.scopes);
  d.SupportedIdentityProviders = merged(d.SupportedIdentityProviders, req.identityProviders);
  if (d.SupportedIdentityProviders.length === 0) d.SupportedIdentityProviders = ['COGNITO'];
  d.ExplicitAuthFlows = merged(d.ExplicitAuthFlows, req.explicitAuthFlows);
  d.EnableTokenRevocation = true;
  d.AccessTokenValidity = Math.max(d.AccessTokenValidity, req.minTokenValiditySeconds);
  d.IdTokenValidity = Math.max(d.IdTokenValidity, req.minTokenValiditySeconds);
  d.RefreshTokenValidity = Math.max(d.RefreshTokenValidity, req.minRefreshValiditySeconds);
  return d;
}

/** The largest unit that states `seconds` exactly. */
function bestUnit(seconds: number): 'days' | 'hours' | 'minutes' | 'seconds' {
  for (const u of ['days', 'hours', 'minutes'] as const) if (seconds % UNIT[u]! === 0) return u;
  return 'seconds';
}

/** The full UpdateUserPoolClient request (every field: Update replaces the whole configuration). */
export function toClientInput(clientId: string, d: CanonicalClient): ClientSettingsInput & { ClientId: string } {
  const access = bestUnit(d.AccessTokenValidity);
  const id = bestUnit(d.IdTokenValidity);
  const refresh = bestUnit(d.RefreshTokenValidity);
  const input: Record<string, unknown> = {
    ClientId: clientId,
    ClientName: d.ClientName,
    CallbackURLs: d.CallbackURLs,
    LogoutURLs: d.LogoutURLs,
    AllowedOAuthFlows: d.AllowedOAuthFlows,
    AllowedOAuthFlowsUserPoolClient: d.AllowedOAuthFlowsUserPoolClient,
    AllowedOAuthScopes: d.AllowedOAuthScopes,
    SupportedIdentityProviders: d.SupportedIdentityProviders,
    ExplicitAuthFlows: d.ExplicitAuthFlows,
    AccessTokenValidity: d.AccessTokenValidity / UNIT[access]!,
    IdTokenValidity: d.IdTokenValidity / UNIT[id]!,
    RefreshTokenValidity: d.RefreshTokenValidity / UNIT[refresh]!,
    TokenValidityUnits: { AccessToken: access, IdToken: id, RefreshToken: refresh },
    EnableTokenRevocation: d.EnableTokenRevocation,
  };
  for (const k of [
    'DefaultRedirectURI',
    'ReadAttributes',
    'WriteAttributes',
    'PreventUserExistenceErrors',
    'EnablePropagateAdditionalUserContextData',
    'AuthSessionValidity',
    'RefreshTokenRotation',
    'AnalyticsConfiguration',
  ] as const) {
    if (d[k] !== undefined) input[k] = d[k];
  }
  return input as ClientSettingsInput & { ClientId: string };
}

export interface FieldChange {
  field: string;
  added?: string[];
  removed?: string[];
  from?: string;
  to?: string;
}

const show = (field: string, v: unknown): string =>
  v === undefined ? '(unset)' : field.endsWith('Validity') && field !== 'AuthSessionValidity' && typeof v === 'number' ? formatSeconds(v) : JSON.stringify(v);

/** Field-by-field differences (lists compared as sets). */
export function diffClients(from: CanonicalClient | undefined, to: CanonicalClient): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = unique([...Object.keys(from ?? {}), ...Object.keys(to)]) as Array<keyof CanonicalClient>;
  for (const k of keys) {
    const a = from?.[k];
    const b = to[k];
    if (Array.isArray(a) || Array.isArray(b)) {
      const aa = (a as string[] | undefined) ?? [];
      const bb = (b as string[] | undefined) ?? [];
      const added = bb.filter((x) => !aa.includes(x));
      const removed = aa.filter((x) => !bb.includes(x));
      if (added.length || removed.length || (from === undefined && bb.length))
        changes.push({ field: k, ...(added.length ? { added } : {}), ...(removed.length ? { removed } : {}) });
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({ field: k, from: show(k, a), to: show(k, b) });
    }
  }
  return changes;
}

export function formatChanges(changes: FieldChange[]): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.added || c.removed) {
      lines.push(`  ~ ${c.field}`);
      for (const a of c.added ?? []) lines.push(`      + ${a}`);
      for (const r of c.removed ?? []) lines.push(`      - ${r}`);
    } else {
      lines.push(`  ~ ${c.field}: ${c.from} -> ${c.to}`);
    }
  }
  return lines;
}
