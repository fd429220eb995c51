/** Over HTTP: a real session cookie opens only as the gateway wrote it; any other spelling is signed out (401), never an error. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

describe('one spelling for a session cookie', () => {
  it('the written cookie works; with bytes added or cut after ~2 it is no session', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    const session = /(_cgw_session=)([^;]+)/.exec(cookie)!;
    expect(session[2]!.endsWith('~2')).toBe(true);
    const ask = async (c: string) => {
      const res = await rawRequest(stack.url, '/_auth/me', { headers: { accept: 'application/json', cookie: c } });
      return [res.status, JSON.parse(res.body).username ?? JSON.parse(res.body).error];
    };
    expect(await ask(cookie)).toEqual([200, 'bob']);
    for (const spelled of [`${session[2]}x`, `${session[2]}~2`, session[2]!.slice(0, -1)]) {
      expect(await ask(cookie.replace(session[0]!, `${session[1]}${spelled}`)), spelled.slice(-6)).toEqual([401, 'unauthorized']);
    }
  });
});
