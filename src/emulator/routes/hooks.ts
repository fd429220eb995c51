import { Hono, type Context } from 'hono';
import * as z from 'zod';
import type { EmulatorContext } from '../context';
import { HookTargetNotFound, type EmulatorHooks } from '../hooks';

const bodies = {
  rotateKeys: z.object({ poolId: z.string(), which: z.enum(['id', 'access']) }),
  retireKey: z.object({ poolId: z.string(), kid: z.string() }),
  setJwksAvailable: z.object({ poolId: z.string(), up: z.boolean() }),
  setTokenEndpointDelay: z.object({ ms: z.number().min(0) }),
  setUserEnabled: z.object({ poolId: z.string(), username: z.string(), enabled: z.boolean() }),
  setClientSettings: z.object({ poolId: z.string(), clientId: z.string(), patch: z.record(z.string(), z.unknown()) }),
  addUser: z.object({ poolId: z.string(), user: z.record(z.string(), z.unknown()) }),
  lastSms: z.object({ poolId: z.string(), username: z.string() }),
};

/**
 * The test hooks over HTTP, for a gateway under test in another process or in workerd:
 * `POST /_emulator/<hook>` with a JSON body (see README). 200 with JSON, 400 bad input, 404 unknown target.
 */
export function hookRoutes(ctx: EmulatorContext, hooks: EmulatorHooks): Hono {
  const app = new Hono();

  const run = async <S extends z.ZodType>(c: Context, schema: S, act: (body: z.output<S>) => unknown) => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'bad_request', message: parsed.error.issues.map((i) => i.message).join('; ') }, 400);
    try {
      return c.json((act(parsed.data) as object | undefined) ?? { ok: true });
    } catch (e) {
      const status = e instanceof HookTargetNotFound ? 404 : 400;
      return c.json({ error: status === 404 ? 'not_found' : 'bad_request', message: (e as Error).message }, status);
    }
  };

  app.get('/_emulator/health', (c) => c.json({ ok: true, pools: [...ctx.state.pools.keys()] }));
  app.post('/_emulator/rotate-keys', (c) => run(c, bodies.rotateKeys, (b) => hooks.rotateKeys(b.poolId, b.which)));
  app.post('/_emulator/retire-key', (c) => run(c, bodies.retireKey, (b) => hooks.retireKey(b.poolId, b.kid)));
  app.post('/_emulator/jwks-available', (c) => run(c, bodies.setJwksAvailable, (b) => hooks.setJwksAvailable(b.poolId, b.up)));
  app.post('/_emulator/token-endpoint-delay', (c) => run(c, bodies.setTokenEndpointDelay, (b) => hooks.setTokenEndpointDelay(b.ms)));
  app.post('/_emulator/user-enabled', (c) => run(c, bodies.setUserEnabled, (b) => hooks.setUserEnabled(b.poolId, b.username, b.enabled)));
  app.post('/_emulator/client-settings', (c) => run(c, bodies.setClientSettings, (b) => hooks.setClientSettings(b.poolId, b.clientId, b.patch)));
  app.post('/_emulator/add-user', (c) => run(c, bodies.addUser, (b) => hooks.addUser(b.poolId, b.user as never)));
  app.post('/_emulator/last-sms', (c) => run(c, bodies.lastSms, (b) => hooks.lastSms(b.poolId, b.username)));
  return app;
}
