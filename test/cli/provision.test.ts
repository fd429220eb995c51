/**
 * `cognito-gateway provision` against the emulator: --dry-run prints the diff and writes nothing; a
 * run applies every setting the gateway needs, keeps the client's own, and a second run changes
 * nothing; token lifetimes are raised to the session settings; template overrides apply unless they
 * break the gateway (naming the field); a missing client is created with a secret; --create-pool
 * creates the pool and domain, then the client, and a second run reuses the pool.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserPoolClientCommand, DescribeUserPoolClientCommand, ListUserPoolClientsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor';
import { runProvision, type ProvisionOptions } from '../../src/cli/provision';
import { createCognitoAdmin } from '../../src/cognito/client';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { countingFetch, POOL, sdkClient } from '../cognito/helpers';

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

function writeConfig(name: string, clientId: string, secret?: string, identityProvider = 'PartnerIdP'): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `
publicUrl: https://gw.example.com
idp:
  userPoolId: ${POOL}
  issuer: ${emu.url}/${POOL}
  clientId: ${clientId}
${secret ? `  clientSecret: ${secret}\n` : ''}  scopes: [openid, email]
session:
  secrets: ["provision-test-cookie-secret-0123456789abcdef"]
  absoluteLifetime: 12h
  revalidateAfter: 10m
apps:
  - id: admin
    name: Admin
    hosts: [admin.example.com]
    upstream: http://127.0.0.1:9080
    login: { ${identityProvider ? `identityProvider: ${identityProvider}, ` : ''}extraScopes: [profile] }
    policies: [{ name: all, action: allow, include: [{ authenticated: true }] }]
  - id: local
    name: Local
    hosts: ["localhost:8787"]
    upstream: http://127.0.0.1:9080
    policies: [{ name: all, action: allow, include: [{ authenticated: true }] }]
`,
  );
  return path;
}

const env = () => ({ COGNITO_ENDPOINT: emu.url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' });

async function provision(path: string, o: Partial<ProvisionOptions> = {}) {
  const lines: string[] = [];
  const counter = countingFetch();
  const code = await runProvision(path, {
    dryRun: false,
    env: env(),
    out: (l) => lines.push(l),
    adminFactory: (opts) => createCognitoAdmin({ ...opts, fetch: counter.fetch }),
    ...o,
  });
  return { code, text: lines.join('\n'), writes: counter.calls.filter((c) => /^(Create|Update)/.test(c)) };
}

const describeClient = async (id: string) => (await sdkClient(emu).send(new DescribeUserPoolClientCommand({ UserPoolId: POOL, ClientId: id }))).UserPoolClient!;

/** An existing client that has some of what the gateway needs, and settings of its own to keep. */
async function existingClient(): Promise<{ id: string; secret: string }> {
  const out = await sdkClient(emu).send(
    new CreateUserPoolClientCommand({
      UserPoolId: POOL,
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
      PreventUserExistenceErrors: 'ENABLED',
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 20 },
    }),
  );
  return { id: out.UserPoolClient!.ClientId!, secret: out.UserPoolClient!.ClientSecret! };
}

describe('provision', () => {
  it('--dry-run prints the diff and writes nothing', async () => {
    const c = await existingClient();
    const before = await describeClient(c.id);
    const r = await provision(writeConfig('dry', c.id, c.secret), { dryRun: true });
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain(`would update app client ${c.id}`);
    expect(r.text).toMatch(/~ CallbackURLs\n(\s+\+ .*\n)*\s+\+ https:\/\/admin\.example\.com\/_auth\/callback/);
    expect(r.text).toContain('+ http://localhost:8787/_auth/callback');
    expect(r.text).toContain('+ https://admin.example.com/');
    expect(r.text).toMatch(/~ AllowedOAuthScopes\n\s+\+ profile/);
    expect(r.text).toMatch(/~ SupportedIdentityProviders\n\s+\+ PartnerIdP/);
    expect(r.text).toContain('~ EnableTokenRevocation: false -> true');
    expect(r.text).not.toContain('old.example.com'); // kept, so not in the diff
    expect(r.text).toContain('dry run: nothing written');
    expect(r.writes).toEqual([]);
    expect(await describeClient(c.id)).toEqual(before);
  });

  it("applies every needed setting, keeps the client's own, and re-applies with no change", async () => {
    const c = await existingClient();
    const path = writeConfig('apply', c.id, c.secret);
    const first = await provision(path);
    expect(first.code, first.text).toBe(0);
    expect(first.writes).toEqual(['UpdateUserPoolClient']);
    expect(first.text).toContain(`updated app client ${c.id}`);

    const after = await describeClient(c.id);
    expect(after.CallbackURLs).toEqual(
      expect.arrayContaining([
        'https://gw.example.com/_auth/callback',
        'https://admin.example.com/_auth/callback',
        'http://localhost:8787/_auth/callback',
        'https://old.example.com/cb',
      ]),
    );
    expect(after.EnableTokenRevocation).toBe(true);
    expect(after.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect(after.SupportedIdentityProviders).toEqual(expect.arrayContaining(['COGNITO', 'PartnerIdP']));
    // UpdateUserPoolClient replaces everything: the fields provision does not manage must survive.
    expect(after.RefreshTokenRotation).toEqual({ Feature: 'ENABLED', RetryGracePeriodSeconds: 20 });
    expect(after.PreventUserExistenceErrors).toBe('ENABLED');
    expect(after.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(after.ClientName).toBe('legacy-client');

    const second = await provision(path);
    expect(second.code).toBe(0);
    expect(second.text).toContain(`no change: app client ${c.id}`);
    expect(second.writes).toEqual([]);

    // And doctor agrees the client now fits the config.
    const lines: string[] = [];
    const code = await runDoctor(path, { env: env(), out: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
  });

  it('raises token lifetimes to the session settings', async () => {
    const out = await sdkClient(emu).send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL,
        ClientName: 'short-lived',
        AccessTokenValidity: 5,
        IdTokenValidity: 5,
        RefreshTokenValidity: 2,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'hours' },
      }),
    );
    const id = out.UserPoolClient!.ClientId!;
    const r = await provision(writeConfig('lifetimes', id));
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain('~ AccessTokenValidity: 5m -> 10m');
    expect(r.text).toContain('~ RefreshTokenValidity: 2h -> 12h');
    const after = await describeClient(id);
    expect([after.AccessTokenValidity, after.TokenValidityUnits?.AccessToken]).toEqual([10, 'minutes']);
    expect([after.RefreshTokenValidity, after.TokenValidityUnits?.RefreshToken]).toEqual([12, 'hours']);
    expect((await provision(writeConfig('lifetimes', id))).writes).toEqual([]);
  });

  it('applies template overrides and refuses ones that break the gateway, naming the field', async () => {
    const c = await existingClient();
    const path = writeConfig('template', c.id, c.secret);
    const ok = join(dir, 'ok-template.json');
    writeFileSync(
      ok,
      JSON.stringify({
        ClientName: 'from-template',
        AccessTokenValidity: 2,
        TokenValidityUnits: { AccessToken: 'hours' },
        PreventUserExistenceErrors: 'LEGACY',
      }),
    );
    const r = await provision(path, { template: ok });
    expect(r.code, r.text).toBe(0);
    const after = await describeClient(c.id);
    expect(after.ClientName).toBe('from-template');
    expect([after.AccessTokenValidity, after.TokenValidityUnits?.AccessToken]).toEqual([2, 'hours']);
    expect(after.PreventUserExistenceErrors).toBe('LEGACY');

    const refusals: Array<[object, string]> = [
      [{ CallbackURLs: ['https://gw.example.com/_auth/callback'] }, 'template field CallbackURLs: lacks https://admin.example.com/_auth/callback'],
      [{ AllowedOAuthFlows: ['implicit'] }, 'template field AllowedOAuthFlows: lacks code'],
      [{ AllowedOAuthScopes: ['email', 'profile'] }, 'template field AllowedOAuthScopes: lacks openid'],
      [{ EnableTokenRevocation: false }, 'template field EnableTokenRevocation'],
      [{ AllowedOAuthFlowsUserPoolClient: false }, 'template field AllowedOAuthFlowsUserPoolClient'],
      [{ IdTokenValidity: 5, TokenValidityUnits: { IdToken: 'minutes' } }, 'template field IdTokenValidity: 5m is shorter than session.revalidateAfter 10m'],
      [{ UserPoolId: 'us-east-1_Other' }, 'template field UserPoolId'],
      [{ CallbackUrls: [] }, 'template field CallbackUrls: is not a CreateUserPoolClient/UpdateUserPoolClient field'],
    ];
    for (const [template, message] of refusals) {
      const file = join(dir, 'bad-template.json');
      writeFileSync(file, JSON.stringify(template));
      const bad = await provision(path, { template: file });
      expect(bad.code, JSON.stringify(template)).toBe(2);
      expect(bad.text).toContain(`refused ${message}`);
      expect(bad.writes).toEqual([]);
    }
  });

  it('creates a confidential client when the configured one does not exist', async () => {
    const r = await provision(writeConfig('create', 'not-created-yet'));
    expect(r.code, r.text).toBe(0);
    expect(r.writes).toEqual(['CreateUserPoolClient']);
    const id = /created app client (\S+) \(with a secret\)/.exec(r.text)?.[1];
    expect(id).toMatch(/^[a-z0-9]{26}$/); // Cognito's client id shape
    const created = await describeClient(id!);
    expect(created.ClientId).toBe(id);
    expect(created.ClientSecret).toBeTruthy();
    expect(created.AllowedOAuthFlows).toEqual(['code']);
    expect(created.CallbackURLs).toEqual(expect.arrayContaining(['https://gw.example.com/_auth/callback', 'https://admin.example.com/_auth/callback']));
    expect(r.text).not.toContain(created.ClientSecret!); // the secret is not printed
  });

  it('--create-pool creates a pool and a domain, then the client; a second run reuses the pool', async () => {
    const path = writeConfig('pool', 'gateway-client', undefined, ''); // the new pool has no PartnerIdP
    const dry = await provision(path, { createPool: true, dryRun: true, domain: 'gw-test-pool' });
    expect(dry.code, dry.text).toBe(0);
    expect(dry.text).toContain('would create user pool "cognito-gateway" and domain gw-test-pool');
    expect(dry.writes).toEqual([]);

    const r = await provision(path, { createPool: true, domain: 'gw-test-pool' });
    expect(r.code, r.text).toBe(0);
    expect(r.writes).toEqual(['CreateUserPool', 'CreateUserPoolDomain', 'CreateUserPoolClient']);
    const poolId = /created user pool (\S+)/.exec(r.text)?.[1];
    expect(poolId).toMatch(/^us-east-1_/);
    const clients = await sdkClient(emu).send(new ListUserPoolClientsCommand({ UserPoolId: poolId!, MaxResults: 10 }));
    expect(clients.UserPoolClients?.length).toBe(1);

    const again = await provision(path, { createPool: true, domain: 'gw-test-pool' });
    expect(again.text).toContain(`user pool ${poolId} with domain gw-test-pool exists: using it`);
    expect(again.writes).not.toContain('CreateUserPool');
  });
});
