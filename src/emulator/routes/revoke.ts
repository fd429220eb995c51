import { Hono } from 'hono';
import type { EmulatorContext } from '../context';
import { authenticateClient } from '../oauth/client-auth';
import { isFormContentType, parseSingleValuedForm } from '../oauth/form';
import { revokeRefreshToken } from '../oauth/revocation';

/**
 * POST /oauth2/revoke: revokes a refresh token and every token minted from it (same origin_jti).
 * 200 with an empty body, also for an unknown or already-revoked token.
 */
export function revokeRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const { state } = ctx;

  app.post('/oauth2/revoke', async (c) => {
    const fail = (error: string) => c.json({ error }, 400);
    if (!isFormContentType(c.req.header('content-type'))) return fail('invalid_request');
    const parsed = parseSingleValuedForm(await c.req.text());
    if (!parsed.ok) return fail('invalid_request');
    const auth = authenticateClient(state, c.req.header('authorization'), parsed.params);
    if (!auth.ok) return fail(auth.error);
    const token = parsed.params.get('token');
    if (!token) return fail('invalid_request');
    if (!auth.client.settings.enableTokenRevocation) return fail('unauthorized_client');
    if (token.split('.').length === 3) return fail('unsupported_token_type'); // an access or ID token
    const result = revokeRefreshToken(state, auth.client.settings.id, token);
    if (result === 'other-client') return fail('unauthorized_client');
    return c.body(null, 200);
  });

  return app;
}
