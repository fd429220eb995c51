import { Hono, type Context } from 'hono';
import type { EmulatorContext } from '../context';
import { peekClaims, verifyJwt } from '../keys';
import { tokenIssuerOf } from '../tokens';

/**
 * GET/POST /oauth2/userInfo (case-sensitive, as Cognito has it): the user's attributes as strings for
 * an access token with the `openid` scope. 401 once the token expired, was revoked, or its user signed
 * out globally or was disabled.
 */
export function userInfoRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const { state } = ctx;

  const reject = (c: Context, description: string, error = 'invalid_token', status: 401 | 403 = 401) =>
    c.json({ error, error_description: description }, status, {
      'WWW-Authenticate': `Bearer error="${error}", error_description="${description}"`,
    });

  const handler = (c: Context) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!m) return reject(c, 'Access token is missing');
    const token = m[1]!;
    const iss = peekClaims(token)?.iss;
    const pool = [...state.pools.values()].find((p) => tokenIssuerOf(ctx.baseUrl, p) === iss);
    if (!pool) return reject(c, 'Invalid access token');
    const check = verifyJwt(pool.keys, token);
    if (!check.ok) return reject(c, 'Invalid access token');
    const claims = check.claims;
    if (claims.token_use !== 'access' || typeof claims.username !== 'string') return reject(c, 'Invalid access token');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= state.now()) return reject(c, 'Access token has expired');
    if (typeof claims.origin_jti !== 'string' || !state.sessionLive(claims.origin_jti)) return reject(c, 'Access token has been revoked');
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes('openid')) return reject(c, 'Access token does not have the openid scope', 'insufficient_scope', 403);
    const user = typeof claims.sub === 'string' ? state.userBySub(pool, claims.sub) : undefined;
    if (!user) return reject(c, 'User does not exist.');
    if (!user.enabled) return reject(c, 'User is disabled.');
    return c.json({ sub: user.sub, ...user.attributes, username: user.username });
  };

  app.get('/oauth2/userInfo', handler);
  app.post('/oauth2/userInfo', handler);
  return app;
}
