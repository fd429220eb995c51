/**
 * Sessions of users in many Cognito groups (Cognito allows 100 per user, names up to 128 characters)
 * when an app forwards the access token (headers.accessToken), so the session would hold claims +
 * access token + the ~1.8 KB refresh token:
 * - a session the gateway writes is one its own Node listener accepts: the next page is served (200)
 *   and sign-out works (302), never a 431 lock-out;
 * - a session too large with the access token is kept without it (logged; the upstream then gets no
 *   access token) rather than refused;
 * - a user whose ID token outgrows the verifier's 16 KB token limit (100 groups of 128 characters)
 *   gets the 400 "Sign-in failed" page and no session cookie, never a 500. (The callback's 400
 *   `session_too_large` needs a session over 19,000 sealed bytes without the access token, i.e. an
 *   ID token just under 16 KB: not reachable with whole groups here.)
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.headers.accessToken = 'authorization';
    },
  });
});
afterAll(() => stack?.close());

async function admin(op: string, body: unknown) {
  const r = await fetch(`${stack.emulator.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${op} ${r.status} ${await r.text()}`);
}

/** node:http with a large response-header limit, so the callback's Set-Cookie headers can be read. */
function get(url: string, cookie?: string): Promise<{ status: number; setCookies: string[]; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/html', ...(cookie ? { cookie } : {}) };
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers, maxHeaderSize: 256 * 1024 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookies: ([] as string[]).concat(res.headers['set-cookie'] ?? []), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function userInGroups(username: string, count: number, nameLength: number) {
  for (let i = 0; i < count; i++) {
    const g = `${username}-team-${String(i).padStart(3, '0')}-`.padEnd(nameLength, 'x');
    await admin('CreateGroup', { UserPoolId: POOL, GroupName: g });
    await admin('AdminAddUserToGroup', { UserPoolId: POOL, Username: username, GroupName: g });
  }
}

async function signInToCallback(username: string, password: string) {
  const b = new TestBrowser();
  const first = await b.follow(`${stack.url}/dashboard`);
  const to = await b.submitForm(first.url, await first.res.text(), { username, password }, { stopAt: (u) => u.includes('/_auth/callback') });
  const cb = await get(to.next!, b.cookieHeader(to.next!));
  const cookie = cb.setCookies
    .filter((c) => c.includes('_session') && !/Max-Age=0/i.test(c))
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cb, cookie };
}

describe('sessions of users in many groups, access token forwarded', () => {
  it('a session the gateway wrote is one its own listener accepts (no 431 lock-out)', async () => {
    await userInGroups('bob', 90, 40); // bob is in `staff` already: 91 groups of <= 40 characters
    const { cb, cookie } = await signInToCallback('bob', 'Bob-Passw0rd!');
    expect(cb.status).toBe(302);
    const next = await get(`${stack.url}/dashboard`, cookie);
    expect(next.status, `session cookie ${cookie.length} bytes`).toBe(200);
    const logout = await get(`${stack.url}/_auth/logout`, cookie);
    expect(logout.status, 'sign-out').toBe(302);
    expect(logout.setCookies.filter((c) => c.includes('_session') && /Max-Age=0/i.test(c)).length, 'sign-out deletes the session cookies').toBeGreaterThan(0);
  });

  it('a session too large with the access token is kept without it', async () => {
    await userInGroups('carol', 100, 60);
    const { cb, cookie } = await signInToCallback('carol', 'Carol-Passw0rd!');
    expect(cb.status).toBe(302);
    const sid = stack.logs.find((l) => l.msg === 'signed in' && l.user === 'carol')?.sid;
    const dropped = stack.logs.filter((l) => l.msg === 'session too large with the access token: kept without it (not forwarded upstream)' && l.sid === sid);
    expect(dropped.length, `logged once for carol's session ${String(sid)}`).toBe(1);
    const next = await fetch(`${stack.url}/dashboard`, { headers: { cookie, accept: 'application/json' } });
    expect(next.status).toBe(200);
    const seen = ((await next.json()) as { headers: Record<string, string> }).headers;
    expect(seen['x-auth-user']).toBe('carol');
    expect(seen.authorization).toBeUndefined();
  });

  it('an ID token over the 16 KB token limit ends sign-in with a 400 page, not a 500', async () => {
    await admin('AdminCreateUser', {
      UserPoolId: POOL,
      Username: 'grace',
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: 'grace@example.com' }],
    });
    await admin('AdminSetUserPassword', { UserPoolId: POOL, Username: 'grace', Password: 'Grace-Passw0rd!', Permanent: true });
    await userInGroups('grace', 100, 128);
    const { cb, cookie } = await signInToCallback('grace', 'Grace-Passw0rd!');
    expect(cb.status).toBe(400);
    expect(cb.body).toContain('<h1>Sign-in failed</h1>');
    expect(cb.body).toContain('The identity token could not be verified.');
    expect(cookie, 'no session cookie written').toBe('');
    expect(stack.logs.filter((l) => l.msg === 'unhandled error')).toEqual([]);
  });
});
