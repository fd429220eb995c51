/**
 * The gateway against a certified OpenID Provider we did not write (oidc-provider), configured with
 * ordinary OIDC claims: no token_use, no cognito:* claims, groups in `groups`, opaque access tokens,
 * RP-initiated logout. Shows the gateway is not tied to Cognito's quirks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { startDemoUpstream } from '../../src/cli/demo';
import { TestBrowser } from '../helpers/browser';

const ACCOUNTS: Record<string, { email: string; groups: string[] }> = {
  olivia: { email: 'olivia@example.org', groups: ['ops', 'admins'] },
  oscar: { email: 'oscar@example.org', groups: [] },
};

let offset = 0;
const now = () => Date.now() + offset;
let op: Server;
let issuer: string;
let gateway: RunningGateway;
let logger: ReturnType<typeof createMemoryLogger>;
let upstream: { url: string; close(): Promise<void> };

beforeAll(async () => {
  op = createServer();
  await new Promise<void>((r) => op.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(op.address() as AddressInfo).port}`;
  upstream = await startDemoUpstream(0);

  // The gateway's port must be known for the client's redirect URIs: reserve it first.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const gwPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const gwOrigin = `http://127.0.0.1:${gwPort}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'gateway',
        client_secret: 'gateway-secret-for-tests',
        redirect_uris: [`${gwOrigin}/_auth/callback`],
        post_logout_redirect_uris: [`${gwOrigin}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username', 'groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, revocation: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['test-only-cookie-key-for-oidc-provider'] },
    issueRefreshToken: async () => true,
    async loadExistingGrant(ctx) {
      const accountId = ctx.oidc.session!.accountId!;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, email_verified: true, preferred_username: id, groups: account.groups };
        },
      };
    },
  });
  op.on('request', provider.callback());

  const config = loadConfig(
    `
idp:
  type: oidc
  issuer: ${issuer}
  clientId: gateway
  clientSecret: gateway-secret-for-tests
  scopes: [openid, email, profile]
  groupsClaim: groups
session:
  secrets: ["test-only-session-secret-0123456789abcdef"]
headers:
  claims:
    X-Auth-User: preferred_username
    X-Auth-Email: email
    X-Auth-Groups: groups
apps:
  - id: ops
    name: Ops console
    upstream: ${upstream.url}
    policies:
      - name: ops-team
        action: allow
        include: [{ groups: [ops] }]
`,
    {},
  );
  logger = createMemoryLogger();
  gateway = await startNodeGateway({ config, port: gwPort, host: '127.0.0.1', logger, now });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await new Promise<void>((r) => op?.close(() => r()));
});

async function signIn(b: TestBrowser, login: string) {
  const first = await b.follow(`${gateway.url}/dashboard?tab=2`);
  expect(new URL(first.url).origin).toBe(issuer);
  const done = await b.submitForm(first.url, await first.res.text(), { login, password: 'any' });
  return done;
}

describe('generic OpenID Provider (oidc-provider)', () => {
  it('signs in with code + PKCE and forwards standard claims', async () => {
    const b = new TestBrowser();
    const done = await signIn(b, 'olivia');
    expect(done.res.status).toBe(200);
    expect(done.url).toBe(`${gateway.url}/dashboard?tab=2`);
    const res = await b.request(`${gateway.url}/dashboard`, { headers: { accept: 'application/json' } });
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-auth-user']).toBe('olivia');
    expect(seen.headers['x-auth-email']).toBe('olivia@example.org');
    expect(seen.headers['x-auth-groups']).toBe('ops,admins');
  });

  it('denies a user outside the group', async () => {
    const b = new TestBrowser();
    const done = await signIn(b, 'oscar');
    expect(done.res.status).toBe(403);
  });

  it('refreshes with the refresh token when revalidation is due', async () => {
    const b = new TestBrowser();
    await signIn(b, 'olivia');
    const before = b.cookieHeader(gateway.url);
    offset += 6 * 60 * 1000; // past revalidateAfter (5 min), tokens still valid
    const res = await b.request(`${gateway.url}/dashboard`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(b.cookieHeader(gateway.url)).not.toBe(before);
    expect(logger.lines.some((l) => l.msg === 'session refreshed')).toBe(true);
  });

  it('signs out with RP-initiated logout', async () => {
    const b = new TestBrowser();
    await signIn(b, 'olivia');
    const out = await b.request(`${gateway.url}/_auth/logout`);
    expect(out.status).toBe(302);
    const loc = new URL(out.headers.get('location')!);
    expect(loc.origin).toBe(issuer);
    expect(loc.searchParams.get('post_logout_redirect_uri')).toBe(`${gateway.url}/`);
    expect(loc.searchParams.get('client_id')).toBe('gateway');
    expect(b.cookieHeader(gateway.url) ?? '').not.toMatch(/_cgw_session/);
  });
});
