/**
 * Helpers for the emulator tests: the demo pool's fixed values, PKCE, Basic auth, authorize URLs, form
 * posts, a code-and-tokens sign-in over HTTP, refresh, JWT claim/header decoding (no verification) and
 * an offset clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { signInWithPassword, type RunningEmulator } from '../../src/emulator/index';

/** Shared bits for the emulator's tests: plain fetch against a running emulator. */

export const POOL = 'us-east-1_DemoPool1';
export const CALLBACK = 'http://127.0.0.1:8787/_auth/callback';
export const GATEWAY = { id: 'demo-gateway', secret: 'demo-gateway-secret' };
export const PASSWORDS: Record<string, string> = {
  alice: 'Alice-Passw0rd!',
  bob: 'Bob-Passw0rd!',
  carol: 'Carol-Passw0rd!',
  dave: 'Dave-Passw0rd!',
  erin: 'Erin-Passw0rd!',
};

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export function authorizeUrl(emu: RunningEmulator, params: Record<string, string>): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: GATEWAY.id,
    redirect_uri: CALLBACK,
    scope: 'openid email profile',
    state: 'st4te',
    ...params,
  });
  return `${emu.hostedUiBase}/oauth2/authorize?${q}`;
}

export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** Signs a user in through the hosted UI and returns the authorization code. */
export async function codeFor(emu: RunningEmulator, username: string, params: Record<string, string> = {}): Promise<string> {
  const callback = new URL(await signInWithPassword(authorizeUrl(emu, params), username, PASSWORDS[username]!));
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.search}`);
  return code;
}

export interface TokenSet {
  id_token?: string;
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
}

/** Full sign-in for demo-gateway with PKCE: the token endpoint's answer. */
export async function signIn(emu: RunningEmulator, username: string, params: Record<string, string> = {}): Promise<TokenSet> {
  const { verifier, challenge } = pkce();
  const code = await codeFor(emu, username, { code_challenge: challenge, code_challenge_method: 'S256', ...params });
  const res = await postForm(
    `${emu.hostedUiBase}/oauth2/token`,
    { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
    { authorization: basic(GATEWAY.id, GATEWAY.secret) },
  );
  if (res.status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(res.json)}`);
  return res.json as unknown as TokenSet;
}

export function refresh(emu: RunningEmulator, refreshToken: string, client = GATEWAY) {
  return postForm(
    `${emu.hostedUiBase}/oauth2/token`,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { authorization: basic(client.id, client.secret) },
  );
}

export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A controllable clock for expiry tests (real time plus an offset). */
export function offsetClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}
