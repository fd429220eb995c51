/**
 * checkConfig: the checks beyond the schema (assertion keys, COGNITO_ENDPOINT, admin features that
 * need a pool), and the admin settings that src/cognito derives from the validated config. Building a
 * gateway (createGateway, also the Worker's build path) runs the same function.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchForwarder } from '../../src/proxy';
import { checkConfig } from '../../src/config/check';
import { ConfigError, loadConfig } from '../../src/config/load';
import { cognitoAdminSettings } from '../../src/cognito/config';
import { createGateway } from '../../src/gateway/app';
import { createMemoryLogger } from '../../src/log';
import { createWorker } from '../../src/runtime/worker';
import { generateAssertionKey } from '../../src/tokens';

const SECRET = 'check-test-cookie-secret-0123456789abcdef';
const minimal = (extra = '', app = '') => `
idp:
  userPoolId: eu-west-1_AbC123xyz
  clientId: client1
${extra}
apps:
  - id: app
    upstream: http://127.0.0.1:9
${app}    policies:
      - name: signed-in
        action: allow
        include: [{ authenticated: true }]
`;

async function issues(config: ReturnType<typeof loadConfig>, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await checkConfig(config, env, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message.split('\n')[0]).toBe('test.yaml is invalid:');
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

const publicOf = (jwk: string) => {
  const { d: _d, ...pub } = JSON.parse(jwk) as Record<string, string>;
  return JSON.stringify(pub);
};

afterEach(() => vi.restoreAllMocks());

describe('checkConfig', () => {
  it('accepts a private EC P-256 key and names every bad one with its index', async () => {
    const good = await generateAssertionKey();
    expect(await issues(loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_ASSERTION_KEYS: good }))).toEqual([]);
    const config = loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_ASSERTION_KEYS: JSON.stringify([good, publicOf(good), 'banana']) });
    expect(await issues(config)).toEqual([
      expect.stringMatching(
        /^assertion\.keys\[1\]: is a public key; the private JWK \(with "d"\) is needed to sign; make one with `npx cognito-gateway gen-key`/,
      ),
      expect.stringMatching(/^assertion\.keys\[2\]: is neither a JWK \(JSON object\) nor a PKCS8 PEM/),
    ]);
  });

  it('takes a JSON array of JWK objects in GATEWAY_ASSERTION_KEYS', async () => {
    const a = await generateAssertionKey();
    const b = await generateAssertionKey();
    const config = loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_ASSERTION_KEYS: `[${a}, ${b}]` });
    expect(config.assertion.keys).toEqual([JSON.stringify(JSON.parse(a)), JSON.stringify(JSON.parse(b))]);
    expect(await issues(config)).toEqual([]);
  });

  it('refuses a COGNITO_ENDPOINT that is not an http(s) URL, and accepts the emulator', async () => {
    const config = loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: SECRET });
    expect(await issues(config, { COGNITO_ENDPOINT: 'banana' })).toEqual([
      'COGNITO_ENDPOINT: "banana" is not an http(s) URL; write e.g. http://127.0.0.1:9229 (the emulator), or unset it to use AWS',
    ]);
    expect(await issues(config, { COGNITO_ENDPOINT: 'ftp://x' })).toHaveLength(1);
    expect(await issues(config, { COGNITO_ENDPOINT: 'http://127.0.0.1:9229' })).toEqual([]);
  });

  it('refuses admin-API features where there is no Cognito pool', async () => {
    const oidc = (s: string) => s.replace('userPoolId: eu-west-1_AbC123xyz', 'type: oidc\n  issuer: https://idp.example.com');
    const config = loadConfig(oidc(minimal('cognitoAdmin: { signOutEverywhere: true }', '    cognito: { userLookup: true, passwordAuth: true }\n')), {
      GATEWAY_COOKIE_SECRETS: SECRET,
    });
    expect(await issues(config)).toEqual([
      'apps[0].cognito.userLookup: needs idp.type cognito (the Cognito admin API); or set it to false',
      'apps[0].cognito.passwordAuth: needs idp.type cognito (the Cognito admin API); or set it to false',
      'cognitoAdmin.signOutEverywhere: needs idp.type cognito (the Cognito admin API); or set it to false',
    ]);
    // A Cognito pool named only by the issuer (the emulator's form) is a pool.
    const byIssuer = minimal('', '    cognito: { userLookup: true }\n').replace(
      'userPoolId: eu-west-1_AbC123xyz',
      'issuer: http://127.0.0.1:9229/us-east-1_DemoPool1',
    );
    expect(await issues(loadConfig(byIssuer, { GATEWAY_COOKIE_SECRETS: SECRET }))).toEqual([]);
  });

  it('runs when a gateway is built: createGateway and the Worker build refuse what check refuses', async () => {
    const key = await generateAssertionKey();
    const env = { GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_ASSERTION_KEYS: publicOf(key) };
    const config = loadConfig(minimal(), env);
    const deps = {
      forward: fetchForwarder(fetch, { keepContentEncoding: false }),
      idpFetch: fetch,
      peerAddress: () => undefined,
      rawTarget: () => '/',
      logger: createMemoryLogger(),
    };
    await expect(createGateway(config, deps)).rejects.toThrow(/assertion\.keys\[0\]: is a public key/);
    await expect(createGateway(loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: SECRET }), { ...deps, env: { COGNITO_ENDPOINT: 'banana' } })).rejects.toThrow(
      /COGNITO_ENDPOINT: "banana" is not an http\(s\) URL/,
    );

    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const res = await createWorker().fetch(new Request('https://gw.example/x', { headers: { accept: 'application/json' } }), {
      GATEWAY_CONFIG: minimal(),
      ...env,
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toBe('gateway_misconfigured');
    const refused = errors.map((l) => JSON.parse(l) as { msg: string; error?: string }).find((l) => l.msg === 'gateway config refused');
    expect(refused?.error).toMatch(/assertion\.keys\[0\]: is a public key/);
  });
});

describe('cognitoAdminSettings (typed reads of the validated config)', () => {
  it('fills the documented defaults', () => {
    const s = cognitoAdminSettings(loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: SECRET }));
    expect(s).toEqual({
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbC123xyz',
      timeoutMs: 3000,
      maxAttempts: 3,
      userCacheRetentionSeconds: 300,
      userCacheMaxEntries: 10_000,
      signOutEverywhere: false,
      passwordAuth: { perUser: { max: 5, windowSeconds: 900 }, perAddress: { max: 20, windowSeconds: 900 } },
      userLookupApps: [],
      passwordAuthApps: [],
    });
  });

  it('takes every key from the config, and COGNITO_ENDPOINT over cognitoAdmin.endpoint', () => {
    const extra = `cognitoAdmin:
  region: us-west-2
  endpoint: https://cognito.internal
  timeout: 2s
  maxAttempts: 5
  userCacheRetention: 1m
  userCacheMaxEntries: 50
  signOutEverywhere: true
  passwordAuth: { perUser: { max: 3, window: 5m }, perAddress: { max: 9, window: 1h } }`;
    const config = loadConfig(minimal(extra, '    cognito: { userLookup: true, passwordAuth: true }\n'), { GATEWAY_COOKIE_SECRETS: SECRET });
    expect(cognitoAdminSettings(config)).toMatchObject({
      region: 'us-west-2',
      endpoint: 'https://cognito.internal',
      timeoutMs: 2000,
      maxAttempts: 5,
      userCacheRetentionSeconds: 60,
      userCacheMaxEntries: 50,
      signOutEverywhere: true,
      passwordAuth: { perUser: { max: 3, windowSeconds: 300 }, perAddress: { max: 9, windowSeconds: 3600 } },
      userLookupApps: ['app'],
      passwordAuthApps: ['app'],
    });
    expect(cognitoAdminSettings(config, { COGNITO_ENDPOINT: 'http://127.0.0.1:9229' }).endpoint).toBe('http://127.0.0.1:9229');
  });
});
