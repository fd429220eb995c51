import { Hono } from 'hono';
import type { Logger } from '../log';
import type { EmulatorContext } from './context';
import type { EmulatorHooks } from './hooks';
import { newUuid } from './ids';
import { adminRoutes } from './routes/admin';
import { discoveryRoutes } from './routes/discovery';
import { federationRoutes } from './routes/federation';
import { hookRoutes } from './routes/hooks';
import { hostedUiRoutes } from './routes/hosted-ui';
import { revokeRoutes } from './routes/revoke';
import { tokenRoutes } from './routes/token';
import { userInfoRoutes } from './routes/userinfo';

/** The emulator's HTTP surface: one Hono app serving the issuer host and the hosted-UI host alike. */
export function createEmulatorApp(ctx: EmulatorContext, hooks: EmulatorHooks, log?: Logger): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    // Hosted-UI answers carry Cognito's request id header; the admin API sets x-amzn-RequestId itself.
    if (!c.res.headers.has('x-amzn-RequestId')) c.res.headers.set('x-amz-cognito-request-id', newUuid());
    // Path only: query strings carry codes and states, bodies carry passwords and tokens.
    log?.info('request', {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });

  app.route('/', hookRoutes(ctx, hooks));
  app.route('/', federationRoutes(ctx));
  app.route('/', hostedUiRoutes(ctx));
  app.route('/', tokenRoutes(ctx));
  app.route('/', userInfoRoutes(ctx));
  app.route('/', revokeRoutes(ctx));
  app.route('/', adminRoutes(ctx));
  app.route('/', discoveryRoutes(ctx));

  app.notFound((c) => c.json({ message: 'Not Found' }, 404));
  app.onError((err, c) => {
    log?.error('unhandled error', { path: new URL(c.req.url).pathname, error: err.message });
    if (c.req.method === 'POST' && new URL(c.req.url).pathname === '/') {
      return c.json({ __type: 'InternalErrorException', message: 'Internal error.' }, 500, { 'x-amzn-RequestId': newUuid() });
    }
    return c.json({ error: 'server_error' }, 500);
  });
  return app;
}
