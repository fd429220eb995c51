/**
 * session size with users in many Cognito groups (Cognito allows 100 groups per user, names
 * up to 128 characters) when an app forwards the access token (headers.accessToken), so the session
 * keeps claims + access token + the ~1.8 KB refresh token.
 *
 * 1. The session store accepts sealed sessions up to 5 x 3800 = 19,000 bytes, but the Node listener
 *    refuses request headers over 16 KB (http default maxHeaderSize): a session between the two is
 *    written, then EVERY later request, /_auth/logout included, gets 431. The user is locked out until
 *    the cookies expire (absoluteLifetime, 12 h by default).
 * 2. Above 19,000 bytes the store throws SessionTooLargeError, which nobody catches: the callback
 *    answers 500 on every sign-in attempt.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ edit: (raw) => { raw.headers.accessToken = 'authorization'; } });
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
function get(url: string, cookie?: string): Promise<{ status: number; setCookies: string[] }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/html', ...(cookie ? { cookie } : {}) };
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers, maxHeaderSize: 256 * 1024 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookies: ([] as string[]).concat(res.headers['set-cookie'] ?? []) }));
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
  const cookie = cb.setCookies.filter((c) => c.includes('_session') && !/Max-Age=0/i.test(c)).map((c) => c.split(';')[0]).join('; ');
  return { cb, cookie };
}

describe('sessions of users in many groups, access token forwarded', () => {
  it('a session the gateway wrote is one its own listener accepts (no 431 lock-out)', async () => {
    await userInGroups('bob', 90, 40); // bob is in `staff` already: 91 groups of <= 40 characters
    const { cb, cookie } = await signInToCallback('bob', 'Bob-Passw0rd!');
    expect(cb.status).toBe(302);
    const next = await get(`${stack.url}/dashboard`, cookie);
    const logout = await get(`${stack.url}/_auth/logout`, cookie);
    expect(next.status, `session cookie ${cookie.length} bytes`).not.toBe(431);
    expect(logout.status, 'cannot even sign out').not.toBe(431);
  });

  it('a session too large for the cookie budget does not turn sign-in into a 500', async () => {
    await userInGroups('carol', 100, 60);
    const { cb } = await signInToCallback('carol', 'Carol-Passw0rd!');
    const err = stack.logs.map((l) => JSON.stringify(l)).filter((l) => l.includes('unhandled error')).pop();
    expect(cb.status, err).not.toBe(500);
  });
});
