import { createHash } from 'node:crypto';
import { newRefreshToken, newUuid } from './ids';
import { signJwt } from './keys';
import type { AuthSession, ClientRecord, EmulatorState, PoolState, UserRecord } from './state';

/** Token claims shaped like Cognito's (see /work/shared/cognito-wire-reference.md, "Tokens"). */

export const issuerOf = (baseUrl: string, poolId: string): string => `${baseUrl}/${poolId}`;

/** Cognito's global issuer form, which aws-jwt-verify also accepts for a pool. */
export const globalIssuerOf = (region: string, poolId: string): string => `https://issuer-cognito-idp.${region}.amazonaws.com/${poolId}`;

/** The `iss` the pool's tokens carry: the emulator's own URL, or the global form when the seed asks. */
export const tokenIssuerOf = (baseUrl: string, pool: Pick<PoolState, 'id' | 'region' | 'issuerForm'>): string =>
  pool.issuerForm === 'global' ? globalIssuerOf(pool.region, pool.id) : issuerOf(baseUrl, pool.id);

/** Attributes Cognito puts in ID tokens as booleans rather than strings. */
const BOOLEAN_ATTRIBUTES = new Set(['email_verified', 'phone_number_verified']);

/** Groups the user belongs to that still exist, in precedence order (absent precedence last). */
export function groupsOf(pool: PoolState, user: UserRecord): string[] {
  return [...user.groups]
    .filter((g) => pool.groups.has(g))
    .sort((a, b) => (pool.groups.get(a)!.precedence ?? Infinity) - (pool.groups.get(b)!.precedence ?? Infinity));
}

/** `identities` as the ID token carries it: `primary` and `dateCreated` become strings. */
function identitiesClaim(json: string): unknown {
  try {
    const list = JSON.parse(json) as Array<Record<string, unknown>>;
    return list.map((i) => ({
      dateCreated: String(i.dateCreated),
      userId: i.userId,
      providerName: i.providerName,
      providerType: i.providerType,
      issuer: i.issuer ?? null,
      primary: String(i.primary),
    }));
  } catch {
    return [];
  }
}

/** The user's attributes as ID-token claims. */
export function attributeClaims(user: UserRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(user.attributes)) {
    if (name === 'sub') continue;
    if (name === 'identities') out.identities = identitiesClaim(value);
    else if (BOOLEAN_ATTRIBUTES.has(name)) out[name] = value === 'true';
    else out[name] = value;
  }
  return out;
}

/** Left half of SHA-256 of the access token, base64url (OIDC at_hash for RS256). */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

export interface UserTokenContext {
  issuer: string;
  pool: PoolState;
  client: ClientRecord;
  user: UserRecord;
  session: Pick<AuthSession, 'originJti' | 'authTime' | 'scopes'>;
  nowSeconds: number;
  nonce?: string;
}

export function accessTokenClaims(ctx: UserTokenContext, eventId: string): Record<string, unknown> {
  const groups = groupsOf(ctx.pool, ctx.user);
  const pre = ctx.pool.preTokenGeneration?.accessToken;
  const scopes = [...new Set([...ctx.session.scopes, ...(pre?.addScopes ?? [])])];
  return {
    // Added first so Cognito's own claims keep their place; reserved names are refused by the seed.
    ...pre?.addClaims,
    sub: ctx.user.sub,
    ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
    iss: ctx.issuer,
    version: 2,
    client_id: ctx.client.settings.id,
    origin_jti: ctx.session.originJti,
    event_id: eventId,
    token_use: 'access',
    scope: scopes.join(' '),
    auth_time: ctx.session.authTime,
    exp: ctx.nowSeconds + ctx.client.settings.accessTokenValidity,
    iat: ctx.nowSeconds,
    jti: newUuid(),
    username: ctx.user.username,
  };
}

export function idTokenClaims(ctx: UserTokenContext, eventId: string, accessToken: string): Record<string, unknown> {
  const groups = groupsOf(ctx.pool, ctx.user);
  return {
    at_hash: atHash(accessToken),
    sub: ctx.user.sub,
    ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
    iss: ctx.issuer,
    'cognito:username': ctx.user.username,
    ...(ctx.nonce !== undefined ? { nonce: ctx.nonce } : {}),
    origin_jti: ctx.session.originJti,
    aud: ctx.client.settings.id,
    event_id: eventId,
    token_use: 'id',
    auth_time: ctx.session.authTime,
    exp: ctx.nowSeconds + ctx.client.settings.idTokenValidity,
    iat: ctx.nowSeconds,
    jti: newUuid(),
    ...attributeClaims(ctx.user),
    ...ctx.pool.preTokenGeneration?.idToken.addClaims,
  };
}

export interface MintedUserTokens {
  accessToken: string;
  idToken?: string;
  expiresIn: number;
}

/** Signs an access token and, when wanted, an ID token (with different keys, as Cognito does). */
export function mintUserTokens(ctx: UserTokenContext, withIdToken: boolean): MintedUserTokens {
  const eventId = newUuid();
  const accessToken = signJwt(ctx.pool.keys.signingKey('access'), accessTokenClaims(ctx, eventId));
  const idToken = withIdToken ? signJwt(ctx.pool.keys.signingKey('id'), idTokenClaims(ctx, eventId, accessToken)) : undefined;
  return { accessToken, idToken, expiresIn: ctx.client.settings.accessTokenValidity };
}

export function machineTokenClaims(issuer: string, client: ClientRecord, scopes: string[], nowSeconds: number): Record<string, unknown> {
  return {
    sub: client.settings.id,
    token_use: 'access',
    scope: scopes.join(' '),
    auth_time: nowSeconds,
    iss: issuer,
    exp: nowSeconds + client.settings.accessTokenValidity,
    iat: nowSeconds,
    version: 2,
    jti: newUuid(),
    client_id: client.settings.id,
  };
}

/** Starts an auth session (one sign-in) and issues its first refresh token. */
export function startSession(
  state: EmulatorState,
  pool: PoolState,
  client: ClientRecord,
  user: UserRecord,
  scopes: string[],
  authTime: number,
): { session: AuthSession; refreshToken: string } {
  state.pruneExpired();
  const session: AuthSession = {
    originJti: newUuid(),
    poolId: pool.id,
    clientId: client.settings.id,
    sub: user.sub,
    scopes,
    authTime,
    expiresAt: state.now() + client.settings.refreshTokenValidity * 1000,
    revoked: false,
  };
  state.sessions.set(session.originJti, session);
  const refreshToken = newRefreshToken();
  state.refreshTokens.set(refreshToken, { originJti: session.originJti });
  return { session, refreshToken };
}
