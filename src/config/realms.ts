/**
 * Realms: several identity setups (app clients, and if needed pools) in one gateway. The top-level
 * `idp` is the default realm; an app's `idp` block may name another app client, and every app whose
 * effective client (issuer + client id) is the same shares that realm: one session cookie, one
 * sign-in. Pure: resolved once when the config is loaded; `explain`, `access-report` and every
 * runtime read the same answer.
 */
import type { ZodError } from 'zod';
import { appIdpSchema, type GatewayConfig, type IdpConfig } from './schema';

export const DEFAULT_REALM = 'default';

export interface RealmConfig {
  name: string;
  isDefault: boolean;
  /** The effective identity-provider settings: the top-level idp with the app's client (and pool) fields. */
  idp: IdpConfig;
  /** Accepted `iss` values, primary first. */
  issuers: string[];
  /** Same issuers and key set as the default realm: one JWKS cache, other audiences. */
  samePool: boolean;
  /** Ids of the apps in this realm (the default realm: every app without a client of its own). */
  apps: string[];
}

/** What an app's `idp` block says about its own sign-ins, beyond the realm. */
export interface AppSignIn {
  scopes?: string[];
  identityProvider?: string;
}

export interface ResolvedRealms {
  /** Default first. */
  realms: RealmConfig[];
  /** Realm name per app id. */
  appRealms: Record<string, string>;
  appSignIn: Record<string, AppSignIn>;
  issues: Array<{ path: string; message: string }>;
}

const POOL_FIELDS = ['userPoolId', 'region', 'issuer', 'extraIssuers', 'jwksUri', 'domain'] as const;
const CLIENT_FIELDS = ['clientSecret', 'clientAuthMethod', 'passwordAuthFlow', 'bearerClients'] as const;
/** cookies.namePrefix allows 40 characters; a realm's prefix is `<namePrefix>-<realm>`. */
const MAX_COOKIE_PREFIX = 40;

/** The `iss` values of an idp block, as the loader computes them for the top level. */
export function issuersOfIdp(idp: Pick<IdpConfig, 'type' | 'issuer' | 'userPoolId' | 'region' | 'extraIssuers'>): string[] {
  if (idp.issuer) return [...new Set([idp.issuer, ...idp.extraIssuers])];
  if (idp.type === 'cognito' && idp.userPoolId) {
    const region = idp.region ?? idp.userPoolId.split('_')[0]!;
    return [
      ...new Set([
        `https://cognito-idp.${region}.amazonaws.com/${idp.userPoolId}`,
        `https://issuer-cognito-idp.${region}.amazonaws.com/${idp.userPoolId}`,
        ...idp.extraIssuers,
      ]),
    ];
  }
  return [];
}

function zodIssues(error: ZodError, at: string): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: [at, ...i.path.map(String)].join('.'), message: i.message }));
}

export function resolveRealms(config: GatewayConfig, defaultIssuers: string[]): ResolvedRealms {
  const issues: ResolvedRealms['issues'] = [];
  const defaultName = config.idp.realm ?? DEFAULT_REALM;
  const defaultRealm: RealmConfig = { name: defaultName, isDefault: true, idp: config.idp, issuers: defaultIssuers, samePool: true, apps: [] };
  const realms: RealmConfig[] = [defaultRealm];
  /** Realms by client key, and whether the name was written (not derived from an app id). */
  const byKey = new Map<string, { realm: RealmConfig; named: boolean; firstApp: number }>();
  const appRealms: Record<string, string> = {};
  const appSignIn: Record<string, AppSignIn> = {};
  const keyOf = (issuers: readonly string[], clientId: string) => `${issuers[0] ?? ''}\u0000${clientId}`;
  byKey.set(keyOf(defaultIssuers, config.idp.clientId), { realm: defaultRealm, named: true, firstApp: -1 });

  config.apps.forEach((app, i) => {
    const at = `apps[${i}].idp`;
    if (app.idp === undefined) {
      appRealms[app.id] = defaultName;
      defaultRealm.apps.push(app.id);
      return;
    }
    const parsed = appIdpSchema.safeParse(app.idp);
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, at));
      return;
    }
    const o = parsed.data;
    const signIn: AppSignIn = {};
    if (o.scopes) {
      if (!o.scopes.includes('openid')) issues.push({ path: `${at}.scopes`, message: `${at}.scopes must include "openid", or no ID token is issued` });
      signIn.scopes = o.scopes;
    }
    if (o.identityProvider) signIn.identityProvider = o.identityProvider;
    if (signIn.scopes || signIn.identityProvider) appSignIn[app.id] = signIn;

    if (!o.clientId) {
      for (const f of POOL_FIELDS)
        if (o[f] !== undefined)
          issues.push({
            path: `${at}.${f}`,
            message: `another pool needs an app client of that pool: set ${at}.clientId (and its clientSecret), or remove ${f}`,
          });
      for (const f of CLIENT_FIELDS)
        if (o[f] !== undefined)
          issues.push({
            path: `${at}.${f}`,
            message: `${f} belongs to an app client of the app's own: set ${at}.clientId, or remove ${f} (the top-level idp holds the default client's)`,
          });
      if (o.realm !== undefined && o.realm !== defaultName)
        issues.push({
          path: `${at}.realm`,
          message: `a realm is an app client: set ${at}.clientId, or remove realm (without a client of its own the app is in the default realm "${defaultName}")`,
        });
      appRealms[app.id] = defaultName;
      defaultRealm.apps.push(app.id);
      return;
    }

    const ownPool = POOL_FIELDS.some((f) => o[f] !== undefined);
    const idp: IdpConfig = ownPool
      ? {
          ...config.idp,
          userPoolId: o.userPoolId,
          region: o.region,
          issuer: o.issuer,
          extraIssuers: o.extraIssuers ?? [],
          jwksUri: o.jwksUri,
          domain: o.domain,
          // Resource audiences belong to the default pool's API.
          audiences: undefined,
        }
      : { ...config.idp };
    // The client's own settings; never the default client's secret or bearer clients.
    Object.assign(idp, {
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      clientAuthMethod: o.clientAuthMethod ?? config.idp.clientAuthMethod,
      passwordAuthFlow: o.passwordAuthFlow ?? config.idp.passwordAuthFlow,
      bearerClients: o.bearerClients ?? [],
      scopes: o.scopes ?? config.idp.scopes,
    });
    delete idp.realm;
    if (ownPool) {
      if (idp.type === 'oidc' && !idp.issuer) issues.push({ path: `${at}.issuer`, message: `idp.type oidc needs ${at}.issuer for another provider` });
      if (idp.type === 'cognito' && !idp.issuer && !idp.userPoolId)
        issues.push({ path: `${at}.userPoolId`, message: `another Cognito pool needs ${at}.userPoolId (e.g. us-east-1_AbC123xyz) or ${at}.issuer` });
      if (idp.region && idp.userPoolId && !idp.userPoolId.startsWith(`${idp.region}_`))
        issues.push({ path: `${at}.region`, message: `"${idp.region}" does not match the pool id's region prefix "${idp.userPoolId.split('_')[0]}"` });
    }
    const issuers = ownPool ? issuersOfIdp(idp) : defaultIssuers;
    const samePool = !ownPool || (issuers[0] === defaultIssuers[0] && (idp.jwksUri ?? '') === (config.idp.jwksUri ?? ''));
    const key = keyOf(issuers, o.clientId);
    const existing = byKey.get(key);
    if (existing) {
      const { realm } = existing;
      if (o.realm !== undefined && o.realm !== realm.name && existing.named) {
        const other = existing.firstApp < 0 ? 'the top-level idp' : `apps[${existing.firstApp}]`;
        issues.push({
          path: `${at}.realm`,
          message: `${other} uses the same app client as realm "${realm.name}": one client is one realm; write realm: ${realm.name} or remove it`,
        });
        return;
      }
      if (!realm.isDefault && (o.clientSecret ?? '') !== (realm.idp.clientSecret ?? '')) {
        issues.push({ path: `${at}.clientSecret`, message: `apps[${existing.firstApp}] names the same client ${o.clientId} with another secret` });
        return;
      }
      if (o.realm !== undefined && !existing.named) {
        // The first app's realm was named after it; this one writes the name: take it.
        realm.name = o.realm;
        existing.named = true;
        for (const id of realm.apps) appRealms[id] = o.realm;
      }
      realm.apps.push(app.id);
      appRealms[app.id] = realm.name;
      return;
    }
    const name = o.realm ?? app.id;
    if (o.realm === undefined && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) {
      issues.push({
        path: `${at}.realm`,
        message: `the app id "${app.id}" cannot name its realm (1-32 characters, starting with a letter or digit): set ${at}.realm`,
      });
      return;
    }
    const realm: RealmConfig = { name, isDefault: false, idp, issuers, samePool, apps: [app.id] };
    byKey.set(key, { realm, named: o.realm !== undefined, firstApp: i });
    realms.push(realm);
    appRealms[app.id] = name;
  });

  // Names identify realms in cookies, login state and /_auth/me: one name, one client.
  const seen = new Map<string, RealmConfig>();
  for (const realm of realms) {
    const firstApp = config.apps.findIndex((a) => a.id === realm.apps[0]);
    const path = realm.isDefault ? 'idp.realm' : `apps[${firstApp}].idp.realm`;
    const clash = seen.get(realm.name);
    if (clash) {
      issues.push({
        path,
        message: `realm "${realm.name}" is already the name of ${clash.isDefault ? 'the default realm (top-level idp)' : `the realm of client ${clash.idp.clientId}`}; give each app client its own realm name`,
      });
      continue;
    }
    seen.set(realm.name, realm);
    if (!realm.isDefault && `${config.cookies.namePrefix}-${realm.name}`.length > MAX_COOKIE_PREFIX)
      issues.push({
        path,
        message: `the realm's cookie prefix "${config.cookies.namePrefix}-${realm.name}" is longer than ${MAX_COOKIE_PREFIX} characters; choose a shorter realm name or cookies.namePrefix`,
      });
  }
  return { realms, appRealms, appSignIn, issues };
}
