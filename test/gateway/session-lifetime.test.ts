/**
 * an app's `session.absoluteLifetime` longer than the global one is accepted by the config
 * check, but the session cookie (Max-Age) and its seal are written with the GLOBAL lifetime, so the
 * browser drops the session at the global limit: the app's longer lifetime silently never applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.session.absoluteLifetime = '12h';
      const demo = raw.apps.find((a: { id: string }) => a.id === 'demo');
      demo.session = { absoluteLifetime: '24h' };
    },
  });
});
afterAll(() => stack?.close());

describe('per-app session.absoluteLifetime longer than the global one', () => {
  it('the session cookie written for the app lives as long as the app says (24h)', async () => {
    const b = new TestBrowser();
    const first = await b.follow(`${stack.url}/dashboard`);
    const html = await first.res.text();
    const toCallback = await b.submitForm(first.url, html, { username: 'alice', password: 'Alice-Passw0rd!' }, { stopAt: (u) => u.includes('/_auth/callback') });
    const cb = await b.request(toCallback.next!);
    expect(cb.status).toBe(302);
    const session = cb.headers.getSetCookie().filter((c) => /_session(_\d+)?=/.test(c) && !/Max-Age=0/i.test(c));
    expect(session.length).toBeGreaterThan(0);
    for (const c of session) {
      const maxAge = Number(/Max-Age=(\d+)/i.exec(c)?.[1]);
      expect(maxAge, c.slice(0, 40)).toBeGreaterThanOrEqual(24 * 3600);
    }
  });
});
