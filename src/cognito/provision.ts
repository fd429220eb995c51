/**
 * Provisioning: the user pool, its hosted-UI domain, its MFA settings, the federated identity
 * providers the config names, and one app client per realm, each from an editable request template
 * (provision-templates.ts). Reads first, prints a field-by-field diff, writes only what differs (so
 * a second run says "no changes"), and with `dryRun` writes nothing. Create/UpdateUserPool and
 * UpdateUserPoolClient replace whole configurations, so updates send the current value of every
 * field a template leaves out. Web-API only; the CLI (src/cli/provision.ts) loads the files.
 */
import type { IdentityProviderType, UserPoolClientType, UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoAdminError } from './errors';
import type { ProvisionAdmin } from './provision-admin';
import { creationFields, deepMerge, diffRequest, type FieldChange, formatChanges, pick } from './provision-diff';
import type { ClientSpec } from './provision-specs';
import {
  checkClientTemplate,
  checkIdentityProviderTemplate,
  checkMfaTemplate,
  checkPoolTemplate,
  formatSeconds,
  type Placeholders,
  providerEnvPrefix,
  renderTemplate,
  requestValiditySeconds,
  TEMPLATE_FILES,
  type TemplateKind,
  TemplateRefused,
  UPDATE_CLIENT_FIELDS,
  UPDATE_USER_POOL_FIELDS,
} from './provision-templates';

export interface LoadedTemplate {
  /** Where it came from, for messages (`create-user-pool.json` or `my-dir/create-user-pool.json`). */
  file: string;
  json: unknown;
}

export interface ProvisionTemplates {
  byKind: Record<TemplateKind, LoadedTemplate>;
  /** `identity-provider-<Name>.json` in the user's folder, used instead of create-identity-provider.json. */
  providers: Record<string, LoadedTemplate>;
}

export interface ProvisionPlanOptions {
  admin: ProvisionAdmin;
  specs: ClientSpec[];
  templates: ProvisionTemplates;
  /** Create the pool (found again by its domain on later runs) instead of using the config's. */
  createPool: boolean;
  /** With createPool: PoolName; default cognito-gateway. */
  poolName?: string;
  /** Prefix domain of the hosted UI; default the pool's own, else derived from the pool name. */
  domain?: string;
  dryRun: boolean;
  env: Record<string, string | undefined>;
  out: (line: string) => void;
}

export interface ProvisionResult {
  /** 0 done (or nothing to do), 1 a Cognito call failed or the pool is missing, 2 a template refused. */
  code: number;
  /** Writes made (or, in a dry run, that would be made). */
  changes: number;
  userPoolId?: string;
  /** Client ids by realm, after the run (a dry run's new clients are absent). */
  clients: Record<string, string>;
}

/** Domain prefixes: lowercase letters, digits and hyphens, without aws, amazon or cognito. */
export const domainSlug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/aws|amazon|cognito/g, 'x')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50) || 'gateway';

/** The shape of an app client id in Cognito's API (ClientId's pattern). */
const CLIENT_ID = /^[\w+]{1,128}$/;

/** Provider names that are Cognito provider types of their own (their details differ from OIDC's). */
const SOCIAL_PROVIDERS = new Set(['Google', 'Facebook', 'LoginWithAmazon', 'SignInWithApple']);

const defaultClientName = (realm: string) => (realm === 'default' ? 'cognito-gateway' : `cognito-gateway-${realm}`);
const asRecord = (v: unknown) => v as Record<string, unknown>;
const unique = (xs: Iterable<string>) => [...new Set(xs)];

const VALIDITY_UNITS = {
  AccessTokenValidity: ['AccessToken', 'hours'],
  IdTokenValidity: ['IdToken', 'hours'],
  RefreshTokenValidity: ['RefreshToken', 'days'],
} as const;

/** A lifetime named without its unit gets Cognito's default unit explicitly, so merging with the current units cannot change its meaning. */
function withExplicitUnits(request: Record<string, unknown>): Record<string, unknown> {
  const units = { ...((request.TokenValidityUnits as Record<string, unknown> | undefined) ?? {}) };
  let touched = false;
  for (const [field, [unit, fallback]] of Object.entries(VALIDITY_UNITS)) {
    if (request[field] !== undefined && units[unit] === undefined) {
      units[unit] = fallback;
      touched = true;
    }
  }
  return touched ? { ...request, TokenValidityUnits: units } : request;
}

/**
 * Cognito refuses AdminCreateUserConfig.UnusedAccountValidityDays (deprecated, still described) next
 * to Policies.PasswordPolicy.TemporaryPasswordValidityDays, so a described pool sent back drops it.
 */
function withoutLegacyValidityDays(request: Record<string, unknown>): Record<string, unknown> {
  const admin = request.AdminCreateUserConfig as Record<string, unknown> | undefined;
  const temporary = ((request.Policies as Record<string, unknown> | undefined)?.PasswordPolicy as Record<string, unknown> | undefined)
    ?.TemporaryPasswordValidityDays;
  if (!admin || admin.UnusedAccountValidityDays === undefined || temporary === undefined) return request;
  const { UnusedAccountValidityDays: _dropped, ...rest } = admin;
  return { ...request, AdminCreateUserConfig: rest };
}

/** Lifetimes as seconds, so clients written in other units compare equal. */
function comparableClient(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c };
  for (const field of Object.keys(VALIDITY_UNITS) as Array<keyof typeof VALIDITY_UNITS>) {
    if (c[field] !== undefined) out[field] = requestValiditySeconds(c, field);
  }
  delete out.TokenValidityUnits;
  return out;
}

/** One write, planned: printed as a diff, applied unless dry-running. */
type Step =
  | {
      header: string;
      lines: FieldChange[];
      creating?: boolean;
      apply: () => Promise<string[]>;
    }
  | { info: string };

const VALIDITY_FIELDS = new Set(Object.keys(VALIDITY_UNITS));
const clientDisplay = (path: string, v: unknown) => (VALIDITY_FIELDS.has(path) && typeof v === 'number' ? formatSeconds(v) : JSON.stringify(v));

/**
 * Reads everything and renders and checks every template first, so a refused template stops the
 * run before any write; then prints each planned write and applies it in order (pool, domain, MFA,
 * identity providers, clients: each needs the ones before).
 */
export async function provision(opts: ProvisionPlanOptions): Promise<ProvisionResult> {
  const { admin, specs, templates, dryRun, env, out } = opts;
  const would = dryRun ? 'would ' : '';
  const clients: Record<string, string> = {};
  const steps: Step[] = [];
  /** The pool's id; set when a planned CreateUserPool runs. */
  const poolRef: { id?: string } = {};
  const render = (kind: TemplateKind, values: Placeholders, t: LoadedTemplate = templates.byKind[kind], current?: Record<string, unknown>) =>
    asRecord(renderTemplate(t.file, t.json, values, env, current));
  /** Everything is printed in order at the end, after every template has been checked. */
  const info = (line: string) => steps.push({ info: line });
  const fail = (code: number, message: string): ProvisionResult => {
    out(`provision: ${message}`);
    return { code, changes: 0, clients };
  };

  try {
    // 1. The pool.
    let pool: UserPoolType | undefined;
    const poolName = opts.poolName ?? 'cognito-gateway';
    let domain = opts.domain;
    if (opts.createPool) {
      domain ??= domainSlug(poolName);
      const holder = await admin.describeUserPoolDomain(domain);
      if (holder?.UserPoolId) {
        poolRef.id = holder.UserPoolId;
        pool = await admin.describeUserPool(poolRef.id);
        info(`user pool ${poolRef.id}: found by its domain ${domain}`);
      } else {
        const request = render('createUserPool', { poolName });
        checkPoolTemplate(templates.byKind.createUserPool.file, 'createUserPool', request);
        steps.push({
          header: `user pool "${request.PoolName}": ${would}create (${TEMPLATE_FILES.createUserPool})`,
          lines: creationFields(request),
          creating: true,
          apply: async () => {
            poolRef.id = (await admin.createUserPool(request as never)).Id!;
            return [`  created user pool ${poolRef.id}: set idp.userPoolId to ${poolRef.id}`];
          },
        });
      }
    } else {
      poolRef.id = specs[0]?.userPoolId;
      if (!poolRef.id) return fail(2, 'the config names no user pool (idp.userPoolId); use --create-pool to create one');
      pool = await admin.describeUserPool(poolRef.id);
      if (!pool)
        return fail(1, `user pool ${poolRef.id} does not exist (idp.userPoolId); run with --create-pool to create one from ${TEMPLATE_FILES.createUserPool}`);
    }
    const known = poolRef.id;
    /** What templates see as {{userPoolId}} before a planned pool exists. */
    const poolIdValue = known ?? '(new pool)';
    const poolId = () => poolRef.id!;
    if (pool && known) {
      const request = render('updateUserPool', { userPoolId: known, poolName: pool.Name ?? poolName });
      checkPoolTemplate(templates.byKind.updateUserPool.file, 'updateUserPool', request, known);
      const { UserPoolId: _id, ...wanted } = request;
      // DescribeUserPool says Name where UpdateUserPool says PoolName.
      const describedPool = { ...asRecord(pool), PoolName: pool.Name };
      const diff = diffRequest(wanted, describedPool);
      if (diff.length) {
        steps.push({
          header: `user pool ${known}: ${would}update (${TEMPLATE_FILES.updateUserPool})`,
          lines: diff,
          apply: async () => {
            // UpdateUserPool resets whatever it is not sent: the current settings under the template's.
            const request = deepMerge(pick(describedPool, UPDATE_USER_POOL_FIELDS), wanted);
            await admin.updateUserPool({ ...withoutLegacyValidityDays(request), UserPoolId: known } as never);
            return [`  updated user pool ${known}`];
          },
        });
      } else info(`user pool ${known}: up to date`);
    }

    // 2. The hosted-UI domain (one prefix domain per pool).
    if (pool?.Domain) {
      if (opts.domain && opts.domain !== pool.Domain)
        info(`note: user pool ${known} already has the domain ${pool.Domain}; --domain ${opts.domain} is not used`);
      else info(`domain ${pool.Domain}: up to date`);
    } else {
      const prefix = domain ?? domainSlug(`${pool?.Name ?? poolName}-${(known ?? '').split('_')[1] ?? ''}`);
      const holder = known ? await admin.describeUserPoolDomain(prefix) : undefined;
      if (holder?.UserPoolId && holder.UserPoolId !== known)
        return fail(1, `the domain prefix ${prefix} belongs to user pool ${holder.UserPoolId}; choose another with --domain`);
      if (holder) info(`domain ${prefix}: up to date`);
      else {
        steps.push({
          header: `domain ${prefix}: ${would}create (CreateUserPoolDomain, prefix domain)`,
          lines: [],
          apply: async () => {
            await admin.createUserPoolDomain(poolId(), prefix);
            return [`  created domain ${prefix}`];
          },
        });
      }
    }

    // 3. MFA.
    {
      const request = render('setUserPoolMfaConfig', { userPoolId: poolIdValue });
      checkMfaTemplate(templates.byKind.setUserPoolMfaConfig.file, request, poolIdValue);
      const current = known ? await admin.getUserPoolMfaConfig(known) : { MfaConfiguration: 'OFF' };
      const { UserPoolId: _id, ...wanted } = request;
      const diff = diffRequest(wanted, asRecord(current));
      if (diff.length) {
        steps.push({
          header: `MFA of user pool ${known ?? '(new)'}: ${would}set (${TEMPLATE_FILES.setUserPoolMfaConfig})`,
          lines: diff,
          apply: async () => {
            await admin.setUserPoolMfaConfig({ ...wanted, UserPoolId: poolId() } as never);
            return ['  set MFA'];
          },
        });
      } else info(`MFA: up to date (${current.MfaConfiguration ?? 'OFF'})`);
    }

    // 4. Federated identity providers the config names.
    // Realms naming another pool than the config's are for a run with that pool's config.
    const inPool = specs.filter((s) => s.userPoolId === specs[0]!.userPoolId);
    for (const name of unique(inPool.flatMap((s) => s.identityProviders)).filter((p) => p !== 'COGNITO')) {
      const t = templates.providers[name] ?? templates.byKind.createIdentityProvider;
      if (SOCIAL_PROVIDERS.has(name) && !templates.providers[name]) {
        throw new TemplateRefused(
          t.file,
          'ProviderType',
          `cannot create ${name}: it is Cognito's own ${name} provider type, not OIDC; put identity-provider-${name}.json (with "ProviderType": "${name}" and its ProviderDetails) in --templates`,
        );
      }
      const prefix = providerEnvPrefix(name);
      // A provider the pool already has is left as it is when its settings are not in the environment
      // (the demo's PartnerIdP, a provider set up by hand): nothing to compare it with.
      const missing = [`${prefix}_CLIENT_ID`, `${prefix}_CLIENT_SECRET`, `${prefix}_ISSUER`].filter((k) => !env[k]);
      if (missing.length && !templates.providers[name] && known && (await admin.describeIdentityProvider(known, name))) {
        info(`identity provider ${name}: exists; left as it is (set ${missing.join(', ')} to manage it from ${t.file})`);
        continue;
      }
      const request = render(
        'createIdentityProvider',
        {
          userPoolId: poolIdValue,
          providerName: name,
          providerClientId: { env: `${prefix}_CLIENT_ID` },
          providerClientSecret: { env: `${prefix}_CLIENT_SECRET` },
          providerIssuer: { env: `${prefix}_ISSUER` },
        },
        t,
      );
      checkIdentityProviderTemplate(t.file, request, poolIdValue, name);
      const { UserPoolId: _id, ...shown } = request;
      const current: IdentityProviderType | undefined = known ? await admin.describeIdentityProvider(known, name) : undefined;
      if (!current) {
        steps.push({
          header: `identity provider ${name}: ${would}create (${t.file})`,
          lines: creationFields(shown),
          creating: true,
          apply: async () => {
            await admin.createIdentityProvider({ ...shown, UserPoolId: poolId() } as never);
            return [`  created identity provider ${name}`];
          },
        });
        continue;
      }
      if (request.ProviderType !== current.ProviderType) {
        return fail(
          2,
          `identity provider ${name} is ${current.ProviderType} in the pool but ${String(request.ProviderType)} in ${t.file}; Cognito cannot change a provider's type`,
        );
      }
      const wanted = pick(request, ['ProviderDetails', 'AttributeMapping', 'IdpIdentifiers']);
      const diff = diffRequest(wanted, asRecord(current));
      if (diff.length) {
        steps.push({
          header: `identity provider ${name}: ${would}update (${t.file})`,
          lines: diff,
          apply: async () => {
            await admin.updateIdentityProvider({ ...wanted, UserPoolId: poolId(), ProviderName: name } as never);
            return [`  updated identity provider ${name}`];
          },
        });
      } else info(`identity provider ${name}: up to date`);
    }

    // 5. One app client per realm.
    let listed: Array<{ ClientId?: string; ClientName?: string }> | undefined;
    for (const spec of specs) {
      for (const note of spec.notes) info(`note: ${note}`);
      if (!inPool.includes(spec)) {
        info(`note: realm "${spec.realm}" uses user pool ${spec.userPoolId}: run provision with a config whose idp.userPoolId is ${spec.userPoolId} for it`);
        continue;
      }
      let current: UserPoolClientType | undefined;
      if (known) {
        // Cognito answers a malformed id (a placeholder such as "my-client") with a validation error, not "not found".
        current = CLIENT_ID.test(spec.clientId) ? await admin.describeUserPoolClient(known, spec.clientId) : undefined;
        if (!current) {
          // A client an earlier run created (before the config had its id) is found by its name.
          listed ??= await admin.listUserPoolClients(known);
          const name = spec.clientName ?? defaultClientName(spec.realm);
          const byName = listed.filter((c) => c.ClientName === name);
          if (byName.length > 1) return fail(2, `realm "${spec.realm}": ${byName.length} app clients are named "${name}"; set the client id in the config`);
          if (byName.length === 1) {
            current = await admin.describeUserPoolClient(known, byName[0]!.ClientId!);
            if (current)
              info(`note: realm "${spec.realm}": client ${spec.clientId} does not exist; using ${current.ClientId} named "${name}" (set its id in the config)`);
          }
        }
      }
      const clientName = spec.clientName ?? current?.ClientName ?? defaultClientName(spec.realm);
      const tokenMinutes = Math.min(1440, Math.max(60, Math.ceil(spec.minTokenValiditySeconds / 60)));
      const values: Placeholders = {
        userPoolId: poolIdValue,
        realm: spec.realm,
        clientName,
        callbackUrls: spec.callbackUrls,
        logoutUrls: spec.logoutUrls,
        scopes: spec.scopes,
        identityProviders: unique(['COGNITO', ...spec.identityProviders]),
        explicitAuthFlows: spec.explicitAuthFlows,
        accessTokenValidityMinutes: tokenMinutes,
        idTokenValidityMinutes: tokenMinutes,
        refreshTokenValidityMinutes: Math.min(5_256_000, Math.max(43_200, Math.ceil(spec.minRefreshValiditySeconds / 60))),
      };
      const label = `app client for realm "${spec.realm}"`;
      if (!current) {
        const t = templates.byKind.createUserPoolClient;
        const request = withExplicitUnits(render('createUserPoolClient', values));
        checkClientTemplate(t.file, 'createUserPoolClient', request, spec, { userPoolId: poolIdValue });
        const { UserPoolId: _id, ...shown } = request;
        steps.push({
          header: `${label}: ${would}create "${clientName}" (${TEMPLATE_FILES.createUserPoolClient})`,
          lines: creationFields(shown),
          creating: true,
          apply: async () => {
            const created = await admin.createUserPoolClient({ ...shown, UserPoolId: poolId() } as never);
            clients[spec.realm] = created.ClientId!;
            const key = spec.realm === 'default' ? 'idp.clientId' : `the idp.clientId of app ${spec.apps[0]}`;
            return [
              `  created app client ${created.ClientId}${created.ClientSecret ? ' (with a secret)' : ' (public)'}: set ${key} to ${created.ClientId}`,
              ...(created.ClientSecret
                ? [
                    `  its secret (for GATEWAY_CLIENT_SECRET): aws cognito-idp describe-user-pool-client --user-pool-id ${poolId()} --client-id ${created.ClientId} --query UserPoolClient.ClientSecret --output text`,
                  ]
                : []),
            ];
          },
        });
        continue;
      }
      const id = current.ClientId!;
      clients[spec.realm] = id;
      if (spec.confidential && !current.ClientSecret) {
        info(`warning: ${label}: the config has a client secret but app client ${id} has none; Cognito cannot add one: create a new client`);
      }
      const t = templates.byKind.updateUserPoolClient;
      const request = withExplicitUnits(render('updateUserPoolClient', { ...values, clientId: id }, undefined, asRecord(current)));
      checkClientTemplate(t.file, 'updateUserPoolClient', request, spec, { userPoolId: poolIdValue, clientId: id });
      const { UserPoolId: _p, ClientId: _c, ...wanted } = request;
      const diff = diffRequest(comparableClient(wanted), comparableClient(asRecord(current)), '', clientDisplay);
      const before = current;
      if (diff.length) {
        steps.push({
          header: `${label} (${id}, "${current.ClientName}"): ${would}update (${TEMPLATE_FILES.updateUserPoolClient})`,
          lines: diff,
          apply: async () => {
            // UpdateUserPoolClient resets whatever it is not sent: the current settings under the template's.
            await admin.updateUserPoolClient({
              ...deepMerge(pick(asRecord(before), UPDATE_CLIENT_FIELDS), wanted),
              UserPoolId: poolId(),
              ClientId: id,
            } as never);
            return [`  updated app client ${id}`];
          },
        });
      } else info(`${label} (${id}): up to date`);
    }

    // Everything read and checked: print and apply.
    let changes = 0;
    for (const step of steps) {
      if ('info' in step) {
        out(step.info);
        continue;
      }
      changes++;
      out(step.header);
      for (const l of formatChanges(step.lines, step.creating)) out(l);
      if (!dryRun) for (const l of await step.apply()) out(l);
    }
    if (changes === 0) out('no changes');
    else if (dryRun) out(`dry run: nothing written (${changes} change${changes === 1 ? '' : 's'} planned)`);
    return { code: 0, changes, ...(poolRef.id ? { userPoolId: poolRef.id } : {}), clients };
  } catch (e) {
    if (e instanceof TemplateRefused) return fail(2, e.message);
    if (e instanceof CognitoAdminError) return fail(1, e.message);
    throw e;
  }
}
