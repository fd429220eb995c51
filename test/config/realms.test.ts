/**
 * apps[].idp: which apps share a realm, what each realm's effective client and pool are, and the
 * precise refusals for configs that would mix clients up (src/config/realms.ts, checkConfig).
 */
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/check';
import { ConfigError, loadConfig } from '../../src/config/load';

const SECRET = 'realms-test-cookie-secret-0123456789abcdef';

function config(apps: Array<Record<string, unknown>>, idpExtra: Record<string, unknown> = {}) {
  return JSON.stringify({
    idp: { userPoolId: 'eu-west-1_AbC123xyz', clientId: 'buyers', clientSecret: 'buyers-secret', bearerClients: ['machine'], ...idpExtra },
    session: { secrets: [SECRET] },
    apps: apps.map((a) => ({ upstream: 'http://127.0.0.1:9', policies: [{ name: 'all', action: 'allow', include: [{ authenticated: true }] }], ...a })),
  });
}

function issuesOf(text: string): string[] {
  try {
    loadConfig(text, {}, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('apps[].idp realms', () => {
  it('apps with the same client share one realm; its name is written or the first app id; the default realm is named by idp.realm', () => {
    const c = loadConfig(
      config(
        [
          { id: 'shop', pathPrefix: '/' },
          { id: 'console', pathPrefix: '/merchant', idp: { clientId: 'merchants', clientSecret: 's2' } },
          { id: 'acme', pathPrefix: '/acme', idp: { clientId: 'merchants', clientSecret: 's2', realm: 'merchant' } },
          { id: 'spa', pathPrefix: '/spa', idp: { scopes: ['openid', 'email'], identityProvider: 'Google' } },
        ],
        { realm: 'buyer' },
      ),
    );
    expect(c.realms.map((r) => [r.name, r.idp.clientId, r.apps])).toEqual([
      ['buyer', 'buyers', ['shop', 'spa']],
      ['merchant', 'merchants', ['console', 'acme']],
    ]);
    expect(c.appRealms).toEqual({ shop: 'buyer', console: 'merchant', acme: 'merchant', spa: 'buyer' });
    expect(c.appSignIn).toEqual({ spa: { scopes: ['openid', 'email'], identityProvider: 'Google' } });
    const merchant = c.realms[1]!;
    // Its own client's secret, never the default client's secret or bearer clients; the same pool.
    expect([merchant.idp.clientSecret, merchant.idp.bearerClients, merchant.samePool, merchant.issuers]).toEqual(['s2', [], true, c.issuers]);
  });

  it('a realm on another pool derives its issuers and is not the same pool', () => {
    const c = loadConfig(config([{ id: 'partners', idp: { clientId: 'p1', userPoolId: 'us-west-2_Other1' } }]));
    expect(c.realms[1]).toMatchObject({
      name: 'partners',
      samePool: false,
      issuers: ['https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Other1', 'https://issuer-cognito-idp.us-west-2.amazonaws.com/us-west-2_Other1'],
    });
  });

  it('refuses a pool, a secret or a realm name without a client of its own', () => {
    expect(issuesOf(config([{ id: 'a', idp: { userPoolId: 'us-west-2_Other1', realm: 'x', clientSecret: 'z' } }]))).toEqual([
      'apps[0].idp.userPoolId: another pool needs an app client of that pool: set apps[0].idp.clientId (and its clientSecret), or remove userPoolId',
      "apps[0].idp.clientSecret: clientSecret belongs to an app client of the app's own: set apps[0].idp.clientId, or remove clientSecret (the top-level idp holds the default client's)",
      'apps[0].idp.realm: a realm is an app client: set apps[0].idp.clientId, or remove realm (without a client of its own the app is in the default realm "default")',
    ]);
  });

  it('refuses one client under two names, one name for two clients, the default client under another name, and bad names', () => {
    expect(
      issuesOf(
        config([
          { id: 'a', idp: { clientId: 'm', realm: 'merchant' } },
          { id: 'b', pathPrefix: '/b', idp: { clientId: 'm', realm: 'sellers' } },
        ]),
      ),
    ).toEqual(['apps[1].idp.realm: apps[0] uses the same app client as realm "merchant": one client is one realm; write realm: merchant or remove it']);
    expect(
      issuesOf(
        config([
          { id: 'a', idp: { clientId: 'm1', realm: 'merchant' } },
          { id: 'b', pathPrefix: '/b', idp: { clientId: 'm2', realm: 'merchant' } },
        ]),
      ),
    ).toEqual(['apps[1].idp.realm: realm "merchant" is already the name of the realm of client m1; give each app client its own realm name']);
    expect(issuesOf(config([{ id: 'a', idp: { clientId: 'buyers', realm: 'buyer' } }]))).toEqual([
      'apps[0].idp.realm: the top-level idp uses the same app client as realm "default": one client is one realm; write realm: default or remove it',
    ]);
    expect(issuesOf(config([{ id: 'a', idp: { clientId: 'm', realm: 'Merchant!' } }]))).toEqual([
      'apps[0].idp.realm: apps[].idp.realm is 1-32 lowercase letters, digits and "-" (it becomes part of cookie names), e.g. merchant',
    ]);
  });

  it('refuses unknown keys, scopes without openid, and a cookie prefix that would be too long', () => {
    expect(issuesOf(config([{ id: 'a', idp: { clientID: 'm' } }]))).toEqual([
      'apps[0].idp: unknown key "clientID" in apps[].idp; allowed keys: realm, clientId, clientSecret, clientAuthMethod, passwordAuthFlow, bearerClients, scopes, identityProvider, userPoolId, region, issuer, extraIssuers, jwksUri, domain',
    ]);
    expect(issuesOf(config([{ id: 'a', idp: { scopes: ['email'] } }]))).toEqual([
      'apps[0].idp.scopes: apps[0].idp.scopes must include "openid", or no ID token is issued',
    ]);
    const long = JSON.parse(config([{ id: 'a', idp: { clientId: 'm', realm: 'merchants-of-the-north' } }]));
    long.cookies = { namePrefix: '_my_company_gateway' };
    expect(issuesOf(JSON.stringify(long))).toEqual([
      'apps[0].idp.realm: the realm\'s cookie prefix "_my_company_gateway-merchants-of-the-north" is longer than 40 characters; choose a shorter realm name or cookies.namePrefix',
    ]);
  });

  it('checkConfig refuses password sign-in and user look-ups on a realm of another pool (the admin API serves idp.userPoolId)', async () => {
    const c = loadConfig(config([{ id: 'p', idp: { clientId: 'p1', userPoolId: 'us-west-2_Other1' }, cognito: { passwordAuth: true, userLookup: true } }]));
    const error = await checkConfig(c, {}, 'test.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'apps[0].cognito.userLookup: the admin API serves idp.userPoolId (eu-west-1_AbC123xyz); realm "p" is another pool; set it to false',
      'apps[0].cognito.passwordAuth: the admin API serves idp.userPoolId (eu-west-1_AbC123xyz); realm "p" is another pool; set it to false',
    ]);
  });
});

describe('passwordAuthFlow per app client', () => {
  it('default admin; a realm takes the top-level value unless its own client says otherwise', () => {
    const apps = [
      { id: 'shop', pathPrefix: '/' },
      { id: 'merchant', pathPrefix: '/merchant', idp: { clientId: 'merchants', clientSecret: 's2' } },
      { id: 'kiosk', pathPrefix: '/kiosk', idp: { clientId: 'kiosks', passwordAuthFlow: 'admin' } },
    ];
    const byDefault = loadConfig(config(apps));
    expect(byDefault.realms.map((r) => [r.name, r.idp.passwordAuthFlow])).toEqual([
      ['default', 'admin'],
      ['merchant', 'admin'],
      ['kiosk', 'admin'],
    ]);
    const userFlow = loadConfig(config(apps, { passwordAuthFlow: 'user' }));
    expect(userFlow.realms.map((r) => [r.name, r.idp.passwordAuthFlow])).toEqual([
      ['default', 'user'],
      ['merchant', 'user'],
      ['kiosk', 'admin'],
    ]);
  });

  it('refuses an unknown flow, and a flow on an app without a client of its own', () => {
    expect(issuesOf(config([{ id: 'shop', pathPrefix: '/' }], { passwordAuthFlow: 'srp' }))).toEqual([
      'idp.passwordAuthFlow: passwordAuthFlow is admin (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH) or user (InitiateAuth, USER_PASSWORD_AUTH)',
    ]);
    expect(issuesOf(config([{ id: 'shop', pathPrefix: '/', idp: { passwordAuthFlow: 'user' } }]))).toEqual([
      "apps[0].idp.passwordAuthFlow: passwordAuthFlow belongs to an app client of the app's own: set apps[0].idp.clientId, or remove passwordAuthFlow (the top-level idp holds the default client's)",
    ]);
  });
});
