/**
 * One end-to-end run in a real headless Chromium (Debian's package, driven by playwright-core):
 * open a guarded page, land on the emulator's hosted UI, sign in with the form, see the upstream
 * page with the identity the gateway forwarded, then sign out.
 *
 * What the user sees is checked from the rendered page: the texts of the identity lines, the order
 * and layout of the page's blocks (read from the DOM's boxes: top to bottom, no overlap, one centred
 * column, nothing wider than the viewport), and a screenshot of the identity lines that must equal,
 * pixel for pixel, the same browser's rendering of the markup they should be (the baseline is drawn in
 * the run, so fonts and Chromium versions cannot make it drift).
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

    // What the page says.
    const paragraphs = await page.locator('body > p').allInnerTexts();
    expect(paragraphs.slice(0, 3)).toEqual([
      'You are alice (alice@example.com).',
      'Groups: admins staff',
      'Signed assertion header x-auth-assertion: present.',
    ]);
    expect(await page.locator('h1').innerText()).toBe('Demo app');
    expect(
      await page
        .locator('tr', { has: page.locator('th', { hasText: /^x-auth-user$/ }) })
        .locator('td')
        .innerText(),
    ).toBe('alice');

    // Where it says it: the blocks stack top to bottom without overlapping, in one column centred in
    // the viewport, and nothing is wider than the viewport.
    const layout = await page.evaluate(() => {
      const box = (el: Element) => {
        const r = el.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width };
      };
      return {
        viewport: document.documentElement.clientWidth,
        scrollWidth: document.documentElement.scrollWidth,
        blocks: [...document.body.children].filter((el) => el.tagName !== 'STYLE').map((el) => ({ tag: el.tagName, ...box(el) })),
      };
    });
    expect(layout.scrollWidth).toBe(layout.viewport);
    expect(layout.blocks.map((b) => b.tag)).toEqual(['H1', 'P', 'P', 'P', 'H2', 'UL', 'H2', 'P', 'H2', 'TABLE']);
    for (let i = 1; i < layout.blocks.length; i++) {
      expect(layout.blocks[i]!.top, `${layout.blocks[i]!.tag} #${i} starts below the block before it`).toBeGreaterThanOrEqual(layout.blocks[i - 1]!.bottom);
    }
    const column = layout.blocks[0]!;
    expect(column.width).toBeGreaterThan(0);
    for (const b of layout.blocks) expect([b.left, b.right], `${b.tag} in the page's column`).toEqual([column.left, column.right]);
    expect(Math.abs(column.left + column.right - layout.viewport)).toBeLessThanOrEqual(1);

    // How it looks: the identity lines as rendered equal the same browser's rendering of the markup
    // they should be, with the page's own style sheet.
    const rendered = await page.locator('body > p').first().screenshot();
    const css = await page.locator('style').first().textContent();
    const reference = await context.newPage();
    await reference.setViewportSize(page.viewportSize()!);
    await reference.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><style>${css}</style></head><body><h1>Demo app</h1>
<p>You are <strong>alice</strong> (alice@example.com).</p></body></html>`);
    const expected = await reference.locator('body > p').first().screenshot();
    await reference.close();
    expect(rendered.equals(expected), 'the identity line renders as the expected markup').toBe(true);
    // And the baseline is not blank: other markup renders differently.
    const other = await context.newPage();
    await other.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><style>${css}</style></head><body><h1>Demo app</h1>
<p>You are <strong>mallory</strong> (alice@example.com).</p></body></html>`);
    expect((await other.locator('body > p').first().screenshot()).equals(expected)).toBe(false);
    await other.close();

    await page.goto(`${stack.url}/_auth/logout`);
    // Back at the gateway's root, which asks for sign-in again: the hosted UI shows its form.
    expect(new URL(page.url()).origin).toBe(stack.emulator.hostedUiBase);
    expect(await page.locator('input[name="password"]').count()).toBe(1);
    expect((await context.cookies(stack.url)).some((c) => c.name.includes('_session'))).toBe(false);
    await context.close();
  }, 60_000);
});
