import { Hono } from 'hono';
import type { EmulatorContext } from '../context';
import { issuerOf } from '../tokens';

/** The discovery document Cognito publishes today (keys sorted; no code_challenge_methods_supported). */
export function discoveryDocument(issuer: string, hostedUiBase: string): Record<string, unknown> {
  return {
    authorization_endpoint: `${hostedUiBase}/oauth2/authorize`,
    end_session_endpoint: `${hostedUiBase}/logout`,
    id_token_signing_alg_values_supported: ['RS256'],
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ['code', 'token'],
    revocation_endpoint: `${hostedUiBase}/oauth2/revoke`,
    scopes_supported: ['openid', 'email', 'phone', 'profile'],
    subject_types_supported: ['public'],
    token_endpoint: `${hostedUiBase}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${hostedUiBase}/oauth2/userInfo`,
  };
}

/** `/{poolId}/.well-known/openid-configuration` and `/{poolId}/.well-known/jwks.json` on the issuer host. */
export function discoveryRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const noPool = (poolId: string) => ({ message: `User pool ${poolId} does not exist.` });

  app.get('/:poolId/.well-known/openid-configuration', (c) => {
    const poolId = c.req.param('poolId');
    if (!ctx.state.pool(poolId)) return c.json(noPool(poolId), 404);
    return c.json(discoveryDocument(issuerOf(ctx.baseUrl, poolId), ctx.hostedUiBase));
  });

  app.get('/:poolId/.well-known/jwks.json', (c) => {
    const poolId = c.req.param('poolId');
    const pool = ctx.state.pool(poolId);
    if (!pool) return c.json(noPool(poolId), 404);
    if (!pool.keys.jwksAvailable) return c.json({ message: 'Service Unavailable' }, 503);
    return c.json(pool.keys.jwks());
  });

  return app;
}
