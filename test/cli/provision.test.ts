/**
 * `cognito-gateway provision` against the emulator over HTTP, checked with the official AWS SDK:
 * from scratch (--create-pool: pool, domain, client), a second run with no changes, an update after
 * a template edit, the dry-run diff text, refusals of templates that change what the gateway
 * depends on (naming the field), five storefront callback URLs, a federated provider created from
 * its template with secrets from the environment, MFA and password-policy pass-through, and one
 * app client per realm.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  ListUserPoolClientsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES_DIR, loadTemplates, runProvision, type ProvisionOptions } from '../../src/cli/provision';
import { provision as provisionPool } from '../../src/cognito/provision';
import { createProvisionAdmin } from '../../src/cognito/provision-admin';
import { loadConfig } from '../../src/config/load';
import { clientSpecsOf } from '../../src/cognito/provision-specs';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { CREDENTIALS, countingFetch, POOL, sdkClient } from '../cognito/helpers';

let emu: RunningEmulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'cgw-provision-'));
});
afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ConfigOptions {
  poolId?: string;
  clientId: string;
  secret?: string;
  identityProvider?: string;
  hosts?: string[];
  passwordAuth?: boolean;
}

function writeConfig(name: string, o: ConfigOptions): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `
publicUrl: https://gw.example.com
idp:
  userPoolId: ${o.poolId ?? POOL}
  issuer: ${emu.url}/${o.poolId ?? POOL}
  clientId: ${o.clientId}
${o.secret ? `  clientSecret: ${o.secret}\n` : ''}  scopes: [openid, email]
session:
  secrets: ["provision-test-cookie-secret-0123456789abcdef"]
  absoluteLifetime: 12h
  revalidateAfter: 10m
apps:
  - id: shop
    name: Shop
    hosts: [${(o.hosts ?? ['shop.example.com']).join(', ')}]
    upstream: http://127.0.0.1:9080
    login: { ${o.identityProvider ? `identityProvider: ${o.identityProvider}, ` : ''}extraScopes: [profile] }
${o.passwordAuth ? '    cognito: { passwordAuth: true }\n' : ''}    policies: [{ name: all, action: allow, include: [{ authenticated: true }] }]
`,
  );
  return path;
}

const env = (extra: Record<string, string> = {}) => ({ COGNITO_ENDPOINT: emu.url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', ...extra });

async function provision(path: string, o: Partial<ProvisionOptions> = {}) {
  const lines: string[] = [];
  const counter = countingFetch();
  const code = await runProvision(path, {
    dryRun: false,
    env: env(),
    out: (l) => lines.push(l),
    adminFactory: (opts) => createProvisionAdmin({ ...opts, fetch: counter.fetch }),
    ...o,
  });
  return { code, text: lines.join('\n'), lines, writes: counter.calls.filter((c) => /^(Create|Update|Set)/.test(c)) };
}

const sdk = () => sdkClient(emu);
const describeClient = async (poolId: string, id: string) =>
  (await sdk().send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: id }))).UserPoolClient!;

/** A copy of the default templates with some files replaced. */
function templatesWith(name: string, files: Record<string, (t: Record<string, unknown>) => Record<string, unknown>>): string {
  const d = join(dir, `templates-${name}`);
  mkdirSync(d, { recursive: true });
  for (const [file, edit] of Object.entries(files)) {
    const base = JSON.parse(readFileSync(join(DEFAULT_TEMPLATES_DIR, file), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(d, file), JSON.stringify(edit(base), null, 2));
  }
  return d;
}

async function newPool(name: string): Promise<string> {
  return (await sdk().send(new CreateUserPoolCommand({ PoolName: name }))).UserPool!.Id!;
}

describe('provision from templates', () => {
  it('from scratch: a dry run plans everything and writes nothing; a run creates the pool, domain and client; a second run has no changes', async () => {
    const path = writeConfig('scratch', { clientId: 'not-created-yet' });
    const dry = await provision(path, { createPool: true, dryRun: true, poolName: 'shop-pool', domain: 'shop-login' });
    expect(dry.code, dry.text).toBe(0);
    expect(dry.writes).toEqual([]);
    expect(dry.lines).toContain('user pool "shop-pool": would create (create-user-pool.json)');
    expect(dry.lines).toContain('  + Policies.PasswordPolicy.MinimumLength: 12');
    expect(dry.lines).toContain('domain shop-login: would create (CreateUserPoolDomain, prefix domain)');
    expect(dry.lines).toContain('app client for realm "default": would create "cognito-gateway" (create-user-pool-client.json)');
    expect(dry.text).toMatch(/ {2}\+ CallbackURLs\n {6}\+ https:\/\/gw\.example\.com\/_auth\/callback\n {6}\+ https:\/\/shop\.example\.com\/_auth\/callback\n/);
    expect(dry.lines.at(-1)).toBe('dry run: nothing written (3 changes planned)');

    const first = await provision(path, { createPool: true, poolName: 'shop-pool', domain: 'shop-login' });
    expect(first.code, first.text).toBe(0);
    expect(first.writes).toEqual(['CreateUserPool', 'CreateUserPoolDomain', 'CreateUserPoolClient']);
    const poolId = /created user pool (\S+):/.exec(first.text)![1]!;
    const clientId = /created app client (\S+) \(with a secret\): set idp\.clientId to \1/.exec(first.text)![1]!;
    const pool = (await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    expect(pool.Name).toBe('shop-pool');
    expect(pool.Domain).toBe('shop-login');
    expect(pool.DeletionProtection).toBe('ACTIVE');
    expect(pool.Policies?.PasswordPolicy?.MinimumLength).toBe(12);
    const client = await describeClient(poolId, clientId);
    expect(client.ClientName).toBe('cognito-gateway');
    expect(client.CallbackURLs).toEqual(['https://gw.example.com/_auth/callback', 'https://shop.example.com/_auth/callback']);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthScopes).toEqual(['openid', 'email', 'profile']);
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect([client.AccessTokenValidity, client.TokenValidityUnits?.AccessToken]).toEqual([60, 'minutes']);
    expect([client.RefreshTokenValidity, client.TokenValidityUnits?.RefreshToken]).toEqual([43200, 'minutes']);
    expect(first.text).not.toContain(client.ClientSecret!);

    const second = await provision(path, { createPool: true, poolName: 'shop-pool', domain: 'shop-login' });
    expect(second.code, second.text).toBe(0);
    expect(second.writes).toEqual([]);
    expect(second.lines).toContain(`user pool ${poolId}: found by its domain shop-login`);
    expect(second.lines).toContain(
      `note: realm "default": client not-created-yet does not exist; using ${clientId} named "cognito-gateway" (set its id in the config)`,
    );
    expect(second.lines.at(-1)).toBe('no changes');

    // With the ids written into the config, the plain command agrees.
    const third = await provision(writeConfig('scratch-ids', { poolId, clientId, secret: client.ClientSecret! }));
    expect(third.code, third.text).toBe(0);
    expect(third.writes).toEqual([]);
    expect(third.lines).toEqual([
      `user pool ${poolId}: up to date`,
      'domain shop-login: up to date',
      'MFA: up to date (OFF)',
      `app client for realm "default" (${clientId}): up to date`,
      'no changes',
    ]);
  });

  it('an existing client: the dry run prints the diff field by field; the update keeps what the template does not name; a template edit is applied', async () => {
    const poolId = await newPool('existing');
    const made = await sdk().send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'legacy-client',
        GenerateSecret: true,
        CallbackURLs: ['https://gw.example.com/_auth/callback', 'https://old.example.com/cb'],
        LogoutURLs: ['https://gw.example.com/'],
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['openid', 'email'],
        SupportedIdentityProviders: ['COGNITO'],
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'],
        EnableTokenRevocation: false,
        RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 20 },
      }),
    );
    const id = made.UserPoolClient!.ClientId!;
    const path = writeConfig('existing', { poolId, clientId: id, secret: made.UserPoolClient!.ClientSecret!, passwordAuth: true });
    const before = await describeClient(poolId, id);

    const dry = await provision(path, { dryRun: true });
    expect(dry.code, dry.text).toBe(0);
    expect(dry.writes).toEqual([]);
    expect(await describeClient(poolId, id)).toEqual(before);
    const section = dry.text.slice(dry.text.indexOf('app client for realm'));
    expect(section.split('\n')).toEqual([
      `app client for realm "default" (${id}, "legacy-client"): would update (update-user-pool-client.json)`,
      '  ~ CallbackURLs',
      '      + https://shop.example.com/_auth/callback',
      '  ~ LogoutURLs',
      '      + https://shop.example.com/',
      '  ~ AllowedOAuthScopes',
      '      + profile',
      '  ~ ExplicitAuthFlows',
      '      + ALLOW_ADMIN_USER_PASSWORD_AUTH',
      '  ~ EnableTokenRevocation: false -> true',
      '  ~ PreventUserExistenceErrors: "LEGACY" -> "ENABLED"',
      'dry run: nothing written (2 changes planned)',
    ]);
    // The shipped update-user-pool.json names only the pool: an existing pool is left as it is.
    expect(dry.lines).toContain(`user pool ${poolId}: up to date`);

    const run = await provision(path);
    expect(run.code, run.text).toBe(0);
    expect(run.writes).toEqual(['CreateUserPoolDomain', 'UpdateUserPoolClient']);
    const after = await describeClient(poolId, id);
    expect(after.ClientName).toBe('legacy-client');
    expect(after.EnableTokenRevocation).toBe(true);
    // The shipped update template adds to the client's lists ({{current:…}}) rather than replacing them.
    expect(after.CallbackURLs).toEqual(['https://gw.example.com/_auth/callback', 'https://shop.example.com/_auth/callback', 'https://old.example.com/cb']);
    expect(after.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']);
    // UpdateUserPoolClient replaces everything: what the template does not name is sent as it was.
    expect(after.RefreshTokenRotation).toEqual({ Feature: 'ENABLED', RetryGracePeriodSeconds: 20 });
    expect((await provision(path)).writes).toEqual([]);

    // The user edits their copies: drop the old URL for a new storefront, longer tokens, a stricter policy.
    const templates = templatesWith('edited', {
      'update-user-pool-client.json': (t) => ({
        ...t,
        CallbackURLs: ['{{callbackUrls}}', 'https://new-store.example.com/_auth/callback'],
        AccessTokenValidity: 120,
      }),
      'update-user-pool.json': (t) => ({ ...t, Policies: { PasswordPolicy: { MinimumLength: 14, RequireNumbers: false } } }),
    });
    const edited = await provision(path, { templates, dryRun: true });
    expect(edited.code, edited.text).toBe(0);
    expect(edited.lines[0]).toBe(`templates: update-user-pool.json, update-user-pool-client.json from ${templates}; the rest are the defaults`);
    expect(edited.lines).toContain('  ~ Policies.PasswordPolicy.MinimumLength: 8 -> 14');
    expect(edited.lines).toContain('  ~ Policies.PasswordPolicy.RequireNumbers: true -> false');
    expect(edited.text).toContain(
      '  ~ CallbackURLs\n      + https://new-store.example.com/_auth/callback\n      - https://old.example.com/cb\n  ~ AccessTokenValidity: 1h -> 2h\n',
    );
    const applied = await provision(path, { templates });
    expect(applied.writes).toEqual(['UpdateUserPool', 'UpdateUserPoolClient']);
    const final = await describeClient(poolId, id);
    expect(final.CallbackURLs).toEqual([
      'https://gw.example.com/_auth/callback',
      'https://shop.example.com/_auth/callback',
      'https://new-store.example.com/_auth/callback',
    ]);
    expect([final.AccessTokenValidity, final.TokenValidityUnits?.AccessToken]).toEqual([120, 'minutes']);
    const pool = (await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    // Objects merge key by key: what the edited policy does not name stays as it was.
    expect(pool.Policies?.PasswordPolicy).toMatchObject({ MinimumLength: 14, RequireNumbers: false, RequireUppercase: true });
    expect((await provision(path, { templates })).text.split('\n').at(-1)).toBe('no changes');
  });

  it('refuses a template that changes what the gateway depends on, naming the field, and writes nothing', async () => {
    const poolId = await newPool('refusals');
    const path = writeConfig('refusals', { poolId, clientId: 'new-one', secret: 'configured-secret', passwordAuth: true });
    const client = 'create-user-pool-client.json';
    const cases: Array<[string, (t: Record<string, unknown>) => Record<string, unknown>, string]> = [
      [
        client,
        (t) => ({ ...t, AllowedOAuthFlows: ['implicit'] }),
        'AllowedOAuthFlows must include "code" (the gateway signs in with the authorization code flow)',
      ],
      [client, (t) => ({ ...t, AllowedOAuthFlowsUserPoolClient: false }), 'AllowedOAuthFlowsUserPoolClient must be true'],
      [client, (t) => ({ ...t, AllowedOAuthScopes: ['email', 'profile'] }), 'AllowedOAuthScopes must include "openid"'],
      [
        client,
        (t) => ({ ...t, CallbackURLs: ['https://gw.example.com/_auth/callback'] }),
        'CallbackURLs must include "https://shop.example.com/_auth/callback"',
      ],
      [client, (t) => ({ ...t, GenerateSecret: false }), 'GenerateSecret must be true (the config has a client secret for this client: a confidential client)'],
      [client, (t) => ({ ...t, ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] }), 'ExplicitAuthFlows must include "ALLOW_ADMIN_USER_PASSWORD_AUTH"'],
      [client, (t) => ({ ...t, EnableTokenRevocation: false }), 'EnableTokenRevocation must be true'],
      [client, (t) => ({ ...t, IdTokenValidity: 5 }), 'IdTokenValidity is 5m, shorter than session.revalidateAfter 10m'],
      [client, (t) => ({ ...t, UserPoolId: 'us-east-1_Other' }), 'UserPoolId must be'],
      [client, (t) => ({ ...t, CallbackUrls: [] }), 'CallbackUrls is not a member of this request (did you mean CallbackURLs?)'],
      [client, (t) => ({ ...t, ClientName: '{{clientNmae}}' }), 'ClientName uses an unknown placeholder {{clientNmae}}'],
      [
        client,
        (t) => ({ ...t, CallbackURLs: ['{{callbackUrls}}', '{{current:CallbackURLs}}'] }),
        'CallbackURLs[1] uses {{current:CallbackURLs}}, which only update templates have',
      ],
      [client, (t) => ({ ...t, ClientName: 'shop-{{env:SHOP_SUFFIX}}' }), 'ClientName uses {{env:SHOP_SUFFIX}} but SHOP_SUFFIX is not set in the environment'],
      ['update-user-pool.json', (t) => ({ ...t, MfaConfiguration: 'ON' }), 'MfaConfiguration belongs in set-user-pool-mfa-config.json'],
      ['update-user-pool.json', (t) => ({ ...t, UsernameAttributes: ['email'] }), 'UsernameAttributes is not a member of this request'],
      ['set-user-pool-mfa-config.json', (t) => ({ ...t, MfaConfiguration: 'SOMETIMES' }), 'MfaConfiguration must be "OFF", "ON" or "OPTIONAL"'],
    ];
    for (const [file, edit, message] of cases) {
      const templates = templatesWith(`refuse-${Math.random().toString(36).slice(2)}`, { [file]: edit });
      const r = await provision(path, { templates });
      expect(r.code, r.text).toBe(2);
      expect(r.text).toContain(`provision: refused ${join(templates, file)}: ${message}`);
      expect(r.writes).toEqual([]);
    }
    const broken = join(dir, 'templates-broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'create-user-pool-client.json'), '{ "ClientName": ');
    const unreadable = await provision(path, { templates: broken });
    expect(unreadable.code).toBe(2);
    expect(unreadable.text).toMatch(new RegExp(`^provision: ${join(broken, 'create-user-pool-client.json')} is not valid JSON: `));
    const google = await provision(writeConfig('google', { poolId, clientId: 'g', identityProvider: 'Google' }));
    expect(google.code).toBe(2);
    expect(google.text).toContain(
      "provision: refused create-identity-provider.json: ProviderType cannot create Google: it is Cognito's own Google provider type, not OIDC; put identity-provider-Google.json",
    );
    expect([unreadable.writes, google.writes]).toEqual([[], []]);
    expect((await sdk().send(new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 10 }))).UserPoolClients).toEqual([]);
  });

  it('registers five storefront callback URLs', async () => {
    const poolId = await newPool('storefronts');
    const stores = ['acme', 'globex', 'initech', 'umbrella', 'hooli'].map((s) => `${s}.shop.example.com`);
    const r = await provision(writeConfig('stores', { poolId, clientId: 'stores', hosts: stores }));
    expect(r.code, r.text).toBe(0);
    const id = /created app client (\S+)/.exec(r.text)![1]!;
    const c = await describeClient(poolId, id);
    expect(c.CallbackURLs).toEqual(['https://gw.example.com/_auth/callback', ...stores.map((s) => `https://${s}/_auth/callback`)]);
    expect(c.LogoutURLs).toEqual(['https://gw.example.com/', ...stores.map((s) => `https://${s}/`)]);
  });

  it('creates the federated provider the config names from its template, secrets from the environment', async () => {
    const poolId = await newPool('federated');
    const path = writeConfig('federated', { poolId, clientId: 'fed', identityProvider: 'Partner2' });
    const missing = await provision(path);
    expect(missing.code).toBe(2);
    expect(missing.text).toContain(
      'provision: refused create-identity-provider.json: ProviderDetails.client_id uses {{providerClientId}} but IDP_PARTNER2_CLIENT_ID is not set in the environment',
    );
    expect(missing.writes).toEqual([]);

    const idpEnv = env({
      IDP_PARTNER2_CLIENT_ID: 'partner-client',
      IDP_PARTNER2_CLIENT_SECRET: 'partner-secret-value',
      IDP_PARTNER2_ISSUER: 'https://idp.partner.example',
    });
    const dry = await provision(path, { env: idpEnv, dryRun: true });
    expect(dry.text).toContain(
      'identity provider Partner2: would create (create-identity-provider.json)\n  + ProviderName: "Partner2"\n  + ProviderType: "OIDC"',
    );
    expect(dry.lines).toContain('  + ProviderDetails.client_secret: (secret)');
    expect(dry.text).not.toContain('partner-secret-value');

    const r = await provision(path, { env: idpEnv });
    expect(r.code, r.text).toBe(0);
    expect(r.writes).toEqual(['CreateUserPoolDomain', 'CreateIdentityProvider', 'CreateUserPoolClient']);
    const idp = (await sdk().send(new DescribeIdentityProviderCommand({ UserPoolId: poolId, ProviderName: 'Partner2' }))).IdentityProvider!;
    expect(idp.ProviderType).toBe('OIDC');
    expect(idp.ProviderDetails).toMatchObject({
      client_id: 'partner-client',
      client_secret: 'partner-secret-value',
      oidc_issuer: 'https://idp.partner.example',
    });
    expect(idp.AttributeMapping).toEqual({ email: 'email', name: 'name', username: 'sub' });
    const id = /created app client (\S+)/.exec(r.text)![1]!;
    expect((await describeClient(poolId, id)).SupportedIdentityProviders).toEqual(['COGNITO', 'Partner2']);
    expect(r.text).not.toContain('partner-secret-value');

    const rotated = await provision(path, { env: { ...idpEnv, IDP_PARTNER2_CLIENT_SECRET: 'rotated-secret' } });
    expect(rotated.writes).toEqual(['UpdateIdentityProvider']);
    expect(rotated.lines).toContain('  ~ ProviderDetails.client_secret: (secret) -> (new secret)');
    expect((await provision(path, { env: { ...idpEnv, IDP_PARTNER2_CLIENT_SECRET: 'rotated-secret' } })).writes).toEqual([]);
  });

  it('uses identity-provider-<Name>.json from the templates folder for that provider (here SAML)', async () => {
    const poolId = await newPool('saml');
    const templates = join(dir, 'templates-saml');
    mkdirSync(templates, { recursive: true });
    writeFileSync(
      join(templates, 'identity-provider-CorpSaml.json'),
      JSON.stringify({
        UserPoolId: '{{userPoolId}}',
        ProviderName: '{{providerName}}',
        ProviderType: 'SAML',
        ProviderDetails: { MetadataURL: 'https://corp.example/saml/metadata' },
        AttributeMapping: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress' },
      }),
    );
    const r = await provision(writeConfig('saml', { poolId, clientId: 'saml', identityProvider: 'CorpSaml' }), { templates });
    expect(r.code, r.text).toBe(0);
    expect(r.lines[0]).toBe(`templates: identity-provider-CorpSaml.json from ${templates}; the rest are the defaults`);
    expect(r.lines).toContain(`identity provider CorpSaml: create (${join(templates, 'identity-provider-CorpSaml.json')})`);
    const idp = (await sdk().send(new DescribeIdentityProviderCommand({ UserPoolId: poolId, ProviderName: 'CorpSaml' }))).IdentityProvider!;
    expect([idp.ProviderType, idp.ProviderDetails?.MetadataURL]).toEqual(['SAML', 'https://corp.example/saml/metadata']);
  });

  it('passes MFA and password-policy settings through from the templates', async () => {
    const poolId = await newPool('mfa');
    const path = writeConfig('mfa', { poolId, clientId: 'mfa' });
    const templates = templatesWith('mfa', {
      'set-user-pool-mfa-config.json': (t) => ({ ...t, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }),
      'update-user-pool.json': (t) => ({
        ...t,
        Policies: {
          PasswordPolicy: {
            MinimumLength: 16,
            RequireUppercase: true,
            RequireLowercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: 3,
          },
        },
      }),
    });
    const r = await provision(path, { templates });
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain('MFA of user pool');
    expect(r.text).toContain('  ~ MfaConfiguration: "OFF" -> "OPTIONAL"\n  ~ SoftwareTokenMfaConfiguration.Enabled: false -> true');
    expect(r.writes).toEqual(['UpdateUserPool', 'CreateUserPoolDomain', 'SetUserPoolMfaConfig', 'CreateUserPoolClient']);
    const mfa = await sdk().send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    expect([mfa.MfaConfiguration, mfa.SoftwareTokenMfaConfiguration?.Enabled]).toEqual(['OPTIONAL', true]);
    const pool = (await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    expect(pool.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.Policies?.PasswordPolicy).toMatchObject({ MinimumLength: 16, RequireSymbols: true, TemporaryPasswordValidityDays: 3 });
    // The pool update keeps the MFA mode it does not manage, so a second run is quiet.
    const again = await provision(path, { templates });
    expect(again.writes).toEqual([]);
    expect(again.lines).toContain('MFA: up to date (OPTIONAL)');
  });

  it('one app client per realm: each apps[].idp gets its own, with its own URLs, scopes and provider', async () => {
    const config = loadConfig(`
publicUrl: https://gw.example.com
idp: { userPoolId: ${POOL}, issuer: ${emu.url}/${POOL}, clientId: buyers-client, scopes: [openid, email] }
session: { secrets: ["provision-test-cookie-secret-0123456789abcdef"] }
apps:
  - { id: buyers, name: Buyers, hosts: [shop.example.com], upstream: "http://127.0.0.1:9080", policies: [{ name: all, action: allow, include: [{ authenticated: true }] }] }
  - { id: merchants, name: Merchants, hosts: [merchants.example.com], upstream: "http://127.0.0.1:9081", cognito: { passwordAuth: true }, policies: [{ name: all, action: allow, include: [{ authenticated: true }] }] }
`);
    // apps[].idp comes with the realms work; until its schema lands, set it on the loaded config.
    const stores = ['a', 'b', 'c', 'd', 'e'].map((s) => `https://${s}.stores.example.com/_auth/callback`);
    Object.assign(config.apps[1]!, {
      idp: { clientId: 'merchant-client', clientName: 'merchants', callbackUrls: stores, scopes: ['openid', 'phone'], identityProvider: 'PartnerIdP' },
    });
    const specs = clientSpecsOf(config);
    expect(specs.map((s) => [s.realm, s.clientId, s.apps])).toEqual([
      ['default', 'buyers-client', ['buyers']],
      ['merchants', 'merchant-client', ['merchants']],
    ]);
    expect(specs[1]!.callbackUrls).toEqual(['https://gw.example.com/_auth/callback', 'https://merchants.example.com/_auth/callback', ...stores]);
    expect(specs[1]!.scopes).toEqual(['openid', 'phone']);
    expect(specs[1]!.explicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH']);
    expect(specs[0]!.explicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);

    // The realms' clients in a pool that has PartnerIdP (the demo pool's provider, copied into a new pool).
    const poolId = await newPool('realms');
    const idpEnv = env({ IDP_PARTNERIDP_CLIENT_ID: 'p', IDP_PARTNERIDP_CLIENT_SECRET: 's', IDP_PARTNERIDP_ISSUER: 'https://partner.example' });
    const lines: string[] = [];
    const admin = createProvisionAdmin({ region: 'us-east-1', userPoolId: poolId, endpoint: emu.url, credentials: CREDENTIALS });
    const templates = await loadTemplates(undefined, () => {});
    const first = await provisionPool({
      admin,
      specs: specs.map((s) => ({ ...s, userPoolId: poolId })),
      templates,
      createPool: false,
      dryRun: false,
      env: idpEnv,
      out: (l) => lines.push(l),
    });
    expect(first.code, lines.join('\n')).toBe(0);
    expect(Object.keys(first.clients)).toEqual(['default', 'merchants']);
    const merchant = await describeClient(poolId, first.clients.merchants!);
    expect(merchant.ClientName).toBe('merchants');
    expect(merchant.CallbackURLs).toHaveLength(7);
    expect(merchant.AllowedOAuthScopes).toEqual(['openid', 'phone']);
    expect(merchant.SupportedIdentityProviders).toEqual(['COGNITO', 'PartnerIdP']);
    const buyer = await describeClient(poolId, first.clients.default!);
    expect(buyer.ClientName).toBe('cognito-gateway');
    expect(buyer.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(buyer.CallbackURLs).toEqual(['https://gw.example.com/_auth/callback', 'https://shop.example.com/_auth/callback']);
    lines.length = 0;
    const second = await provisionPool({
      admin,
      specs: specs.map((s) => ({ ...s, userPoolId: poolId })),
      templates,
      createPool: false,
      dryRun: false,
      env: idpEnv,
      out: (l) => lines.push(l),
    });
    expect(second.changes).toBe(0);
    expect(lines.at(-1)).toBe('no changes');
  });

  it('says what is missing when the pool does not exist', async () => {
    const r = await provision(writeConfig('nopool', { poolId: 'us-east-1_Missing1', clientId: 'x' }));
    expect(r.code).toBe(1);
    expect(r.text).toBe(
      'provision: user pool us-east-1_Missing1 does not exist (idp.userPoolId); run with --create-pool to create one from create-user-pool.json',
    );
  });

  it('ships templates that name every protected field (the defaults are accepted as they are)', () => {
    const copied = join(dir, 'defaults-copy');
    cpSync(DEFAULT_TEMPLATES_DIR, copied, { recursive: true });
    for (const f of ['create-user-pool-client.json', 'update-user-pool-client.json']) {
      const t = JSON.parse(readFileSync(join(copied, f), 'utf8')) as Record<string, unknown>;
      expect(t).toMatchObject({
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        EnableTokenRevocation: true,
      });
      expect(t.CallbackURLs).toContain('{{callbackUrls}}');
      expect(t.LogoutURLs).toContain('{{logoutUrls}}');
    }
  });
});
