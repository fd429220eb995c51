/**
 * One end-to-end run in a real headless Chromium (Debian's package, driven by playwright-core):
 * open a guarded page, land on the emulator's hosted UI, sign in with the form, see the upstream
 * page with the identity the gateway forwarded, then sign out.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('headless Chromium', () => {
  it('signs in through the hosted-UI form and sees the upstream page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/dashboard?from=chromium`);
    // The emulator's hosted UI (another host, as with Cognito).
    expect(new URL(page.url()).origin).toBe(stack.emulator.hostedUiBase);
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', 'Alice-Passw0rd!');
    await Promise.all([page.waitForURL(`${stack.url}/dashboard?from=chromium`), page.click('button[type="submit"], input[type="submit"]')]);
    const text = await page.textContent('body');
    expect(text).toContain('alice');
    expect(text).toContain('alice@example.com');
    // Session cookies are HttpOnly: page JavaScript cannot read them.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await context.cookies(stack.url);
    expect(cookies.some((c) => c.name.includes('_session') && c.httpOnly && c.sameSite === 'Lax')).toBe(true);

    const screenshot = await page.screenshot();
    expect(screenshot.length).toBeGreaterThan(1000);

    await page.goto(`${stack.url}/_auth/logout`);
    // Back at the gateway's root, which asks for sign-in again: the hosted UI shows its form.
    expect(new URL(page.url()).origin).toBe(stack.emulator.hostedUiBase);
    expect(await page.locator('input[name="password"]').count()).toBe(1);
    expect((await context.cookies(stack.url)).some((c) => c.name.includes('_session'))).toBe(false);
    await context.close();
  }, 60_000);
});
