import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { EmulatorContext } from '../context';
import { signJwt } from '../keys';
import { authenticateClient } from '../oauth/client-auth';
import { isFormContentType, parseSingleValuedForm } from '../oauth/form';
import { verifyS256 } from '../oauth/pkce';
import { redeemRefreshToken } from '../oauth/refresh';
import type { ClientRecord } from '../state';
import { machineTokenClaims, mintUserTokens, startSession, tokenIssuerOf } from '../tokens';

export type TokenError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

type TokenAnswer = { status: ContentfulStatusCode; body: Record<string, unknown> };
const fail = (error: TokenError): TokenAnswer => ({ status: 400, body: { error } });

const NO_STORE = { 'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate', Pragma: 'no-cache' };

/** POST /oauth2/token: authorization_code (PKCE S256), refresh_token (rotation), client_credentials. */
export function tokenRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const nowSeconds = () => Math.floor(state.now() / 1000);

  const authorizationCodeGrant = (client: ClientRecord, params: Map<string, string>): TokenAnswer => {
    if (!client.settings.allowedOAuthFlows.includes('code')) return fail('unauthorized_client');
    const code = params.get('code');
    const redirectUri = params.get('redirect_uri');
    if (!code || !redirectUri) return fail('invalid_request');
    const issued = state.codes.get(code);
    state.codes.delete(code); // single use, even when the exchange fails
    if (!issued || state.now() >= issued.expiresAt || issued.clientId !== client.settings.id) return fail('invalid_grant');
    if (issued.redirectUri !== redirectUri) return fail('invalid_grant');
    const verifier = params.get('code_verifier');
    if (issued.codeChallenge !== undefined) {
      if (!verifier || !verifyS256(verifier, issued.codeChallenge)) return fail('invalid_grant');
    } else if (verifier !== undefined) {
      return fail('invalid_grant');
    }
    const pool = state.pool(issued.poolId);
    const user = pool && state.userBySub(pool, issued.sub);
    if (!pool || !user?.enabled) return fail('invalid_grant');
    const { session, refreshToken } = startSession(state, pool, client, user, issued.scopes, issued.authTime);
    const tokens = mintUserTokens(
      { issuer: tokenIssuerOf(ctx.baseUrl, pool), pool, client, user, session, nowSeconds: nowSeconds(), nonce: issued.nonce },
      issued.scopes.includes('openid'),
    );
    return {
      status: 200,
      body: {
        ...(tokens.idToken ? { id_token: tokens.idToken } : {}),
        access_token: tokens.accessToken,
        refresh_token: refreshToken,
        expires_in: tokens.expiresIn,
        token_type: 'Bearer',
      },
    };
  };

  const refreshTokenGrant = (client: ClientRecord, params: Map<string, string>): TokenAnswer => {
    const token = params.get('refresh_token');
    if (!token) return fail('invalid_request');
    const outcome = redeemRefreshToken(state, client, token, client.settings.refreshTokenRotation);
    if (!outcome.ok) return fail('invalid_grant');
    const { pool, user, session } = outcome;
    const tokens = mintUserTokens(
      { issuer: tokenIssuerOf(ctx.baseUrl, pool), pool, client, user, session, nowSeconds: nowSeconds() },
      // Sessions from AdminInitiateAuth (scope aws.cognito.signin.user.admin) always get ID tokens.
      session.scopes.includes('openid') || session.scopes.includes('aws.cognito.signin.user.admin'),
    );
    return {
      status: 200,
      body: {
        ...(tokens.idToken ? { id_token: tokens.idToken } : {}),
        access_token: tokens.accessToken,
        ...(outcome.rotatedRefreshToken ? { refresh_token: outcome.rotatedRefreshToken } : {}),
        expires_in: tokens.expiresIn,
        token_type: 'Bearer',
      },
    };
  };

  const clientCredentialsGrant = (client: ClientRecord, params: Map<string, string>): TokenAnswer => {
    if (client.settings.secret === undefined) return fail('invalid_client');
    if (!client.settings.allowedOAuthFlows.includes('client_credentials')) return fail('unauthorized_client');
    const custom = client.settings.allowedScopes.filter((s) => s.includes('/'));
    const requested = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const scopes = requested.length === 0 ? custom : [...new Set(requested)];
    if (scopes.length === 0 || !scopes.every((s) => custom.includes(s))) return fail('invalid_scope');
    const pool = state.pool(client.poolId)!;
    const accessToken = signJwt(pool.keys.signingKey('access'), machineTokenClaims(tokenIssuerOf(ctx.baseUrl, pool), client, scopes, nowSeconds()));
    return { status: 200, body: { access_token: accessToken, expires_in: client.settings.accessTokenValidity, token_type: 'Bearer' } };
  };

  const answer = (c: Context, a: TokenAnswer) => c.json(a.body, a.status, NO_STORE);

  app.post('/oauth2/token', async (c) => {
    if (state.tokenEndpointDelayMs > 0) await new Promise((r) => setTimeout(r, state.tokenEndpointDelayMs));
    if (!isFormContentType(c.req.header('content-type'))) return answer(c, fail('invalid_request'));
    const parsed = parseSingleValuedForm(await c.req.text());
    if (!parsed.ok) return answer(c, fail('invalid_request'));
    const params = parsed.params;
    const grantType = params.get('grant_type');
    if (!grantType) return answer(c, fail('invalid_request'));
    const grants: Record<string, (client: ClientRecord, p: Map<string, string>) => TokenAnswer> = {
      authorization_code: authorizationCodeGrant,
      refresh_token: refreshTokenGrant,
      client_credentials: clientCredentialsGrant,
    };
    const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
    if (!grant) return answer(c, fail('unsupported_grant_type'));
    const auth = authenticateClient(state, c.req.header('authorization'), params);
    if (!auth.ok) return answer(c, fail(auth.error));
    state.tokenGrants.set(grantType, (state.tokenGrants.get(grantType) ?? 0) + 1);
    return answer(c, grant(auth.client, params));
  });

  return app;
}
