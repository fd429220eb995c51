/**
 * `cookies.sameSite: strict` is an accepted, documented option, but the session cookie is
 * written on /_auth/callback, which is reached by a cross-site navigation from the hosted UI. The
 * 302 from the callback to the original URL is still part of that cross-site navigation, so a real
 * browser does not send the Strict session cookie there: the gateway sees no session, sends the
 * browser to sign in again, the hosted UI (already signed in) answers at once, and the browser ends
 * in a redirect loop. Shown in real Chromium (the scripted TestBrowser does not model SameSite).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ edit: (raw) => { raw.cookies.sameSite = 'strict'; } });
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
    let navError: unknown;
    await Promise.all([
      page.waitForURL(`${stack.url}/dashboard`, { timeout: 10_000 }).catch((e: unknown) => (navError = e)),
      page.click('button[type="submit"], input[type="submit"]'),
    ]);
    await page.waitForTimeout(1000);
    const callbacks = stack.logs.filter((l) => String(l.msg ?? l.message ?? '').includes('signed in')).length;
    const body = (await page.textContent('body').catch(() => '')) ?? '';
    await context.close();
    expect(navError, 'never reached /dashboard').toBeUndefined();
    expect(body).toContain('alice');
    expect(callbacks, 'sign-ins completed (more than one = loop)').toBe(1);
  }, 60_000);
});
