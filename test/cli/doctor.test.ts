/**
 * `cognito-gateway doctor` against the emulator: exit 0 with every check ok on a correct config, and
 * for each misconfiguration of the app client or pool (callback URL, code flow, scopes incl. an app's
 * extraScopes, secret missing or wrong, identity provider, short token lifetimes, revocation off, no
 * such client, issuer differing from discovery, unreachable discovery/JWKS, a missing IAM permission)
 * a finding that names it and the fix; exit 2 when the config cannot be read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserPoolClientCommand, type CreateUserPoolClientCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor';
import { createCognitoAdmin } from '../../src/cognito/client';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { POOL, sdkClient } from '../cognito/helpers';

let emu: RunningEmulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'cgw-doctor-'));
});
afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Opts {
  clientId?: string;
  secret?: string | null;
  issuer?: string;
  identityProvider?: string;
  extraScopes?: string[];
  absoluteLifetime?: string;
  /** Turns on password sign-in for the app, with this idp.passwordAuthFlow. */
  passwordAuthFlow?: 'admin' | 'user';
}

function writeConfig(name: string, o: Opts = {}): string {
  const secret = o.secret === undefined ? 'demo-gateway-secret' : o.secret;
  const login =
    o.identityProvider || o.extraScopes
      ? `\n    login: { ${[o.identityProvider ? `identityProvider: ${o.identityProvider}` : '', o.extraScopes ? `extraScopes: [${o.extraScopes.join(', ')}]` : ''].filter(Boolean).join(', ')} }`
      : '';
  const text = `
idp:
  type: cognito
  userPoolId: ${POOL}
  issuer: ${o.issuer ?? `${emu.url}/${POOL}`}
  clientId: ${o.clientId ?? 'demo-gateway'}
${secret ? `  clientSecret: ${secret}\n` : ''}${o.passwordAuthFlow ? `  passwordAuthFlow: ${o.passwordAuthFlow}\n` : ''}  scopes: [openid, email, profile]
session:
  secrets: ["doctor-test-cookie-secret-0123456789abcdef"]
  absoluteLifetime: ${o.absoluteLifetime ?? '12h'}
  revalidateAfter: 5m
apps:
  - id: demo
    name: Demo
    hosts: ["127.0.0.1:8787", "localhost:8787"]
    upstream: http://127.0.0.1:9080${login}${o.passwordAuthFlow ? '\n    cognito: { passwordAuth: true }' : ''}
    policies:
      - name: all
        action: allow
        include: [{ authenticated: true }]
`;
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

const env = () => ({ COGNITO_ENDPOINT: emu.url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' });

async function doctor(
  path: string,
  extra: Partial<Parameters<typeof runDoctor>[1]> = {},
): Promise<{ code: number; text: string; row: (check: string) => string }> {
  const lines: string[] = [];
  const code = await runDoctor(path, { env: env(), out: (l) => lines.push(l), ...extra });
  const text = lines.join('\n');
  return { code, text, row: (check) => lines.find((l) => l.startsWith(`${check} `) || l.startsWith(`${check}|`)) ?? '' };
}

/** A broken copy of demo-gateway's settings, created with the SDK. */
async function brokenClient(patch: Partial<CreateUserPoolClientCommandInput>): Promise<{ id: string; secret?: string }> {
  const input: CreateUserPoolClientCommandInput = {
    UserPoolId: POOL,
    ClientName: 'broken',
    GenerateSecret: true,
    CallbackURLs: ['http://127.0.0.1:8787/_auth/callback', 'http://localhost:8787/_auth/callback'],
    LogoutURLs: ['http://127.0.0.1:8787/', 'http://localhost:8787/'],
    AllowedOAuthFlows: ['code'],
    AllowedOAuthFlowsUserPoolClient: true,
    AllowedOAuthScopes: ['openid', 'email', 'profile'],
    SupportedIdentityProviders: ['COGNITO', 'PartnerIdP'],
    ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    EnableTokenRevocation: true,
    ...patch,
  };
  const out = await sdkClient(emu).send(new CreateUserPoolClientCommand(input));
  return { id: out.UserPoolClient!.ClientId!, ...(out.UserPoolClient!.ClientSecret ? { secret: out.UserPoolClient!.ClientSecret } : {}) };
}

describe('doctor', () => {
  it('passes on a correct config (exit 0, every check ok)', async () => {
    const r = await doctor(writeConfig('good'));
    expect(r.code, r.text).toBe(0);
    for (const check of [
      'discovery',
      'issuer',
      'JWKS',
      'app client',
      'callback URLs',
      'sign-out URLs',
      'authorization code flow',
      'OAuth scopes',
      'client secret',
      'identity providers',
      'token validity',
      'refresh token validity',
      'token revocation',
    ]) {
      expect(r.row(check), check).toMatch(/\| OK /);
    }
    expect(r.text).toContain('doctor: all checks passed');
    expect(r.text).toMatch(/^CHECK\s+\| RESULT\s+\| FIX/);
  });

  it('names a missing callback URL', async () => {
    const c = await brokenClient({ CallbackURLs: ['http://127.0.0.1:8787/_auth/callback'] });
    const r = await doctor(writeConfig('no-callback', { clientId: c.id, secret: c.secret }));
    expect(r.code).toBe(1);
    expect(r.row('callback URLs')).toMatch(/FAIL missing callback URL http:\/\/localhost:8787\/_auth\/callback/);
    expect(r.row('callback URLs')).toContain('add http://localhost:8787/_auth/callback');
    expect(r.text).toContain('1 check failed: callback URLs');
  });

  it('names a missing code flow (implicit only)', async () => {
    const c = await brokenClient({ AllowedOAuthFlows: ['implicit'] });
    const r = await doctor(writeConfig('no-code', { clientId: c.id, secret: c.secret }));
    expect(r.code).toBe(1);
    expect(r.row('authorization code flow')).toMatch(/FAIL .*code flow missing/);
  });

  it("names missing scopes, including an app's extraScopes", async () => {
    const c = await brokenClient({ AllowedOAuthScopes: ['openid', 'email'] });
    const r = await doctor(writeConfig('no-scope', { clientId: c.id, secret: c.secret, extraScopes: ['phone'] }));
    expect(r.code).toBe(1);
    expect(r.row('OAuth scopes')).toMatch(/FAIL missing scope profile, phone/);
  });

  it('names a secret the config has but the client lacks, and a wrong secret', async () => {
    const c = await brokenClient({ GenerateSecret: false });
    const r = await doctor(writeConfig('no-secret', { clientId: c.id, secret: 'config-has-a-secret' }));
    expect(r.code).toBe(1);
    expect(r.row('client secret')).toMatch(/FAIL config has a client secret but the app client has none/);
    const wrong = await doctor(writeConfig('wrong-secret', { secret: 'not-the-demo-secret' }));
    expect(wrong.row('client secret')).toMatch(/FAIL .*does not match/);
  });

  it('names an identity provider an app asks for that the client does not support', async () => {
    const c = await brokenClient({ SupportedIdentityProviders: ['COGNITO'] });
    const r = await doctor(writeConfig('no-idp', { clientId: c.id, secret: c.secret, identityProvider: 'PartnerIdP' }));
    expect(r.code).toBe(1);
    expect(r.row('identity providers')).toMatch(/FAIL missing identity provider PartnerIdP/);
  });

  it('names short token lifetimes and disabled revocation', async () => {
    const c = await brokenClient({
      RefreshTokenValidity: 1,
      TokenValidityUnits: { RefreshToken: 'hours', AccessToken: 'minutes', IdToken: 'minutes' },
      AccessTokenValidity: 5,
      IdTokenValidity: 5,
      EnableTokenRevocation: false,
    });
    const r = await doctor(writeConfig('short', { clientId: c.id, secret: c.secret, absoluteLifetime: '12h' }));
    expect(r.code).toBe(1);
    expect(r.row('refresh token validity')).toMatch(/FAIL refresh token validity 1h shorter than session.absoluteLifetime 12h/);
    expect(r.row('token revocation')).toMatch(/FAIL EnableTokenRevocation is false/);
    expect(r.row('token validity')).toMatch(/\| OK /); // 5m access/ID tokens equal revalidateAfter 5m
  });

  it('names an app client that does not exist', async () => {
    const r = await doctor(writeConfig('missing-client', { clientId: 'does-not-exist' }));
    expect(r.code).toBe(1);
    expect(r.row('app client')).toMatch(/FAIL app client does-not-exist or pool .* does not exist/);
  });

  it('reports an issuer that differs from discovery', async () => {
    // Same server reached by another host name: discovery reports the 127.0.0.1 issuer.
    const r = await doctor(writeConfig('issuer', { issuer: `${emu.url.replace('127.0.0.1', 'localhost')}/${POOL}` }));
    expect(r.code).toBe(1);
    expect(r.row('issuer')).toMatch(/FAIL discovery reports issuer ".*127\.0\.0\.1.*", config expects .*localhost/);
  });

  it('reports unreachable discovery and JWKS', async () => {
    emu.setJwksAvailable(POOL, false);
    try {
      const r = await doctor(writeConfig('jwks-down'));
      expect(r.code).toBe(1);
      expect(r.row('JWKS')).toMatch(/FAIL .*HTTP 503/);
    } finally {
      emu.setJwksAvailable(POOL, true);
    }
  });

  it('names the missing IAM permission when Cognito answers AccessDeniedException', async () => {
    // The admin client's HTTP is routed to the emulator, except DescribeUserPoolClient, which gets the
    // answer AWS gives a role without the permission.
    const denyingFetch: typeof fetch = async (input, init) => {
      const target = new Headers(init?.headers).get('x-amz-target') ?? '';
      if (target.endsWith('.DescribeUserPoolClient') || target.endsWith('.AdminGetUser')) {
        const action = target.split('.').pop();
        return new Response(JSON.stringify({ __type: 'AccessDeniedException', message: `not authorized to perform: cognito-idp:${action}` }), {
          status: 400,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
        });
      }
      return fetch(input, init);
    };
    const r = await doctor(writeConfig('iam'), { adminFactory: (o) => createCognitoAdmin({ ...o, fetch: denyingFetch }) });
    expect(r.code).toBe(1);
    expect(r.row('app client')).toContain('FAIL missing IAM permission cognito-idp:DescribeUserPoolClient');
    // Look-ups are not enabled in this config: a missing AdminGetUser is a warning, not a failure.
    expect(r.row('IAM: user look-ups')).toContain('WARN missing IAM permission cognito-idp:AdminGetUser');
    expect(r.row('IAM: sign-out everywhere')).toMatch(/\| OK .*AdminUserGlobalSignOut granted/);
  });

  it('exits 2 when the config cannot be read', async () => {
    const lines: string[] = [];
    expect(await runDoctor(join(dir, 'nope.yaml'), { env: env(), out: (l) => lines.push(l) })).toBe(2);
    expect(lines.join('\n')).toContain('cannot read config file');
  });
});

describe('doctor and idp.passwordAuthFlow', () => {
  it('user: the client must allow ALLOW_USER_PASSWORD_AUTH, and no IAM permission is probed', async () => {
    const userOnly = await doctor(
      writeConfig('user-flow-ok', { clientId: 'demo-user-password', secret: 'demo-user-password-secret', passwordAuthFlow: 'user' }),
    );
    expect(userOnly.row('auth flows')).toContain('ExplicitAuthFlows include ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_PASSWORD_AUTH');
    expect(userOnly.row('IAM: password sign-in')).toContain('idp.passwordAuthFlow user: InitiateAuth is unsigned and needs no IAM permission');
    const adminOnly = await doctor(writeConfig('user-flow-admin-client', { passwordAuthFlow: 'user' }));
    expect(adminOnly.row('auth flows')).toContain('ExplicitAuthFlows lack ALLOW_USER_PASSWORD_AUTH');
    expect(adminOnly.code).toBe(1);
  });
});
