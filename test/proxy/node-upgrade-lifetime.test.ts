/**
 * Credentials and time on upgraded connections (real Node gateway, emulator, raw recording
 * upstream, clocks of gateway and emulator shifted together): a bearer token's upgrade is closed
 * when the token expires; an upgrade that refreshes the session carries the new session cookie on
 * the 101; a session past its absolute lifetime cannot open a new upgrade; an idle upgraded
 * connection is not closed by listen.idleTimeout (only by either side, the credentials' end, or a
 * drain: README).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { machineToken } from '../helpers/tokens';
import { rawClient, startUpgradeUpstream, upgradeHead, type UpgradeUpstream } from './upgrade-peers';

let offset = 0;
const now = () => Date.now() + offset;
let up: UpgradeUpstream;
let stack: Stack;
let port: number;

beforeAll(async () => {
  up = await startUpgradeUpstream();
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: up.url },
    now,
    emulatorNow: now,
    edit: (raw) => {
      raw.session.absoluteLifetime = '20m';
      raw.listen = { ...raw.listen, idleTimeout: '1s' };
    },
  });
  port = stack.gateway.port;
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});
beforeEach(() => {
  offset = 0;
  up.connections.length = 0;
  up.answer = { kind: 'switch' };
});

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

describe('bearer token upgrades', () => {
  it('closes the upgraded connection when the access token expires', async () => {
    const token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/read');
    const exp = payload(token).exp as number;
    // The gateway's clock 2 s before the token's exp: still valid now, closed soon after.
    offset = exp * 1000 - Date.now() - 2000;
    const c = await rawClient(port, upgradeHead(port, '/api/stream', [`Authorization: Bearer ${token}`]));
    await c.until(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    c.socket.write('still-valid');
    await c.until(/echo:still-valid$/);
    // Nothing else closes it: the upstream keeps echoing, the client stays.
    expect(await c.closed).toMatch(/echo:still-valid$/);
    expect(up.connections[0]!.head).toContain(`\r\nAuthorization: Bearer ${token}\r\n`);
  });

  it('refuses a new upgrade with an expired token (401 invalid_token), before the upstream', async () => {
    const token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/read');
    offset = (payload(token).exp as number) * 1000 - Date.now() + 60_000;
    const c = await rawClient(port, upgradeHead(port, '/api/stream', [`Authorization: Bearer ${token}`, 'Accept: application/json']));
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error).toBe('invalid_token');
    expect(up.connections.length).toBe(0);
  });
});

describe('session upgrades', () => {
  it('an upgrade that refreshes the session sends the new session cookie on the 101', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    const name = cookie.split('=')[0]!;
    // Past revalidateAfter (5 min): this request refreshes the tokens and re-seals the session.
    offset = 6 * 60_000;
    const c = await rawClient(port, upgradeHead(port, '/ws', [`Cookie: ${cookie}`]));
    const text = await c.until(/\r\n\r\n/);
    const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
    expect(head[0]).toBe('HTTP/1.1 101 Switching Protocols');
    const setCookies = head.filter((l) => l.toLowerCase().startsWith('set-cookie:'));
    expect(setCookies.some((l) => l.slice('set-cookie: '.length).startsWith(`${name}=`) && !l.includes(cookie.split(';')[0]!))).toBe(true);
    expect(stack.logs.some((l) => l.msg === 'session refreshed')).toBe(true);
    c.socket.destroy();
  });

  it('a session past its absolute lifetime cannot open a new upgrade: 401, nothing upstream', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    // The sign-in ends on / (through the upstream).
    up.connections.length = 0;
    offset = 21 * 60_000;
    const c = await rawClient(port, upgradeHead(port, '/ws', [`Cookie: ${cookie}`, 'Accept: application/json']));
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(up.connections.length).toBe(0);
  });
});

describe('idle upgraded connections', () => {
  it('are not closed by listen.idleTimeout (1 s here): a frame after 2.5 s idle still goes both ways', async () => {
    const c = await rawClient(port, upgradeHead(port, '/public/ws'));
    await c.until(/^HTTP\/1\.1 101 /);
    await new Promise((r) => setTimeout(r, 2500));
    c.socket.write('after-idle');
    await c.until(/echo:after-idle$/);
    expect(up.connections[0]!.after.toString()).toBe('after-idle');
    c.socket.destroy();
  });
});
