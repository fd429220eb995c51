/**
 * An app's `session.absoluteLifetime` (24 h) longer than the global one (12 h) applies to that app's
 * sessions: the session cookies the callback writes carry the app's lifetime as Max-Age.
 */ import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const toCallback = await b.submitForm(
      first.url,
      html,
      { username: 'alice', password: 'Alice-Passw0rd!' },
      { stopAt: (u) => u.includes('/_auth/callback') },
    );
    const cb = await b.request(toCallback.next!);
    expect(cb.status).toBe(302);
    const session = cb.headers.getSetCookie().filter((c) => /_session(_\d+)?=/.test(c) && !/Max-Age=0/i.test(c));
    expect(session.length).toBeGreaterThan(0);
    for (const c of session) {
      const maxAge = Number(/Max-Age=(\d+)/i.exec(c)?.[1]);
      expect(maxAge, c.slice(0, 40)).toBe(24 * 3600);
    }
  });
});
