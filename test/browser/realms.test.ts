/**
 * Two realms in headless Chromium (config/realms.yaml): bob signs in to the buyer shop, then opens
 * the merchant console, which sends him through the hosted UI again with the merchant app client;
 * the browser ends with one HttpOnly session cookie per realm, /_auth/me names each realm, and
 * signing out of the merchant realm leaves the buyer session.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startStack({ configText: readFileSync(new URL('../../config/realms.yaml', import.meta.url), 'utf8') });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Goes to `url`; when the hosted UI asks, signs in there; returns the authorize request's client_id. */
async function open(page: Page, url: string, user: string, password: string): Promise<string | null> {
  let clientId: string | null = null;
  const onRequest = (req: { url(): string }) => {
    const u = new URL(req.url());
    if (u.pathname === '/oauth2/authorize') clientId = u.searchParams.get('client_id');
  };
  page.on('request', onRequest);
  await page.goto(url);
  if (new URL(page.url()).origin === stack.emulator.hostedUiBase && (await page.locator('input[name="password"]').count()) === 1) {
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL(url), page.click('button[type="submit"], input[type="submit"]')]);
  }
  page.off('request', onRequest);
  expect(page.url()).toBe(url);
  return clientId;
}

async function meJson(page: Page, query = ''): Promise<Record<string, unknown>> {
  return page.evaluate(async (q) => {
    const res = await fetch(`/_auth/me${q}`, { headers: { accept: 'application/json' } });
    return { status: res.status, ...(await res.json()) };
  }, query);
}

describe('headless Chromium through two realms', () => {
  it('signs in to the buyer shop and the merchant console with their own clients, and signs out of one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    expect(await open(page, `${stack.url}/dashboard`, 'bob', 'Bob-Passw0rd!')).toBe('demo-gateway');
    expect(await page.textContent('body')).toContain('bob@example.com');

    expect(await open(page, `${stack.url}/merchant/orders?week=12`, 'bob', 'Bob-Passw0rd!')).toBe('demo-merchant');
    expect(await page.textContent('body')).toContain('bob@example.com');

    const sessions = (await context.cookies(stack.url)).filter((c) => c.name.includes('_session'));
    expect(sessions.map((c) => [c.name, c.httpOnly, c.sameSite]).sort()).toEqual([
      ['_cgw-merchant_session', true, 'Lax'],
      ['_cgw_session', true, 'Lax'],
    ]);
    expect(await meJson(page)).toMatchObject({ status: 200, realm: 'buyer', clientId: 'demo-gateway', username: 'bob' });
    expect(await meJson(page, '?realm=merchant')).toMatchObject({ status: 200, realm: 'merchant', clientId: 'demo-merchant', username: 'bob' });

    // Signing out of the merchant realm: Cognito's logout for the merchant client, then back at the gateway.
    const logoutRequests: string[] = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname === '/logout') logoutRequests.push(u.searchParams.get('client_id') ?? '');
    });
    await page.goto(`${stack.url}/_auth/logout?realm=merchant&rd=${encodeURIComponent('/public/bye')}`);
    expect(logoutRequests).toEqual(['demo-merchant']);
    expect((await context.cookies(stack.url)).filter((c) => c.name.includes('_session')).map((c) => c.name)).toEqual(['_cgw_session']);
    expect(await meJson(page, '?realm=merchant')).toMatchObject({ status: 401, error: 'unauthorized' });
    await page.goto(`${stack.url}/dashboard`);
    expect(page.url()).toBe(`${stack.url}/dashboard`);
    expect(await page.textContent('body')).toContain('bob@example.com');
    await context.close();
  }, 60_000);
});
