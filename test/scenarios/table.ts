/**
 * The shared scenario table: the same end-to-end scenarios against the gateway on Node
 * (test/scenarios/node.test.ts) and on Workers in workerd (test/worker/scenarios.test.ts), each group
 * on its own stack (emulator + demo upstream + gateway) over loopback. Where the runtimes differ by
 * design (client address from CF-Connecting-IP on Workers only), the scenario says so explicitly.
 */
import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { SPOOFED_IDENTITY_HEADERS as SPOOFED } from '../helpers/spoofing';
import { machineToken as fetchMachineToken } from '../helpers/tokens';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { DEMO_POLICY_ROWS } from './policy-rows';
import { POOL } from '../helpers/stack';
import { startScenarioStack, type Runtime, type ScenarioStack, type ScenarioStackOptions } from './stacks';

export interface Scenario {
  name: string;
  run(s: ScenarioStack): Promise<void>;
  /** ms; default the suite's testTimeout. */
  timeout?: number;
}

export interface ScenarioGroup {
  name: string;
  edit?: ScenarioStackOptions['edit'];
  /** Runs once after the stack starts. */
  setup?(s: ScenarioStack): void | Promise<void>;
  scenarios: Scenario[];
}

export const PASSWORDS: Record<string, string> = { alice: 'Alice-Passw0rd!', bob: 'Bob-Passw0rd!', carol: 'Carol-Passw0rd!' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function signedIn(s: ScenarioStack, user: string): Promise<TestBrowser> {
  const b = new TestBrowser();
  const done = await b.signIn(`${s.url}/`, user, PASSWORDS[user]!);
  expect(done.res.status, `${user} signs in`).toBe(200);
  expect(done.formShown).toBe(true);
  return b;
}

type Echo = { method: string; path: string; query: string; headers: Record<string, string> };

async function echo(s: ScenarioStack, b: TestBrowser, path: string, headers: Record<string, string> = {}) {
  const res = await b.request(`${s.url}${path}`, { headers: { accept: 'application/json', ...headers } });
  expect(res.status, `${path} -> ${res.status}`).toBe(200);
  return { body: (await res.json()) as Echo, res };
}

async function me(s: ScenarioStack, b: TestBrowser) {
  const res = await b.request(`${s.url}/_auth/me`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, any>) : undefined };
}

const machineToken = (s: ScenarioStack, scope: string) => fetchMachineToken(s.emulator.hostedUiBase, scope);

const count = (s: ScenarioStack, msg: string) => s.logs.filter((l) => l.msg === msg).length;

/** Worker logs arrive through workerd's log stream, a moment after the response. */
async function waitForLogCount(s: ScenarioStack, msg: string, atLeast: number, ms = 3000) {
  const until = Date.now() + ms;
  while (count(s, msg) < atLeast && Date.now() < until) await sleep(25);
  return count(s, msg);
}

function sdk(s: ScenarioStack) {
  return new CognitoIdentityProviderClient({ endpoint: s.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

// ---------------------------------------------------------------------------------------------------
// Group 1: config/demo.yaml exactly as shipped.

const demo: ScenarioGroup = {
  name: 'demo config',
  scenarios: [
    {
      name: 'an anonymous browser is sent to the hosted UI with PKCE S256, state and nonce',
      async run(s) {
        const b = new TestBrowser();
        const res = await b.request(`${s.url}/reports?q=a%20b&x=1`);
        expect(res.status).toBe(302);
        const loc = new URL(res.headers.get('location')!);
        expect(loc.origin + loc.pathname).toBe(`${s.emulator.hostedUiBase}/oauth2/authorize`);
        expect(loc.searchParams.get('client_id')).toBe('demo-gateway');
        expect(loc.searchParams.get('redirect_uri')).toBe(`${s.url}/_auth/callback`);
        expect(loc.searchParams.get('code_challenge_method')).toBe('S256');
        expect(loc.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(loc.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
        expect(loc.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(32);
        expect(res.headers.getSetCookie().some((c) => /_login_/.test(c) && /HttpOnly/i.test(c))).toBe(true);
      },
    },
    {
      name: 'full sign-in: the original URL survives, identity headers reach the upstream, gateway cookies do not',
      async run(s) {
        const b = new TestBrowser();
        const { res, url } = await b.signIn(`${s.url}/reports?q=a%20b&x=1`, 'alice', PASSWORDS.alice!);
        expect(res.status).toBe(200);
        expect(url).toBe(`${s.url}/reports?q=a%20b&x=1`);
        const { body } = await echo(s, b, '/reports?q=a%20b&x=1');
        expect(body.path).toBe('/reports');
        expect(body.query).toContain('q=a%20b&x=1');
        expect(body.headers['x-auth-user']).toBe('alice');
        expect(body.headers['x-auth-email']).toBe('alice@example.com');
        expect(body.headers['x-auth-groups']).toBe('admins,staff');
        expect(body.headers.cookie ?? '').not.toMatch(/_cgw/);
        const who = await me(s, b);
        expect(who.status).toBe(200);
        expect(who.body).toMatchObject({ username: 'alice', email: 'alice@example.com', groups: ['admins', 'staff'], authMethod: 'session' });
      },
    },
    {
      name: 'policy decisions for the demo apps (alice, bob, carol, anonymous)',
      async run(s) {
        const browsers: Record<string, TestBrowser> = { anonymous: new TestBrowser() };
        for (const user of ['alice', 'bob', 'carol']) browsers[user] = await signedIn(s, user);
        const tokens: Record<string, string> = {
          machine: await machineToken(s, 'demo-api/read demo-api/write'),
          'machine-read': await machineToken(s, 'demo-api/read'),
        };
        const got = [];
        for (const r of DEMO_POLICY_ROWS) {
          const headers: Record<string, string> = { accept: r.accept === 'json' ? 'application/json' : 'text/html' };
          if (tokens[r.who]) headers.authorization = `Bearer ${tokens[r.who]}`;
          const cookie = browsers[r.who]?.cookieHeader(s.url);
          if (cookie) headers.cookie = cookie;
          const res = await rawRequest(s.url, r.target, { method: r.method, headers });
          got.push({ ...r, status: res.status });
        }
        expect(got).toEqual(DEMO_POLICY_ROWS);
        // A denied browser sees the app and whom to ask, never the rules.
        const denied = await browsers.bob!.request(`${s.url}/admin/`);
        expect(denied.status).toBe(403);
        const html = await denied.text();
        expect(html).toContain('Demo app');
        expect(html).toContain('it-help@example.com');
        expect(html).not.toContain('admin-area');
      },
    },
    {
      name: 'bearer and machine tokens on /api/*: scope per method, bad token 401, no browser apps',
      async run(s) {
        const read = await machineToken(s, 'demo-api/read');
        const get = await fetch(`${s.url}/api/things`, { headers: { authorization: `Bearer ${read}`, accept: 'application/json' } });
        expect(get.status).toBe(200);
        expect(((await get.json()) as Echo).path).toBe('/api/things');
        const post = await fetch(`${s.url}/api/things`, { method: 'POST', headers: { authorization: `Bearer ${read}` }, body: '{}' });
        expect(post.status).toBe(403);
        expect(post.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
        const both = await machineToken(s, 'demo-api/read demo-api/write');
        const post2 = await fetch(`${s.url}/api/things`, {
          method: 'POST',
          headers: { authorization: `Bearer ${both}`, 'content-type': 'application/json', accept: 'application/json' },
          body: '{"a":1}',
        });
        expect(post2.status).toBe(200);
        expect(((await post2.json()) as Echo).method).toBe('POST');
        const bad = await fetch(`${s.url}/api/things`, { headers: { authorization: `Bearer ${read.slice(0, -4)}AAAA` } });
        expect(bad.status).toBe(401);
        expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
        const browserApp = await fetch(`${s.url}/anything`, { headers: { authorization: `Bearer ${read}` }, redirect: 'manual' });
        expect(browserApp.status).toBe(403);
        // /_auth/me answers for a bearer token too.
        const who = await fetch(`${s.url}/_auth/me`, { headers: { authorization: `Bearer ${read}` } });
        expect(who.status).toBe(200);
        expect(await who.json()).toMatchObject({ authMethod: 'bearer', clientId: 'demo-machine', scopes: ['demo-api/read'] });
      },
    },
    {
      name: 'the signed assertion verifies against the gateway /_auth/jwks',
      async run(s) {
        const b = await signedIn(s, 'bob');
        const { body } = await echo(s, b, '/assert');
        const token = body.headers['x-auth-assertion']!;
        expect(token).toMatch(/^eyJ/);
        const jwks = (await (await fetch(`${s.url}/_auth/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
        expect(jwks.keys.length).toBeGreaterThan(0);
        expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
        const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as never), { issuer: 'cognito-gateway', audience: 'demo' });
        expect(protectedHeader.alg).toBe('ES256');
        expect(payload).toMatchObject({ username: 'bob', email: 'bob@example.com', groups: ['staff'] });
        expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
        // A forged or altered assertion does not verify.
        const altered = token.slice(0, -6) + (token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
        await expect(jwtVerify(altered, createLocalJWKSet(jwks as never))).rejects.toThrow();
      },
    },
    {
      name: 'header spoofing: identity headers from the client never reach the upstream',
      async run(s) {
        const pub = await rawRequest(s.url, '/public/page', { headers: { accept: 'application/json', ...SPOOFED } });
        expect(pub.status).toBe(200);
        const seenPub = (JSON.parse(pub.body) as Echo).headers;
        for (const name of Object.keys(SPOOFED)) expect(seenPub[name.toLowerCase()], name).toBeUndefined();
        const b = await signedIn(s, 'bob');
        const res = await rawRequest(s.url, '/page', { headers: { accept: 'application/json', cookie: b.cookieHeader(s.url)!, ...SPOOFED } });
        expect(res.status).toBe(200);
        const seen = (JSON.parse(res.body) as Echo).headers;
        expect(seen['x-auth-user']).toBe('bob');
        expect(seen['x-auth-groups']).toBe('staff');
        expect(seen['x-auth-assertion']).not.toBe('eyJforged');
        for (const name of ['x_auth_email', 'x-auth_user']) expect(seen[name], name).toBeUndefined();
        // No side doors: health-checker user agents and rewrite headers do not skip sign-in.
        for (const headers of <Record<string, string>[]>[
          { 'user-agent': 'ELB-HealthChecker/2.0' },
          { 'x-original-url': '/public/x' },
          { 'x-forwarded-uri': '/public/x' },
        ]) {
          const r = await rawRequest(s.url, '/secret', { headers: { accept: 'application/json', ...headers } });
          expect(r.status, JSON.stringify(headers)).toBe(401);
        }
        const health = await rawRequest(s.url, '/_auth/healthz');
        expect([health.status, health.body]).toEqual([200, 'ok']);
      },
    },
    {
      name: 'paths: ambiguous encodings 400, dot segments resolved before matching',
      async run(s) {
        for (const p of ['/public/..%2fadmin', '/public%2f..%2fadmin', '/public/%5c..%5cadmin', '/public/%00']) {
          const res = await rawRequest(s.url, p, { headers: { accept: 'application/json' } });
          expect(res.status, p).toBe(400);
        }
        for (const p of ['/public/../admin', '/public/%2e%2e/admin', '/public/./../admin']) {
          const res = await rawRequest(s.url, p, { headers: { accept: 'application/json' } });
          expect(res.status, p).toBe(401);
        }
        const pub = await rawRequest(s.url, '/admin/../public/x?y=1', { headers: { accept: 'application/json' } });
        expect(pub.status).toBe(200);
        expect(JSON.parse(pub.body)).toMatchObject({ path: '/public/x', query: 'y=1' });
      },
    },
    {
      name: 'sign-out clears the cookies, revokes, ends the hosted-UI session; rd is validated',
      async run(s) {
        const b = await signedIn(s, 'alice');
        const out = await b.request(`${s.url}/_auth/logout`);
        expect(out.status).toBe(302);
        const loc = new URL(out.headers.get('location')!);
        expect(loc.origin + loc.pathname).toBe(`${s.emulator.hostedUiBase}/logout`);
        expect(loc.searchParams.get('client_id')).toBe('demo-gateway');
        expect(loc.searchParams.get('logout_uri')).toBe(`${s.url}/`);
        expect(out.headers.getSetCookie().some((c) => /Max-Age=0/i.test(c))).toBe(true);
        expect(b.cookieHeader(s.url) ?? '').not.toMatch(/_session/);
        expect((await me(s, b)).status).toBe(401);
        const back = await b.follow(loc.href, { stopAt: (u) => u.includes('/oauth2/authorize') });
        expect(back.url).toBe(`${s.url}/`);
        const page = await b.follow(back.next!);
        expect(await page.res.text()).toMatch(/<form/i);
        for (const rd of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
          const r = await b.request(`${s.url}/_auth/logout?rd=${encodeURIComponent(rd)}`);
          expect(new URL(r.headers.get('location')!).searchParams.get('logout_uri'), rd).toBe(`${s.url}/`);
        }
      },
    },
  ],
};

// ---------------------------------------------------------------------------------------------------
// Group 2: revalidation every 2 s, so refresh, group changes and revocation show up after a real wait
// (the Worker's clock cannot be faked).

const revalidation: ScenarioGroup = {
  name: 'demo config with revalidateAfter: 2s',
  edit: (raw) => {
    raw.session.revalidateAfter = '2s';
  },
  scenarios: [
    {
      name: 'revalidation refreshes the session and group changes reach the headers',
      async run(s) {
        const b = await signedIn(s, 'bob');
        const first = await echo(s, b, '/whoami');
        expect(first.body.headers['x-auth-groups']).toBe('staff');
        const refreshed = count(s, 'session refreshed');
        const before = (await me(s, b)).body!.tokensExpireAt as string;
        const admin = sdk(s);
        await admin.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, Username: 'bob', GroupName: 'admins' }));
        try {
          await sleep(2600);
          const after = await echo(s, b, '/whoami');
          expect(after.res.headers.getSetCookie().length).toBeGreaterThan(0);
          expect(after.body.headers['x-auth-groups']).toBe('admins,staff');
          expect(await waitForLogCount(s, 'session refreshed', refreshed + 1)).toBeGreaterThan(refreshed);
          const later = (await me(s, b)).body!.tokensExpireAt as string;
          expect(Date.parse(later)).toBeGreaterThan(Date.parse(before));
        } finally {
          await admin.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: POOL, Username: 'bob', GroupName: 'admins' }));
        }
      },
    },
    {
      name: 'a globally signed-out user loses the session at the next revalidation',
      async run(s) {
        const b = await signedIn(s, 'carol');
        await echo(s, b, '/whoami');
        await sdk(s).send(new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: 'carol' }));
        await sleep(2600);
        const res = await b.request(`${s.url}/whoami`);
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toContain('/oauth2/authorize');
        expect(res.headers.getSetCookie().some((c) => /_session/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
        await waitForLogCount(s, 'session ended', 1);
        expect(s.logs.some((l) => l.msg === 'session ended' && String(l.reason).includes('refresh refused'))).toBe(true);
      },
    },
    {
      name: 'after sign-out a copied session cookie dies at the next revalidation (refresh token revoked)',
      async run(s) {
        const b = await signedIn(s, 'alice');
        const stolen = b.cookieHeader(s.url)!;
        const out = await b.request(`${s.url}/_auth/logout`);
        expect(out.status).toBe(302);
        await sleep(2600);
        const replay = await fetch(`${s.url}/whoami`, { headers: { cookie: stolen, accept: 'text/html' }, redirect: 'manual' });
        expect(replay.status).toBe(302);
        expect(replay.headers.get('location')).toContain('/oauth2/authorize');
      },
    },
  ],
};

// ---------------------------------------------------------------------------------------------------
// Group 3: an app gated by network and country, and tokens that live 33 s (the gateway refreshes 30 s
// before expiry, so they need a refresh after ~3 s).

const OFFICE_NET = '203.0.113.0/24';

const edge: ScenarioGroup = {
  name: 'demo config with an office app (ip_ranges, countries) and 33 s tokens',
  edit: (raw) => {
    const upstream = (raw.apps as Array<{ id: string; upstream: string }>).find((a) => a.id === 'demo')!.upstream;
    raw.apps.unshift({
      id: 'office',
      name: 'Office tools',
      contact: 'it-help@example.com',
      pathPrefix: '/office',
      upstream,
      policies: [
        { name: 'office-network', action: 'bypass', include: [{ ip_ranges: [OFFICE_NET, '2001:db8::/32'] }] },
        { name: 'from-germany', action: 'bypass', paths: ['/office/de/*'], include: [{ countries: ['DE'] }] },
      ],
    });
  },
  setup(s) {
    s.emulator.setClientSettings(POOL, 'demo-gateway', { idTokenValidity: 33, accessTokenValidity: 33 });
  },
  scenarios: [
    {
      name: 'ip_ranges and countries: CF-Connecting-IP / CF-IPCountry on Workers, never on Node',
      async run(s) {
        const get = async (path: string, headers: Record<string, string>) => {
          const res = await fetch(`${s.url}${path}`, { headers: { accept: 'application/json', ...headers }, redirect: 'manual' });
          await res.arrayBuffer();
          return res.status;
        };
        const inOffice = await get('/office/tools', { 'cf-connecting-ip': '203.0.113.7' });
        const inOfficeV6 = await get('/office/tools', { 'cf-connecting-ip': '2001:db8::42' });
        const outside = await get('/office/tools', { 'cf-connecting-ip': '198.51.100.1' });
        const spoofedXff = await get('/office/tools', { 'cf-connecting-ip': '198.51.100.1', 'x-forwarded-for': '203.0.113.7' });
        const germany = await get('/office/de/x', { 'cf-connecting-ip': '198.51.100.1', 'cf-ipcountry': 'DE' });
        const france = await get('/office/de/x', { 'cf-connecting-ip': '198.51.100.1', 'cf-ipcountry': 'FR' });
        if (s.runtime === 'worker') {
          // Cloudflare's edge sets these headers (a client's own values are overwritten there).
          expect({ inOffice, inOfficeV6, outside, spoofedXff, germany, france }).toEqual({
            inOffice: 200,
            inOfficeV6: 200,
            outside: 403,
            spoofedXff: 403,
            germany: 200,
            france: 403,
          });
        } else {
          // On Node any client could send them: the socket peer (127.0.0.1) decides, so all are denied.
          expect({ inOffice, inOfficeV6, outside, spoofedXff, germany, france }).toEqual({
            inOffice: 403,
            inOfficeV6: 403,
            outside: 403,
            spoofedXff: 403,
            germany: 403,
            france: 403,
          });
        }
      },
    },
    {
      name: 'expired tokens are refreshed transparently; a burst of parallel requests shares one refresh',
      timeout: 40_000,
      async run(s) {
        const b = await signedIn(s, 'alice');
        const start = count(s, 'session refreshed');
        const fresh = await echo(s, b, '/whoami');
        expect(fresh.body.headers['x-auth-user']).toBe('alice');
        const before = (await me(s, b)).body!.tokensExpireAt as string;
        await sleep(3600);
        const after = await echo(s, b, '/whoami');
        expect(after.body.headers['x-auth-user']).toBe('alice');
        expect(after.res.headers.getSetCookie().length).toBeGreaterThan(0);
        expect(await waitForLogCount(s, 'session refreshed', start + 1)).toBe(start + 1);
        expect(Date.parse((await me(s, b)).body!.tokensExpireAt as string)).toBeGreaterThan(Date.parse(before));
        // Expire again, then 10 requests at once with the same cookie: all pass, one refresh.
        await sleep(3600);
        const cookie = b.cookieHeader(s.url)!;
        const burst = await Promise.all(
          Array.from({ length: 10 }, () => fetch(`${s.url}/burst`, { headers: { cookie, accept: 'application/json' }, redirect: 'manual' })),
        );
        expect(burst.map((r) => r.status)).toEqual(Array(10).fill(200));
        await Promise.all(burst.map((r) => r.arrayBuffer()));
        expect(await waitForLogCount(s, 'session refreshed', start + 2)).toBe(start + 2);
        await sleep(300);
        expect(count(s, 'session refreshed')).toBe(start + 2);
      },
    },
  ],
};

// ---------------------------------------------------------------------------------------------------
// Group 4: the two realms config/demo.yaml ships (apps[].idp): the merchant console on the demo-merchant client.

const realmParams = (location: string | null) => new URL(location ?? 'http://missing/').searchParams;

const realms: ScenarioGroup = {
  name: 'realms (apps[].idp)',
  scenarios: [
    {
      name: 'a buyer session does not open the merchant app; the merchant sign-in completes with the merchant client; /_auth/me names each realm',
      async run(s) {
        const b = await signedIn(s, 'alice');
        const redirect = await b.request(`${s.url}/merchant/orders`);
        expect(redirect.status).toBe(302);
        expect(realmParams(redirect.headers.get('location')).get('client_id')).toBe('demo-merchant');
        const merchant = await b.signIn(`${s.url}/merchant/orders`, 'alice', PASSWORDS.alice!);
        expect(merchant.res.status).toBe(200);
        expect(new URL(merchant.url).pathname).toBe('/merchant/orders');
        const cookies = [...b.cookies('127.0.0.1').keys()].filter((n) => n.includes('_session')).sort();
        expect(cookies).toEqual(['_cgw-merchant_session', '_cgw_session']);
        expect((await me(s, b)).body).toMatchObject({ realm: 'default', clientId: 'demo-gateway', username: 'alice' });
        const merchantMe = await b.request(`${s.url}/_auth/me?realm=merchant`, { headers: { accept: 'application/json' } });
        expect(await merchantMe.json()).toMatchObject({ realm: 'merchant', clientId: 'demo-merchant', username: 'alice' });
      },
    },
    {
      name: 'logout of the merchant realm names its client and leaves the buyer session; a cookie renamed to the other realm is refused',
      async run(s) {
        const b = await signedIn(s, 'alice');
        await b.signIn(`${s.url}/merchant/`, 'alice', PASSWORDS.alice!);
        const merchantValue = b.cookies('127.0.0.1').get('_cgw-merchant_session')!;
        const renamed = await fetch(`${s.url}/whoami`, { headers: { cookie: `_cgw_session=${merchantValue}`, accept: 'text/html' }, redirect: 'manual' });
        await renamed.arrayBuffer();
        expect(renamed.status).toBe(302);
        expect(realmParams(renamed.headers.get('location')).get('client_id')).toBe('demo-gateway');
        const out = await b.request(`${s.url}/_auth/logout?realm=merchant`);
        expect(out.status).toBe(302);
        expect(realmParams(out.headers.get('location')).get('client_id')).toBe('demo-merchant');
        expect((await echo(s, b, '/whoami')).body.headers['x-auth-user']).toBe('alice');
        const again = await b.request(`${s.url}/merchant/`);
        expect([again.status, realmParams(again.headers.get('location')).get('client_id')]).toEqual([302, 'demo-merchant']);
      },
    },
  ],
};

export const SCENARIO_GROUPS: ScenarioGroup[] = [demo, revalidation, edge, realms];

/** Registers every group and scenario for one runtime. */
export function defineScenarioSuite(runtime: Runtime, stackOptions: () => Omit<ScenarioStackOptions, 'edit'> = () => ({})) {
  for (const group of SCENARIO_GROUPS) {
    describe(`[${runtime}] ${group.name}`, () => {
      let stack: ScenarioStack | undefined;
      beforeAll(async () => {
        stack = await startScenarioStack(runtime, { ...stackOptions(), edit: group.edit });
        await group.setup?.(stack);
      });
      afterAll(async () => {
        await stack?.close();
      });
      for (const scenario of group.scenarios) {
        it(scenario.name, () => scenario.run(stack!), scenario.timeout);
      }
    });
  }
}
