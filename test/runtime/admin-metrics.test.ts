/**
 * The admin listener over HTTP (real gateway, emulator, demo upstream): every metric family is
 * exported and moves when its event happens, readiness flips with the JWKS and with draining, and
 * the audit stream gets one event of each kind. The public port serves no /metrics.
 */
import { AdminUserGlobalSignOutCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let metricsUrl: string;
let configRaw: Record<string, any>;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.admin = { listen: { port: 0 } };
      raw.session.revalidateAfter = '1s';
      raw.idp.timeout = '1s';
      raw.apps.unshift({
        id: 'down',
        upstream: 'http://127.0.0.1:9',
        pathPrefix: '/down',
        policies: [{ name: 'open', action: 'bypass', include: [{ everyone: true }] }],
      });
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { userLookup: true };
      configRaw = raw;
    },
    loadConfig: async () => resolveConfig(structuredClone(configRaw), {}),
  });
  metricsUrl = `${stack.gateway.adminUrl}/metrics`;
});
afterAll(() => stack?.close());

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(metricsUrl);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const value = (m: Map<string, number>, series: string) => m.get(series) ?? 0;

describe('admin listener', () => {
  it('is not the public port: /metrics there is an app path (sign-in needed)', async () => {
    const res = await rawRequest(stack.url, '/metrics', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(stack.gateway.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('exports every family, and each moves when its event happens', async () => {
    const before = await scrape();
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/admin/x`, 'bob', 'Bob-Passw0rd!');
    expect((await b.request(`${stack.url}/admin/x`, { headers: { accept: 'application/json' } })).status).toBe(403);
    expect((await b.request(`${stack.url}/docs`, { headers: { accept: 'application/json' } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // revalidateAfter 1s: the next request refreshes
    expect((await b.request(`${stack.url}/docs`, { headers: { accept: 'application/json' } })).status).toBe(200);
    expect((await rawRequest(stack.url, '/_auth/callback?code=x&state=y')).status).toBe(400);
    const after = await scrape();
    // Cache statistics belong to the running config: a reload starts them afresh (a counter reset).
    expect(await stack.gateway.reload()).toBe(true);
    expect(value(await scrape(), 'cognito_gateway_config_reloads_total{outcome="applied"}')).toBe(
      value(before, 'cognito_gateway_config_reloads_total{outcome="applied"}') + 1,
    );

    const grew = (series: string) => [series, value(after, series) > value(before, series)];
    for (const series of [
      'cognito_gateway_requests_total{app="demo",answer="deny",status_class="4xx"}',
      'cognito_gateway_requests_total{app="demo",answer="allow",status_class="2xx"}',
      'cognito_gateway_request_duration_seconds_count{app="demo"}',
      'cognito_gateway_upstream_duration_seconds_count{app="demo"}',
      'cognito_gateway_sign_ins_total{outcome="started",reason=""}',
      'cognito_gateway_sign_ins_total{outcome="completed",reason=""}',
      'cognito_gateway_sign_ins_total{outcome="failed",reason="login_expired"}',
      'cognito_gateway_refreshes_total{outcome="ok"}',
      'cognito_gateway_idp_request_duration_seconds_count{call="token"}',
      'cognito_gateway_admin_api_duration_seconds_count{operation="AdminGetUser"}',
      'cognito_gateway_cache_lookups_total{cache="sessions",result="hit"}',
      'cognito_gateway_cache_lookups_total{cache="users",result="miss"}',
    ]) {
      expect(grew(series)).toEqual([series, true]);
    }
    // The keys were fetched once at sign-in; the token cache was asked.
    expect(value(after, 'cognito_gateway_jwks_fetches_total{outcome="ok"}')).toBeGreaterThan(0);
    expect(value(after, 'cognito_gateway_cache_lookups_total{cache="tokens",result="miss"}')).toBeGreaterThan(0);
    expect([...after.keys()].some((k) => /^cognito_gateway_build_info\{version="0\.1\.0",runtime="node \d+\.\d+\.\d+"\} $/.test(`${k} `))).toBe(true);
    // Failures: an unreachable upstream, and a token endpoint slower than idp.timeout.
    expect((await rawRequest(stack.url, '/down/x', { headers: { accept: 'application/json' } })).status).toBe(502);
    const c = new TestBrowser();
    const start = await c.follow(`${stack.url}/docs`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    const form = await c.follow(start.next!);
    const back = await c.submitForm(
      form.url,
      await form.res.text(),
      { username: 'alice', password: 'Alice-Passw0rd!' },
      { stopAt: (u) => u.includes('/_auth/callback') },
    );
    stack.emulator.setTokenEndpointDelay(1500);
    try {
      expect((await c.request(back.next!, { headers: { accept: 'application/json' } })).status).toBe(504);
    } finally {
      stack.emulator.setTokenEndpointDelay(0);
    }
    const failed = await scrape();
    expect(value(failed, 'cognito_gateway_upstream_errors_total{app="down",kind="unreachable"}')).toBe(1);
    expect(value(failed, 'cognito_gateway_idp_errors_total{call="token"}')).toBe(1);
    expect(value(failed, 'cognito_gateway_sign_ins_total{outcome="failed",reason="idp_unavailable"}')).toBe(1);
    // The admin API failing: a user look-up on a fresh sign-in gets 503 and the error is counted.
    stack.emulator.setAdminApiFailing(true);
    try {
      const d = new TestBrowser();
      const signIn = await d.signIn(`${stack.url}/docs`, 'carol', 'Carol-Passw0rd!');
      expect(signIn.res.status).toBe(503);
    } finally {
      stack.emulator.setAdminApiFailing(false);
    }
    expect(value(await scrape(), 'cognito_gateway_admin_api_errors_total{operation="AdminGetUser"}')).toBeGreaterThan(0);
    // No user ids or paths in any label.
    expect(await (await fetch(metricsUrl)).text()).not.toMatch(/bob|carol|alice|\/admin\/x|\/docs/);
  });

  it('answers readiness 200 once the keys were fetched, on the admin listener and the public port', async () => {
    const ready = await fetch(`${stack.gateway.adminUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    expect((await fetch(`${stack.url}/_auth/readyz`)).status).toBe(200);
  });
});

describe('audit stream', () => {
  it('has one event of each kind, with who, what and why', async () => {
    const kinds = (t: string) => stack.audit.filter((e) => e.type === t);
    expect(kinds('sign-in')[0]).toMatchObject({ user: 'bob', authMethod: 'session', app: 'demo' });
    expect(kinds('sign-in-failed')[0]).toMatchObject({ reason: 'login_expired' });
    expect(kinds('decision').find((e) => e.decision === 'deny')).toMatchObject({ user: 'bob', app: 'demo', policy: 'admin-area-non-admins', status: 403 });
    expect(kinds('decision').find((e) => e.decision === 'allow')).toMatchObject({ user: 'bob', app: 'demo', policy: 'signed-in', status: 200 });
    expect(kinds('config-reload')[0]).toMatchObject({ decision: 'applied', apps: ['down', 'site', 'portal', 'broker', 'spa-api', 'partners', 'demo'] });
    // Sign-out and a refresh the IdP refuses (the user was signed out everywhere).
    const carol = new TestBrowser();
    await carol.signIn(`${stack.url}/docs`, 'carol', 'Carol-Passw0rd!');
    const sdk = new CognitoIdentityProviderClient({
      region: 'us-east-1',
      endpoint: stack.emulator.url,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await sdk.send(new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: 'carol' }));
    await new Promise((r) => setTimeout(r, 1100));
    await carol.request(`${stack.url}/docs`, { headers: { accept: 'application/json' } });
    expect(kinds('refresh-failed')[0]).toMatchObject({ user: 'carol', reason: 'invalid_grant' });
    const bob = new TestBrowser();
    await bob.signIn(`${stack.url}/docs`, 'bob', 'Bob-Passw0rd!');
    await bob.follow(`${stack.url}/_auth/logout?rd=%2F`, { stopAt: () => true });
    expect(kinds('sign-out')[0]).toMatchObject({ user: 'bob', everywhere: false });
    // Never a token, a secret or a password.
    expect(JSON.stringify(stack.audit)).not.toMatch(/eyJ|Passw0rd|demo-gateway-secret/);
  });
});

describe('readiness while draining', () => {
  it('answers 503 draining on the admin listener while an in-flight request finishes', async () => {
    // An upstream that takes 800 ms, so a request is in flight when the drain begins.
    const slow = createServer((_req, res) => setTimeout(() => res.end('done'), 800));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const own = await startStack({
      edit: (raw) => (raw.admin = { listen: { port: 0 } }),
      env: { DEMO_UPSTREAM_URL: `http://127.0.0.1:${(slow.address() as { port: number }).port}` },
    });
    try {
      const inFlight = fetch(`${own.url}/public/slow`).then(async (r) => [r.status, await r.text()]);
      await new Promise((r) => setTimeout(r, 200));
      const drained = own.gateway.drain(3000);
      const res = await fetch(`${own.gateway.adminUrl}/readyz`);
      expect([res.status, ((await res.json()) as { error_description: string }).error_description]).toEqual([503, 'The gateway is not ready: draining.']);
      expect(await inFlight).toEqual([200, 'done']);
      expect(await drained).toEqual({ cut: 0 });
    } finally {
      await own.close();
      slow.close();
    }
  });
});

describe('log format', () => {
  it('pretty turns a JSON line into time, level, message and key=value', async () => {
    const { prettyLine } = await import('../../src/log');
    expect(prettyLine('{"time":"2026-12-01T10:00:00.000Z","level":"info","msg":"request","status":200,"path":"/a b","app":"demo"}')).toBe(
      '2026-12-01T10:00:00.000Z INFO  request status=200 path="/a b" app=demo',
    );
  });
});
