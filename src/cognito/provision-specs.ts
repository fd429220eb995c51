/**
 * The app clients `provision` manages, one per realm, derived from the config: the top-level `idp`
 * serves every app without an identity setup of its own; each distinct `apps[].idp.clientId` is
 * another realm with its own client. `apps[].idp` is read defensively (an optional object with
 * `clientId`, `clientName?`, `clientSecret?`, `callbackUrls?`, `logoutUrls?`, `scopes?`,
 * `identityProvider?`, `userPoolId?`), so configs without it keep working. Pure.
 */
import type { ResolvedConfig } from '../config/load';
import { userPoolIdOf } from '../config/load';
import { clientRequirements } from './app-client';

/** What one realm needs from its app client: what the templates must keep (see provision-templates). */
export interface ClientSpec {
  /** `default` for the top-level idp; otherwise the first app's id. */
  realm: string;
  apps: string[];
  /** The id the config names (it may not exist yet: then the client is found by name or created). */
  clientId: string;
  /** From the config; else the current client's name; else cognito-gateway[-realm]. */
  clientName?: string;
  userPoolId: string;
  /** The config has this client's secret: the client must have one (GenerateSecret true). */
  confidential: boolean;
  callbackUrls: string[];
  logoutUrls: string[];
  /** openid first. */
  scopes: string[];
  /** Federated providers the realm signs in with (`identity_provider`), besides COGNITO. */
  identityProviders: string[];
  explicitAuthFlows: string[];
  minTokenValiditySeconds: number;
  minRefreshValiditySeconds: number;
  notes: string[];
}

/** `apps[].idp` as the realms work defines it, read without trusting its shape. */
export interface AppIdentitySetup {
  clientId: string;
  clientName?: string;
  clientSecret?: string;
  callbackUrls?: string[];
  logoutUrls?: string[];
  scopes?: string[];
  identityProvider?: string;
  userPoolId?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strList = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);

export function appIdentitySetupOf(app: unknown): AppIdentitySetup | undefined {
  const idp = app && typeof app === 'object' ? (app as { idp?: unknown }).idp : undefined;
  if (!idp || typeof idp !== 'object' || Array.isArray(idp)) return undefined;
  const o = idp as Record<string, unknown>;
  const clientId = str(o.clientId);
  if (!clientId) return undefined;
  const out: AppIdentitySetup = { clientId };
  const clientName = str(o.clientName);
  const clientSecret = str(o.clientSecret);
  const identityProvider = str(o.identityProvider) ?? str(o.identity_provider);
  const userPoolId = str(o.userPoolId) ?? str(o.pool);
  const callbackUrls = strList(o.callbackUrls);
  const logoutUrls = strList(o.logoutUrls);
  const scopes = strList(o.scopes);
  if (clientName) out.clientName = clientName;
  if (clientSecret) out.clientSecret = clientSecret;
  if (identityProvider) out.identityProvider = identityProvider;
  if (userPoolId) out.userPoolId = userPoolId;
  if (callbackUrls) out.callbackUrls = callbackUrls;
  if (logoutUrls) out.logoutUrls = logoutUrls;
  if (scopes) out.scopes = scopes;
  return out;
}

const unique = (xs: Iterable<string>) => [...new Set(xs)];

/** One spec per realm: the top-level client first, then each distinct `apps[].idp.clientId` in config order. */
export function clientSpecsOf(config: ResolvedConfig): ClientSpec[] {
  const poolId = userPoolIdOf(config) ?? '';
  const own = new Map<string, { setup: AppIdentitySetup; apps: ResolvedConfig['apps'] }>();
  const shared: ResolvedConfig['apps'] = [];
  for (const app of config.apps) {
    const setup = appIdentitySetupOf(app);
    if (!setup || setup.clientId === config.idp.clientId) {
      shared.push(app);
      continue;
    }
    const group = own.get(setup.clientId) ?? { setup, apps: [] };
    group.apps.push(app);
    own.set(setup.clientId, group);
  }
  const passwordAuth = (apps: ResolvedConfig['apps']) => apps.some((a) => a.cognito?.passwordAuth === true);

  const top = clientRequirements({ ...config, apps: shared }, { passwordAuth: passwordAuth(shared) });
  const specs: ClientSpec[] = [
    {
      realm: 'default',
      apps: shared.map((a) => a.id),
      clientId: config.idp.clientId,
      userPoolId: poolId,
      confidential: config.idp.clientSecret !== undefined,
      callbackUrls: top.callbackUrls,
      logoutUrls: top.logoutUrls,
      scopes: top.scopes,
      identityProviders: top.identityProviders,
      explicitAuthFlows: top.explicitAuthFlows,
      minTokenValiditySeconds: top.minTokenValiditySeconds,
      minRefreshValiditySeconds: top.minRefreshValiditySeconds,
      notes: top.notes,
    },
  ];
  for (const { setup, apps } of own.values()) {
    // The realm's apps sign in with its provider unless an app names one of its own.
    const realmApps = apps.map((a) =>
      setup.identityProvider && !a.login?.identityProvider ? { ...a, login: { ...a.login, identityProvider: setup.identityProvider } } : a,
    );
    const req = clientRequirements(
      {
        ...config,
        idp: {
          ...config.idp,
          clientId: setup.clientId,
          scopes: setup.scopes ?? config.idp.scopes,
          clientSecret: setup.clientSecret,
          passwordAuthFlow: config.realms?.find((r) => r.idp.clientId === setup.clientId)?.idp.passwordAuthFlow ?? config.idp.passwordAuthFlow,
        },
        apps: realmApps,
      },
      { passwordAuth: passwordAuth(apps) },
    );
    specs.push({
      realm: apps[0]!.id,
      apps: apps.map((a) => a.id),
      clientId: setup.clientId,
      ...(setup.clientName ? { clientName: setup.clientName } : {}),
      userPoolId: setup.userPoolId ?? poolId,
      confidential: setup.clientSecret !== undefined,
      callbackUrls: unique([...req.callbackUrls, ...(setup.callbackUrls ?? [])]),
      logoutUrls: unique([...req.logoutUrls, ...(setup.logoutUrls ?? [])]),
      scopes: unique(['openid', ...req.scopes]),
      identityProviders: req.identityProviders,
      explicitAuthFlows: req.explicitAuthFlows,
      minTokenValiditySeconds: req.minTokenValiditySeconds,
      minRefreshValiditySeconds: req.minRefreshValiditySeconds,
      notes: req.notes,
    });
  }
  return specs;
}
