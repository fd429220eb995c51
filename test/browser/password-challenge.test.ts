/**
 * A site's own login form in real Chromium, for a user whose password is temporary: the site's page
 * (served by its own upstream behind the gateway) fetches the CSRF token and posts the form; the
 * gateway answers with its "choose a new password" page; the new password signs the user in and
 * lands on the page the form named, with the session cookie the hosted-UI flow would set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { POOL, startStack, type Stack } from '../helpers/stack';

const LOGIN_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Site sign-in</title></head><body>
<form method="post" action="/_auth/password">
<input name="username" autocomplete="username"><input name="password" type="password" autocomplete="current-password">
<input type="hidden" name="rd" value="/site/home"><input type="hidden" name="csrf" id="csrf">
<button type="submit">Sign in</button></form>
<script>fetch('/_auth/password', { headers: { accept: 'application/json' } }).then((r) => r.json())
  .then((j) => { document.getElementById('csrf').value = j.csrf; document.body.dataset.ready = '1'; });</script>
</body></html>`;

let stack: Stack;
let browser: Browser;
let site: Server;

beforeAll(async () => {
  // The site's own upstream: its login page, and a home page that shows who the gateway says is signed in.
  site = createServer((req, res) => {
    const html = req.url === '/site/login' ? LOGIN_PAGE : `<!doctype html><p id="who">Signed in as ${String(req.headers['x-auth-user'] ?? 'nobody')}</p>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  stack = await startStack({
    edit: (raw) => {
      raw.apps.unshift({
        id: 'site',
        name: 'Publishing site',
        pathPrefix: '/site',
        upstream: siteUrl,
        cognito: { passwordAuth: true },
        policies: [
          { name: 'login-page', action: 'bypass', paths: ['/site/login'], include: [{ everyone: true }] },
          { name: 'members', action: 'allow', include: [{ authenticated: true }] },
        ],
      });
    },
  });
  stack.emulator.addUser(POOL, { username: 'nina', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', attributes: { email: 'nina@example.com' } });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await new Promise((resolve) => site?.close(resolve));
});

describe("the password form's NEW_PASSWORD_REQUIRED page in Chromium", () => {
  it('asks for a new password, then signs in and lands on the page the form named', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/site/login`);
    await page.locator('body[data-ready="1"]').waitFor();
    await page.fill('input[name="username"]', 'nina');
    await page.fill('input[name="password"]', 'Temp-Passw0rd!');
    const step = page.waitForResponse((r) => new URL(r.url()).pathname === '/_auth/password');
    await page.click('button[type="submit"]');
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
    expect(await page.locator('#who').textContent()).toBe('Signed in as nina');
    const session = (await context.cookies(stack.url)).find((c) => c.name === '_cgw_session');
    expect([session?.httpOnly, session?.value.startsWith('Fe26.2*')]).toEqual([true, true]);
    expect(stack.audit.filter((e) => e.type === 'sign-in' && e.user === 'nina').map((e) => [e.authMethod, e.app])).toEqual([['password', 'site']]);
    await context.close();
  }, 60_000);
});
