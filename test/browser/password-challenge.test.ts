/**
 * A site's own login form in real Chromium, for a user whose password is temporary: the demo site's
 * page (/site/login, from the demo upstream behind the gateway) fetches the CSRF token and posts the form; the
 * gateway answers with its "choose a new password" page; the new password signs the user in and
 * lands on the page the form named, with the session cookie the hosted-UI flow would set.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { POOL, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  // The demo's publishing site (apps[].id site): its login page comes from the demo upstream.
  stack = await startStack();
  stack.emulator.addUser(POOL, { username: 'nina', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', attributes: { email: 'nina@example.com' } });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("the password form's NEW_PASSWORD_REQUIRED page in Chromium", () => {
  it('asks for a new password, then signs in and lands on the page the form named', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/site/login?rd=/site/home`);
    await page.locator('#sign-in:enabled').waitFor();
    await page.fill('input[name="username"]', 'nina');
    await page.fill('input[name="password"]', 'Temp-Passw0rd!');
    const step = page.waitForResponse((r) => new URL(r.url()).pathname === '/_auth/password' && r.request().method() === 'POST');
    await page.click('#sign-in');
    expect((await step).status()).toBe(200);
    await page.locator('form[name="challengeForm"][data-challenge="NEW_PASSWORD_REQUIRED"]').waitFor();
    expect(await page.title()).toBe('Choose a new password');
    expect(await page.locator('h1').textContent()).toBe('Choose a new password');

    // A password the pool's policy refuses: the same page with the reason, still answerable.
    await page.fill('input[name="newPassword"]', 'weakweak');
    const [weak] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/_auth/password/challenge'),
      page.click('button[type="submit"]'),
    ]);
    expect(weak.status()).toBe(400);
    expect(await page.locator('#challengeError').textContent()).toContain('Password did not conform with policy');

    await page.fill('input[name="newPassword"]', 'Nina-N3w-Passw0rd!');
    await Promise.all([page.waitForURL(`${stack.url}/site/home`, { timeout: 10_000 }), page.click('button[type="submit"]')]);
    await page.locator('p', { hasText: 'You are nina.' }).waitFor();
    const session = (await context.cookies(stack.url)).find((c) => c.name === '_cgw_session');
    expect([session?.httpOnly, session?.value.startsWith('Fe26.2*')]).toEqual([true, true]);
    expect(stack.audit.filter((e) => e.type === 'sign-in' && e.user === 'nina').map((e) => [e.authMethod, e.app])).toEqual([['password', 'site']]);
    await context.close();
  }, 60_000);
});
