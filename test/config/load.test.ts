/**
 * loadConfig: the demo config and the documented Cognito example load; secrets come from the
 * environment (with a warning when the file carries them); a missing cookie secret is named with how
 * to make one; ${VAR} and ${VAR:-default} interpolate and a missing variable is reported; each invalid
 * input gets its path and message, exactly as `check` and `serve` print them (a misspelled policy
 * key included); non-YAML is refused; an app's headers override is validated after merging.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load';

const DEMO = readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8');
const EXAMPLE = readFileSync(new URL('../../config/cognito.example.yaml', import.meta.url), 'utf8');
const SECRET = 'x'.repeat(40);

function issues(text: string, env: Record<string, string> = {}) {
  try {
    loadConfig(text, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('config was accepted');
}

const minimal = (extra = '') => `
idp:
  userPoolId: eu-west-1_AbC123xyz
  clientId: client1
apps:
  - id: app
    upstream: http://127.0.0.1:9000
    policies:
      - name: everyone-signed-in
        action: allow
        include: [{ authenticated: true }]
${extra}`;

describe('loadConfig', () => {
  it('loads the demo config and the documented Cognito example', () => {
    const demo = loadConfig(DEMO, {});
    expect(demo.issuers).toEqual(['http://127.0.0.1:9229/us-east-1_DemoPool1']);
    expect(demo.apps.map((a) => a.id)).toEqual(['site', 'portal', 'broker', 'spa-api', 'partners', 'demo']);
    expect(demo.session.revalidateAfter).toBe(300);
    const example = loadConfig(EXAMPLE, { GATEWAY_COOKIE_SECRETS: SECRET });
    expect(example.issuers.slice(0, 2)).toEqual([
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
    ]);
    expect(example.warnings).toEqual([]);
  });

  it('takes secrets from the environment, and warns when the file carries them', () => {
    const c = loadConfig(minimal(), { GATEWAY_COOKIE_SECRETS: `${SECRET}1, ${SECRET}2`, GATEWAY_CLIENT_SECRET: 's3cret' });
    expect(c.session.secrets).toEqual([`${SECRET}1`, `${SECRET}2`]);
    expect(c.idp.clientSecret).toBe('s3cret');
    expect(c.warnings).toEqual([]);
    expect(loadConfig(DEMO, {}).warnings.join('\n')).toMatch(/GATEWAY_CLIENT_SECRET[\s\S]*GATEWAY_COOKIE_SECRETS/);
  });

  it('names a missing cookie secret and how to make one', () => {
    expect(issues(minimal())).toEqual([expect.stringMatching(/^session\.secrets: .*GATEWAY_COOKIE_SECRETS.*openssl rand/)]);
  });

  it('interpolates ${VAR} and ${VAR:-default} in values, and reports a missing variable', () => {
    const text = minimal().replace('http://127.0.0.1:9000', '${UPSTREAM:-http://127.0.0.1:9001}').replace('client1', '${CLIENT_ID}');
    const c = loadConfig(text, { CLIENT_ID: 'from-env', GATEWAY_COOKIE_SECRETS: SECRET });
    expect(c.idp.clientId).toBe('from-env');
    expect(c.apps[0]!.upstream).toBe('http://127.0.0.1:9001');
    expect(issues(text, { GATEWAY_COOKIE_SECRETS: SECRET })).toEqual([expect.stringMatching(/^idp\.clientId: environment variable CLIENT_ID is not set/)]);
  });

  it.each([
    ['an unknown key, with the nearest known one', minimal('sesion: {}'), /^: unknown key "sesion" \(did you mean "session"\?\); allowed keys: publicUrl, /],
    [
      'a misspelt nested key',
      minimal().replace('clientId: client1', 'clientId: client1\n  timout: 5s'),
      /^idp: unknown key "timout" \(did you mean "timeout"\?\)/,
    ],
    [
      'a misspelt policy key',
      minimal().replace('action: allow', 'acton: allow'),
      /^apps\[0\]\.policies\[0\]: unknown key "acton" in a policy \(did you mean "action"\?\)/,
    ],
    [
      'a misspelt app headers key',
      minimal().replace('    policies:', '    headers: { presetz: [authelia] }\n    policies:'),
      /^apps\[0\]\.headers: unknown key "presetz" \(did you mean "presets"\?\); allowed keys: presets, claims/,
    ],
    ['a bad pool id', minimal().replace('eu-west-1_AbC123xyz', 'AbC123'), /^idp\.userPoolId: .*us-east-1_AbC123xyz/],
    [
      'a region that contradicts the pool id',
      minimal().replace('clientId: client1', 'clientId: client1\n  region: us-east-1'),
      /^idp\.region: .*does not match/,
    ],
    ['oidc without an issuer', minimal().replace('userPoolId: eu-west-1_AbC123xyz', 'type: oidc'), /^idp\.issuer: .*needs idp\.issuer/],
    ['scopes without openid', minimal().replace('clientId: client1', 'clientId: client1\n  scopes: [email]'), /^idp\.scopes: .*openid/],
    ['a malformed trusted proxy', minimal('trustedProxies: [10.0.0/8]'), /^trustedProxies\[0\]: .*10\.0\.0\.0\/8/],
    ['a bad duration', minimal('session: { idleTimeout: soon }'), /^session\.idleTimeout: .*5m/],
    ['a zero session lifetime', minimal('session: { absoluteLifetime: 0 }'), /^session\.absoluteLifetime: .*at least 1m/],
    [
      'a malformed CIDR in a rule',
      minimal().replace('{ authenticated: true }', '{ ip_ranges: [300.1.1.1/8] }'),
      /^apps\[0\]\.policies\[0\]\.include\[0\]\.ip_ranges\[0\]/,
    ],
    ['an invalid header name', minimal('headers: { claims: { "X Auth": email } }'), /^headers\.claims/],
    ['sameSite none without secure', minimal('cookies: { sameSite: none, secure: false }'), /^cookies.*secure/],
    ['a zero upstream timeout', minimal('upstreamTimeout: 0'), /^upstreamTimeout: upstreamTimeout must be from 1s to 1h/],
    ['a zero IdP timeout', minimal().replace('clientId: client1', 'clientId: client1\n  timeout: 0s'), /^idp\.timeout: idp\.timeout must be from 1s to 1m/],
    ['a zero admin-API timeout', minimal('cognitoAdmin: { timeout: 0 }'), /^cognitoAdmin\.timeout: .*from 1s to 1m/],
    ['a zero password-auth window', minimal('cognitoAdmin: { passwordAuth: { perUser: { window: 0 } } }'), /^cognitoAdmin\.passwordAuth\.perUser\.window: /],
    [
      'a zero per-app session lifetime',
      minimal().replace('    policies:', '    session: { idleTimeout: 0 }\n    policies:'),
      /^apps\[0\]\.session\.idleTimeout: session\.idleTimeout must be from 1m/,
    ],
  ])('reports %s with the key path', (_name, text, pattern) => {
    const found = issues(text, { GATEWAY_COOKIE_SECRETS: SECRET });
    expect(
      found.some((i) => pattern.test(i)),
      found.join('\n'),
    ).toBe(true);
  });

  it('names a misspelled policy key by its path, as check and serve print it', () => {
    const text = minimal().replace('        action: allow', '        action: allow\n        path: ["/x"]');
    expect(issues(text, { GATEWAY_COOKIE_SECRETS: SECRET })).toEqual([
      'apps[0].policies[0]: unknown key "path" in a policy (did you mean "paths"?); allowed keys: name, action, paths, methods, include, require, exclude, allowUnverifiedEmail',
    ]);
  });

  it('refuses text that is not YAML', () => {
    expect(issues('idp: [unclosed')).toEqual([expect.stringMatching(/not valid YAML/)]);
  });

  it('validates an app headers override against the merged result', () => {
    const c = loadConfig(minimal().replace('    policies:', '    headers: { presets: [authelia] }\n    policies:'), { GATEWAY_COOKIE_SECRETS: SECRET });
    expect(c.appHeaders.app!.presets).toEqual(['authelia']);
    expect(c.appHeaders.app!.claims['X-Auth-User']).toBe('cognito:username');
  });
});
