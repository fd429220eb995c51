/**
 * The emulator's /oauth2/token, /oauth2/userInfo and /oauth2/revoke, on a stubbed clock:
 * authorization_code (single use, PKCE S256, same redirect_uri, client authentication by Basic or post,
 * public clients, 5-minute codes, Cognito's error answers, disabled users), client_credentials (only the
 * requested custom scopes), refresh_token (rotation with a grace period, or none; lifetimes from the
 * client settings; group changes in the next tokens; bound to its client; disabled users), userInfo,
 * revoke and global sign-out killing what they should; the token-endpoint delay hook (one timer of
 * that length, spied); pruning of dead refresh tokens.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { basic, CALLBACK, claimsOf, codeFor, GATEWAY, offsetClock, pkce, POOL, postForm, refresh, signIn } from './helpers';

let emu: RunningEmulator;
const clock = offsetClock();
beforeAll(async () => {
  emu = await startEmulator({ port: 0, now: clock.now });
});
afterAll(() => emu.close());

const tokenUrl = () => `${emu.hostedUiBase}/oauth2/token`;
const gatewayAuth = { authorization: basic(GATEWAY.id, GATEWAY.secret) };
const exchange = (form: Record<string, string>, headers: Record<string, string> = gatewayAuth) =>
  postForm(tokenUrl(), { grant_type: 'authorization_code', redirect_uri: CALLBACK, ...form }, headers);
const userInfo = (accessToken: string, path = '/oauth2/userInfo') =>
  fetch(`${emu.hostedUiBase}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });

describe('authorization_code', () => {
  it('exchanges a code once (PKCE S256); a replay is invalid_grant', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(emu, 'alice', { code_challenge: challenge, code_challenge_method: 'S256' });
    const ok = await exchange({ code, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.json)).toEqual(['id_token', 'access_token', 'refresh_token', 'expires_in', 'token_type']);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(ok.headers.get('cache-control')).toContain('no-store');
    const replay = await exchange({ code, code_verifier: verifier });
    expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('fails PKCE with a wrong or missing verifier', async () => {
    const { challenge } = pkce();
    for (const verifier of [pkce().verifier, undefined]) {
      const code = await codeFor(emu, 'alice', { code_challenge: challenge, code_challenge_method: 'S256' });
      const res = await exchange({ code, ...(verifier ? { code_verifier: verifier } : {}) });
      expect(res.json).toEqual({ error: 'invalid_grant' });
    }
  });

  it('needs the same redirect_uri as the authorize request', async () => {
    const code = await codeFor(emu, 'bob');
    const res = await exchange({ code, redirect_uri: 'http://localhost:8787/_auth/callback' });
    expect(res.json).toEqual({ error: 'invalid_grant' });
  });

  it('rejects a wrong client secret, an unknown client and a missing secret as invalid_client', async () => {
    const code = await codeFor(emu, 'bob');
    for (const headers of [{ authorization: basic(GATEWAY.id, 'wrong') }, { authorization: basic('nope', 'x') }, { authorization: basic(GATEWAY.id, '') }]) {
      expect((await exchange({ code }, headers)).json).toEqual({ error: 'invalid_client' });
    }
  });

  it('accepts client_secret_post', async () => {
    const code = await codeFor(emu, 'bob');
    const res = await exchange({ code, client_id: GATEWAY.id, client_secret: GATEWAY.secret }, {});
    expect(res.status).toBe(200);
  });

  it('a public client sends only client_id', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(emu, 'carol', { client_id: 'demo-spa', code_challenge: challenge, code_challenge_method: 'S256' });
    const res = await exchange({ code, client_id: 'demo-spa', code_verifier: verifier }, {});
    expect(res.status).toBe(200);
    expect(claimsOf(res.json.id_token as string).aud).toBe('demo-spa');
  });

  it('codes expire after 5 minutes', async () => {
    const code = await codeFor(emu, 'bob');
    clock.advance(5 * 60_000 + 1000);
    expect((await exchange({ code })).json).toEqual({ error: 'invalid_grant' });
  });

  it('answers malformed requests with Cognito errors', async () => {
    expect((await postForm(tokenUrl(), {}, gatewayAuth)).json).toEqual({ error: 'invalid_request' });
    expect((await postForm(tokenUrl(), { grant_type: 'password' }, gatewayAuth)).json).toEqual({ error: 'unsupported_grant_type' });
    const json = await fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request' });
    const dup = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...gatewayAuth },
      body: 'grant_type=authorization_code&code=a&code=b&redirect_uri=x',
    });
    expect(await dup.json()).toEqual({ error: 'invalid_request' });
  });

  it('a disabled user cannot redeem a code issued before', async () => {
    const code = await codeFor(emu, 'carol');
    emu.setUserEnabled(POOL, 'carol', false);
    try {
      expect((await exchange({ code })).json).toEqual({ error: 'invalid_grant' });
    } finally {
      emu.setUserEnabled(POOL, 'carol', true);
    }
  });
});

describe('client_credentials', () => {
  const machine = { authorization: basic('demo-machine', 'demo-machine-secret') };
  it('issues an access token with the requested custom scopes only', async () => {
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'demo-api/read' }, machine);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(claimsOf(res.json.access_token as string)).toMatchObject({ sub: 'demo-machine', client_id: 'demo-machine', scope: 'demo-api/read' });
    const all = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, machine);
    expect(claimsOf(all.json.access_token as string).scope).toBe('demo-api/read demo-api/write');
  });

  it('refuses without the secret, with unknown scopes, and for clients without the flow', async () => {
    expect((await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: 'demo-machine' })).json).toEqual({ error: 'invalid_client' });
    expect((await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'openid' }, machine)).json).toEqual({ error: 'invalid_scope' });
    expect((await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: 'demo-spa' })).json).toEqual({ error: 'invalid_client' });
    expect((await postForm(tokenUrl(), { grant_type: 'client_credentials' }, gatewayAuth)).json).toEqual({ error: 'unauthorized_client' });
  });
});

describe('refresh_token', () => {
  it('rotation: a new refresh token each time; the old one works during the grace period, then dies', async () => {
    const first = await signIn(emu, 'alice');
    const r1 = await refresh(emu, first.refresh_token!);
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).toBeTruthy();
    expect(r1.json.refresh_token).not.toBe(first.refresh_token);
    const id = claimsOf(r1.json.id_token as string);
    expect(id.auth_time).toBe(claimsOf(first.id_token!).auth_time);
    expect(id.origin_jti).toBe(claimsOf(first.id_token!).origin_jti);
    expect(id).not.toHaveProperty('nonce');
    // Within the 10 s grace period the old token still works.
    clock.advance(5_000);
    expect((await refresh(emu, first.refresh_token!)).status).toBe(200);
    clock.advance(6_000);
    expect((await refresh(emu, first.refresh_token!)).json).toEqual({ error: 'invalid_grant' });
    expect((await refresh(emu, r1.json.refresh_token as string)).status).toBe(200);
  });

  it('without rotation: no refresh_token in the answer, and the old one keeps working', async () => {
    emu.setClientSettings(POOL, GATEWAY.id, { refreshTokenRotation: false });
    try {
      const first = await signIn(emu, 'bob');
      const r1 = await refresh(emu, first.refresh_token!);
      expect(r1.status).toBe(200);
      expect(r1.json).not.toHaveProperty('refresh_token');
      expect((await refresh(emu, first.refresh_token!)).status).toBe(200);
    } finally {
      emu.setClientSettings(POOL, GATEWAY.id, { refreshTokenRotation: true });
    }
  });

  it('uses lifetimes from setClientSettings; refresh tokens expire', async () => {
    emu.setClientSettings(POOL, GATEWAY.id, { accessTokenValidity: 5, idTokenValidity: 7, refreshTokenValidity: 60 });
    try {
      const t = await signIn(emu, 'bob');
      expect(t.expires_in).toBe(5);
      const a = claimsOf(t.access_token);
      expect((a.exp as number) - (a.iat as number)).toBe(5);
      const i = claimsOf(t.id_token!);
      expect((i.exp as number) - (i.iat as number)).toBe(7);
      clock.advance(61_000);
      expect((await refresh(emu, t.refresh_token!)).json).toEqual({ error: 'invalid_grant' });
    } finally {
      emu.setClientSettings(POOL, GATEWAY.id, { accessTokenValidity: 3600, idTokenValidity: 3600, refreshTokenValidity: 30 * 86400 });
    }
  });

  it('group changes show up in the tokens of the next refresh', async () => {
    const t = await signIn(emu, 'carol');
    expect(claimsOf(t.id_token!)).not.toHaveProperty('cognito:groups');
    const admin = (target: string, body: object) =>
      fetch(emu.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${target}` },
        body: JSON.stringify(body),
      });
    expect((await admin('AdminAddUserToGroup', { UserPoolId: POOL, Username: 'carol', GroupName: 'staff' })).status).toBe(200);
    try {
      const r = await refresh(emu, t.refresh_token!);
      expect(claimsOf(r.json.id_token as string)['cognito:groups']).toEqual(['staff']);
      expect(claimsOf(r.json.access_token as string)['cognito:groups']).toEqual(['staff']);
    } finally {
      await admin('AdminRemoveUserFromGroup', { UserPoolId: POOL, Username: 'carol', GroupName: 'staff' });
    }
  });

  it('a refresh token only works for its own client', async () => {
    const t = await signIn(emu, 'bob');
    const res = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: 'demo-spa', refresh_token: t.refresh_token! });
    expect(res.json).toEqual({ error: 'invalid_grant' });
  });

  it('a disabled user cannot refresh', async () => {
    const t = await signIn(emu, 'carol');
    emu.setUserEnabled(POOL, 'carol', false);
    try {
      expect((await refresh(emu, t.refresh_token!)).json).toEqual({ error: 'invalid_grant' });
    } finally {
      emu.setUserEnabled(POOL, 'carol', true);
    }
  });
});

describe('revoke, userInfo, global sign-out', () => {
  it('userInfo answers attribute strings; the path is case-sensitive', async () => {
    const t = await signIn(emu, 'carol');
    const res = await userInfo(t.access_token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      sub: claimsOf(t.access_token).sub,
      email: 'carol@partner.example',
      email_verified: 'true',
      'custom:tenant': 'partner-co',
      username: 'carol',
    });
    expect((await userInfo(t.access_token, '/oauth2/userinfo')).status).toBe(404);
    const bad = await userInfo(`${t.access_token.slice(0, -4)}AAAA`);
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await userInfo(t.id_token!)).status).toBe(401);
  });

  it('userInfo rejects expired access tokens', async () => {
    const t = await signIn(emu, 'bob');
    clock.advance(3601_000);
    expect((await userInfo(t.access_token)).status).toBe(401);
  });

  it('revoke: 200 with an empty body; the refresh token and tokens minted from it die', async () => {
    const t = await signIn(emu, 'bob');
    const r = await refresh(emu, t.refresh_token!);
    const res = await fetch(`${emu.hostedUiBase}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...gatewayAuth },
      body: new URLSearchParams({ token: t.refresh_token! }).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect((await refresh(emu, t.refresh_token!)).json).toEqual({ error: 'invalid_grant' });
    expect((await refresh(emu, r.json.refresh_token as string)).json).toEqual({ error: 'invalid_grant' });
    expect((await userInfo(r.json.access_token as string)).status).toBe(401);
    // Unknown or already revoked: still 200.
    for (const token of [t.refresh_token!, 'unknown-token']) {
      const again = await postForm(`${emu.hostedUiBase}/oauth2/revoke`, { token }, gatewayAuth);
      expect(again.status).toBe(200);
    }
    const wrongSecret = await postForm(`${emu.hostedUiBase}/oauth2/revoke`, { token: 'x' }, { authorization: basic(GATEWAY.id, 'no') });
    expect(wrongSecret.json).toEqual({ error: 'invalid_client' });
  });

  it('global sign-out kills refresh tokens and userInfo for existing access tokens', async () => {
    const t = await signIn(emu, 'alice');
    expect((await userInfo(t.access_token)).status).toBe(200);
    const res = await fetch(emu.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminUserGlobalSignOut' },
      body: JSON.stringify({ UserPoolId: POOL, Username: 'alice' }),
    });
    expect(res.status).toBe(200);
    expect((await refresh(emu, t.refresh_token!)).json).toEqual({ error: 'invalid_grant' });
    expect((await userInfo(t.access_token)).status).toBe(401);
    // A new sign-in works again.
    const again = await signIn(emu, 'alice');
    expect((await userInfo(again.access_token)).status).toBe(200);
  });

  it('the token endpoint delay hook makes the token endpoint wait on a timer of that length', async () => {
    // Timers are spied, not faked (they still run): the answer waited on exactly one of 311 ms.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    emu.setTokenEndpointDelay(311);
    try {
      const res = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { authorization: basic('demo-machine', 'demo-machine-secret') });
      expect(res.status).toBe(200);
      expect(timers.mock.calls.filter(([, ms]) => ms === 311).length).toBe(1);
    } finally {
      timers.mockRestore();
      emu.setTokenEndpointDelay(0);
    }
  });
});

describe('housekeeping', () => {
  it('prunes dead refresh tokens after their grace period without touching live ones', async () => {
    const t = await signIn(emu, 'bob');
    const r = await refresh(emu, t.refresh_token!);
    clock.advance(61_000); // past the grace period and the prune interval
    await signIn(emu, 'bob'); // a new session triggers pruning
    expect((await refresh(emu, t.refresh_token!)).json).toEqual({ error: 'invalid_grant' });
    expect((await refresh(emu, r.json.refresh_token as string)).status).toBe(200);
  });
});
