/**
 * With the default memory store, a session this instance revoked stays refused after a config
 * reload (RunningGateway.reload, SIGHUP): the README promises "a copy of the cookie is refused at
 * once" on this instance, and a reload builds a new gateway, which must not start from an empty
 * revocation list.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.close();
});

const json = { accept: 'application/json' };
const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('a config reload with the memory store', () => {
  it('keeps a logged-out cookie copy refused', async () => {
    let config: Stack['config'] | undefined;
    stack = await startStack({ loadConfig: async () => config! });
    config = stack.config;
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    expect((await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } })).status).toBe(200);
    expect((await b.request(`${stack.url}/_auth/logout`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
    const before = await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } });
    expect(before.status).toBe(401);
    const code = await errorOf(before);

    expect(await stack.gateway.reload()).toBe(true);
    const after = await fetch(`${stack.url}/whoami`, { headers: { cookie, ...json } });
    expect(after.status, 'the copy is refused after the reload as before it').toBe(401);
    expect(await errorOf(after)).toBe(code);
  });
});
