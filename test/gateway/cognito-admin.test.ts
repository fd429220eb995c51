/**
 * The Cognito admin-API features through the running gateway, against the emulator with the
 * official SDK: user look-ups with a retention period (a disabled user is cut off, renamed attributes
 * reach the headers), sign-out everywhere (ignored cross-site), and password sign-in for API clients
 * (Basic: no password forwarded, 401 + WWW-Authenticate, rate limit with Retry-After).
 *
 * Each test starts its own stack on its own clock (set to a fixed start, moved only by that test), so
 * no user cache, session or rate-limit state and no clock position carries from one test to another.
 */
import { AdminDisableUserCommand, AdminUpdateUserAttributesCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';

/** Where every test's clock starts (2027-01-15T08:00:00Z): tokens, sessions and caches all read it. */
const START_MS = Date.UTC(2027, 0, 15, 8, 0, 0);
/** carol's `custom:tenant` in config/demo-pool.yaml. */
const CAROL_TENANT = 'partner-co';
let clockMs = START_MS;
const now = () => clockMs;
const advance = (s: number) => (clockMs += s * 1000);
let stack: Stack;
let sdk: CognitoIdentityProviderClient;

beforeEach(async () => {
  clockMs = START_MS;
  stack = await startStack({
    now,
    emulatorNow: now,
    edit: (raw) => {
      raw.cognitoAdmin = { userCacheRetention: '1m' };
      raw.session.revalidateAfter = '10m';
      raw.headers.claims['X-Auth-Tenant'] = 'custom:tenant';
      const demo = raw.apps.find((a: { id: string }) => a.id === 'demo');
      demo.cognito = { userLookup: true, passwordAuth: true };
    },
  });
  sdk = new CognitoIdentityProviderClient({ endpoint: stack.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterEach(async () => {
  sdk?.destroy();
  await stack?.close();
});

const seen = async (b: TestBrowser) => {
  const res = await b.request(`${stack.url}/whoami`, { headers: { accept: 'application/json' } });
  return { status: res.status, headers: res.status === 200 ? ((await res.json()) as { headers: Record<string, string> }).headers : {} };
};

describe('user look-ups with a retention period', () => {
  it('cuts off a user disabled mid-session once the retention period has passed', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'carol', 'Carol-Passw0rd!');
    expect((await seen(b)).status).toBe(200);
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: 'carol' }));
    advance(30);
    expect((await seen(b)).status, 'still inside the retention period').toBe(200);
    advance(45);
    const after = await b.request(`${stack.url}/whoami`);
    expect(after.status).toBe(302);
    expect(stack.logs.some((l) => l.msg === 'session ended' && String(l.reason).includes('disabled'))).toBe(true);
  });

  it('maps current attributes to headers after the retention period', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'carol', 'Carol-Passw0rd!');
    expect((await seen(b)).headers['x-auth-tenant']).toBe(CAROL_TENANT);
    await sdk.send(
      new AdminUpdateUserAttributesCommand({ UserPoolId: POOL, Username: 'carol', UserAttributes: [{ Name: 'custom:tenant', Value: 'tenant-renamed' }] }),
    );
    advance(30);
    expect((await seen(b)).headers['x-auth-tenant'], 'still the cached value inside the retention period').toBe(CAROL_TENANT);
    advance(45);
    expect((await seen(b)).headers['x-auth-tenant']).toBe('tenant-renamed');
  });
});

describe('sign-out everywhere', () => {
  it("ends the user's other sessions at once (the user's not-before time in the store)", async () => {
    const laptop = new TestBrowser();
    const phone = new TestBrowser();
    await laptop.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    await phone.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    expect((await seen(phone)).status).toBe(200);
    const out = await laptop.request(`${stack.url}/_auth/logout?everywhere=1`);
    expect(out.status).toBe(302);
    expect(stack.logs.some((l) => l.msg === 'signed out everywhere')).toBe(true);
    expect((await seen(phone)).status).toBe(401);
    expect((await phone.request(`${stack.url}/whoami`)).status).toBe(302);
  });
});

describe('sign-out everywhere from another site', () => {
  it('is ignored for a cross-site navigation (only this browser is signed out)', async () => {
    const laptop = new TestBrowser();
    const phone = new TestBrowser();
    await laptop.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    await phone.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const out = await laptop.request(`${stack.url}/_auth/logout?everywhere=1`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(out.status).toBe(302);
    expect(stack.logs.some((l) => l.msg === 'sign-out everywhere ignored for a cross-site request; signed out here only')).toBe(true);
    advance(11 * 60);
    expect((await seen(phone)).status).toBe(200);
  });
});

describe('password sign-in for API clients (Authorization: Basic)', () => {
  const basic = (user: string, password: string, extra: Record<string, string> = {}) =>
    fetch(`${stack.url}/reports`, { headers: { authorization: `Basic ${btoa(`${user}:${password}`)}`, accept: 'application/json', ...extra } });

  it('signs a user in with ADMIN_USER_PASSWORD_AUTH and never forwards the password', async () => {
    const res = await basic('alice', 'Alice-Passw0rd!');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { headers: Record<string, string> };
    expect(body.headers['x-auth-user']).toBe('alice');
    expect(body.headers['x-auth-groups']).toBe('admins,staff');
    expect(body.headers.authorization).toBeUndefined();
  });

  it('refuses a wrong password and a disabled user with 401 + WWW-Authenticate: Basic', async () => {
    const wrong = await basic('bob', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="demo"/);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_credentials');
    expect((await basic('dave', 'Dave-Passw0rd!')).status).toBe(401);
  });

  it('rate-limits failed attempts per user, with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await basic('carol', `wrong-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await basic('carol', 'Carol-Passw0rd!');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(stack.logs.map((l) => JSON.stringify(l)).join('\n')).not.toContain('Carol-Passw0rd!');
  });

  it('offers Basic as well as Bearer to anonymous API clients of a password app', async () => {
    const res = await fetch(`${stack.url}/reports`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Basic realm="demo"/);
  });
});
