/**
 * `cookies.sameSite: strict` in real Chromium (the scripted TestBrowser does not model SameSite). The
 * callback is reached by a cross-site navigation from the hosted UI, and a redirect from it would
 * still be part of that navigation, so the browser would not send the Strict session cookie and
 * sign-in would loop. The gateway answers the callback with a 200 page that moves on by itself (meta
 * refresh): the next navigation is same-site, carries the cookie, and lands on the page asked for
 * after exactly one sign-in.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.cookies.sameSite = 'strict';
    },
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('cookies.sameSite: strict in a real browser', () => {
  it('signing in lands on the page asked for (no sign-in loop)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/dashboard`);
    expect(new URL(page.url()).origin).toBe(stack.emulator.hostedUiBase);
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', 'Alice-Passw0rd!');
    const callback = page.waitForResponse((r) => new URL(r.url()).pathname === '/_auth/callback');
    await Promise.all([
      page.waitForURL(`${stack.url}/dashboard`, { timeout: 10_000, waitUntil: 'load' }),
      page.click('button[type="submit"], input[type="submit"]'),
    ]);
    // The callback answered with the page that moves on, not with a redirect.
    const cb = await callback;
    expect(cb.status()).toBe(200);
    expect(cb.headers().location).toBeUndefined();
    expect(cb.headers()['content-type']).toBe('text/html; charset=utf-8');
    // The dashboard committed (a redirect to sign in again would not) and shows the signed-in user.
    await page.locator('body', { hasText: 'alice@example.com' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    const sessionCookie = (await context.cookies(stack.url)).find((c) => c.name.includes('_session'));
    expect(sessionCookie?.sameSite).toBe('Strict');
    expect(stack.logs.filter((l) => l.msg === 'signed in').length, 'sign-ins completed (more than one = loop)').toBe(1);
    await context.close();
  }, 60_000);
});
