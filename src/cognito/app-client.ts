/**
 * What the gateway needs from its Cognito app client, derived from the gateway config; checks of an
 * existing client against it (doctor) and the desired client settings (provision). Pure; Web-API only.
 */
import { constantTimeEqual } from '../session/crypto';
import type { UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import type { ResolvedConfig } from '../config/load';
import { normalizeHost } from '../policy/host';

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
