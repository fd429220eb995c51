/**
 * The emulator under bad input and its test hooks: garbage on every endpoint gets a 4xx or a
 * redirect, never a 5xx; the user-enabled, client-settings, token-endpoint-delay (the answer waits on
 * one timer of the configured length, spied) and jwks-available hooks change behaviour over HTTP; the
 * request log holds method, path and status, never passwords, secrets, codes or tokens.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signInWithPassword, startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { authorizeUrl, basic, CALLBACK, GATEWAY, PASSWORDS, POOL, postForm, signIn } from './helpers';

let emu: RunningEmulator;
const logLines: string[] = [];
beforeAll(async () => {
  // Collect the emulator's request log (it writes through console.log) to check what it logs.
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void logLines.push(String(line)));
  emu = await startEmulator({ port: 0, log: true });
});
afterAll(async () => {
  await emu.close();
  vi.restoreAllMocks();
});

async function status(url: string, init?: RequestInit): Promise<number> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  await res.arrayBuffer();
  return res.status;
}

describe('bad input never crashes the emulator', () => {
  it('answers garbage on every endpoint with a 4xx (or a redirect), never a 5xx', async () => {
    const ui = emu.hostedUiBase;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const requests: Array<[string, RequestInit?]> = [
      [`${ui}/oauth2/authorize`],
      [`${ui}/oauth2/authorize?client_id=%ff%fe&redirect_uri=%zz`],
      [`${ui}/oauth2/authorize?${new URLSearchParams({ client_id: GATEWAY.id, redirect_uri: CALLBACK, response_type: 'code', scope: '\u0000\u202e' })}`],
      [`${ui}/login?client_id=demo-gateway`],
      [
        `${ui}/login?client_id=demo-gateway&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code`,
        { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\ngarbage' },
      ],
      [`${ui}/oauth2/idpresponse`],
      [`${ui}/oauth2/idpresponse?code=&state=`],
      [`${emu.url}/_idp/PartnerIdP/authorize?client_id=cognito-${POOL}&redirect_uri=javascript:alert(1)`],
      [`${emu.url}/_idp/Nope/authorize`, { method: 'POST', body: 'x' }],
      [`${ui}/logout`],
      [`${ui}/logout?client_id=demo-gateway&logout_uri=%`],
      [`${ui}/error?error=<script>`],
      [`${ui}/oauth2/token`, { method: 'POST', headers: { ...form, authorization: 'Basic !!!' }, body: 'grant_type=client_credentials' }],
      [`${ui}/oauth2/token`, { method: 'POST', headers: { ...form, authorization: 'Basic Og==' }, body: 'grant_type=refresh_token&refresh_token=x' }],
      [`${ui}/oauth2/token`, { method: 'POST', headers: form, body: '%zz=%zz&grant_type=%E0%A4%A' }],
      [`${ui}/oauth2/token`, { method: 'POST', headers: form, body: 'grant_type=constructor&client_id=__proto__' }],
      [`${ui}/oauth2/token`, { method: 'POST', headers: form, body: 'grant_type=authorization_code&client_id=demo-spa&code=toString&redirect_uri=x' }],
      [`${ui}/oauth2/userInfo`, { headers: { authorization: 'Bearer a.b.c' } }],
      [`${ui}/oauth2/userInfo`, { headers: { authorization: `Bearer e30.${Buffer.from(JSON.stringify({ iss: emu.issuer(POOL) })).toString('base64url')}.x` } }],
      [`${ui}/oauth2/userInfo`, { headers: { authorization: 'Basic x' } }],
      [`${ui}/oauth2/revoke`, { method: 'POST', headers: form, body: 'token=' }],
      [`${ui}/oauth2/revoke`, { method: 'POST', body: 'token=x' }],
      [
        `${emu.url}/`,
        {
          method: 'POST',
          headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUsers' },
          body: JSON.stringify({ UserPoolId: POOL, Filter: 'email = "unterminated', PaginationToken: '!!' }),
        },
      ],
      [
        `${emu.url}/`,
        {
          method: 'POST',
          headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminCreateUser' },
          body: JSON.stringify({ UserPoolId: POOL, Username: 'z', UserAttributes: 'nope' }),
        },
      ],
      [
        `${emu.url}/`,
        {
          method: 'POST',
          headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminInitiateAuth' },
          body: JSON.stringify({ UserPoolId: POOL, ClientId: GATEWAY.id, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: [] }),
        },
      ],
      [
        `${emu.url}/`,
        {
          method: 'POST',
          headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.UpdateUserPoolClient' },
          body: JSON.stringify({ UserPoolId: POOL, ClientId: GATEWAY.id, TokenValidityUnits: { AccessToken: 'weeks' } }),
        },
      ],
      [`${emu.url}/`, { method: 'POST', headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.toString' }, body: '{}' }],
      [
        `${emu.url}/_emulator/client-settings`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ poolId: POOL, clientId: GATEWAY.id, patch: { accessTokenValidity: 'soon' } }),
        },
      ],
      [`${emu.url}/_emulator/rotate-keys`, { method: 'POST', body: 'not json' }],
      [`${emu.url}/us-east-1_DemoPool1/.well-known/nope`],
    ];
    for (const [url, init] of requests) {
      const s = await status(url, init);
      expect(s, `${init?.method ?? 'GET'} ${url}`).toBeGreaterThanOrEqual(200);
      expect(s, `${init?.method ?? 'GET'} ${url}`).toBeLessThan(500);
    }
    // The error page escapes what it echoes.
    expect(await (await fetch(`${ui}/error?error=<script>`)).text()).not.toContain('<script>');
    // Still serving, and the demo client was not changed by the rejected settings.
    const t = await signIn(emu, 'alice');
    expect(t.expires_in).toBe(3600);
  });
});

describe('HTTP test hooks', () => {
  const hook = (name: string, body: unknown) =>
    fetch(`${emu.url}/_emulator/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('user-enabled and client-settings change behaviour', async () => {
    expect((await hook('user-enabled', { poolId: POOL, username: 'bob', enabled: false })).status).toBe(200);
    await expect(signInWithPassword(authorizeUrl(emu, {}), 'bob', PASSWORDS.bob!)).rejects.toThrow('User is disabled.');
    expect((await hook('user-enabled', { poolId: POOL, username: 'bob', enabled: true })).status).toBe(200);
    expect((await hook('user-enabled', { poolId: POOL, username: 'nobody', enabled: true })).status).toBe(404);

    expect((await hook('client-settings', { poolId: POOL, clientId: GATEWAY.id, patch: { accessTokenValidity: 120 } })).status).toBe(200);
    expect((await signIn(emu, 'bob')).expires_in).toBe(120);
    await hook('client-settings', { poolId: POOL, clientId: GATEWAY.id, patch: { accessTokenValidity: 3600 } });
  });

  it('token-endpoint-delay and jwks-available', async () => {
    // The delay is a timer the token endpoint waits on: watch the timers it sets (they still run
    // for real), with a length nothing else in the process uses.
    const DELAY_MS = 237;
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const delays = () => timers.mock.calls.filter(([, ms]) => ms === DELAY_MS).length;
    const machineToken = () =>
      postForm(`${emu.hostedUiBase}/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-machine', 'demo-machine-secret') });
    try {
      expect((await hook('token-endpoint-delay', { ms: DELAY_MS })).status).toBe(200);
      const delayed = await machineToken();
      expect(delayed.status).toBe(200);
      expect(delayed.json.token_type).toBe('Bearer');
      expect(delays(), 'the answer waited on one timer of the configured delay').toBe(1);
      expect((await hook('token-endpoint-delay', { ms: 0 })).status).toBe(200);
      expect((await machineToken()).status).toBe(200);
      expect(delays(), 'no delay once it is set back to 0').toBe(1);
    } finally {
      timers.mockRestore();
      await hook('token-endpoint-delay', { ms: 0 });
    }
    expect((await hook('jwks-available', { poolId: POOL, up: false })).status).toBe(200);
    expect(await status(`${emu.issuer(POOL)}/.well-known/jwks.json`)).toBe(503);
    await hook('jwks-available', { poolId: POOL, up: true });
    expect(await status(`${emu.issuer(POOL)}/.well-known/jwks.json`)).toBe(200);
  });
});

describe('request log', () => {
  it('logs method, path and status, never passwords, secrets, codes or tokens', async () => {
    const t = await signIn(emu, 'carol');
    await postForm(`${emu.hostedUiBase}/oauth2/revoke`, { token: t.refresh_token! }, { authorization: basic(GATEWAY.id, GATEWAY.secret) });
    const all = logLines.join('\n');
    expect(all).toContain('"path":"/oauth2/token"');
    expect(all).toContain('"status":302');
    for (const secret of [PASSWORDS.carol!, GATEWAY.secret, t.access_token, t.refresh_token!, t.id_token!, 'code=', 'state=']) {
      expect(all).not.toContain(secret);
    }
  });
});
