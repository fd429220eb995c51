/**
 * The upgraded-connection metrics (real Node gateway, emulator, `ws` upstream and client):
 * `upgrades_open` counts the WebSockets open now, and `upgrades_closed_total{reason}` those the
 * gateway ended: `revoked` (a logout), `lifetime` (the bearer token's exp) and `drain` (cut at the
 * drain's deadline). A close by either peer is not counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { machineToken } from '../helpers/tokens';
import { openSocket, startWsUpstream, type WsUpstream } from '../proxy/ws-peers';

let offset = 0;
const now = () => Date.now() + offset;
let up: WsUpstream;
let stack: Stack;
let wsBase: string;

beforeAll(async () => {
  up = await startWsUpstream();
  stack = await startStack({ env: { DEMO_UPSTREAM_URL: up.url }, now, emulatorNow: now });
  wsBase = stack.url.replace('http:', 'ws:');
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});

/** The value of one exposition line (`name` with its labels), or undefined when absent. */
function metric(line: string): number | undefined {
  const text = stack.gateway.gateway().metrics.render();
  const found = text.split('\n').find((l) => l.startsWith(`cognito_gateway_${line} `));
  return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
}

/** Waits (a generous deadline, not a timing claim) until `metric(line)` is `value`; returns what it last read. */
async function settles(line: string, value: number): Promise<number | undefined> {
  const deadline = Date.now() + 5000;
  let seen = metric(line);
  while (seen !== value && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    seen = metric(line);
  }
  return seen;
}

const closed = (reason: string) => `upgrades_closed_total{reason="${reason}"}`;

describe('upgraded-connection metrics', () => {
  it('counts the open WebSockets, and those ended for a revocation, a lifetime and a drain', async () => {
    expect(metric('upgrades_open')).toBe(0);
    expect([metric(closed('revoked')), metric(closed('lifetime')), metric(closed('drain'))]).toEqual([0, 0, 0]);

    const browser = new TestBrowser();
    await browser.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const cookie = browser.cookieHeader(stack.url)!;
    const session = await openSocket(`${wsBase}/chat`, { cookie });
    expect(await session.echo('hi')).toBe('echo:hi');
    const byPeer = await openSocket(`${wsBase}/chat`, { cookie });
    expect(await byPeer.echo('hi')).toBe('echo:hi');
    expect(metric('upgrades_open')).toBe(2);

    // Closed by the client: open goes down, nothing is counted as ended by the gateway.
    byPeer.ws.close(1000);
    expect(await byPeer.closed).toBe(1000);
    expect(await settles('upgrades_open', 1)).toBe(1);

    // A logout ends the session's WebSocket: revoked.
    expect((await browser.request(`${stack.url}/_auth/logout?rd=/`)).status).toBe(302);
    expect(await session.closed).toBe(1008);
    expect(await settles('upgrades_open', 0)).toBe(0);
    expect(metric(closed('revoked'))).toBe(1);

    // A bearer token's upgrade, the gateway's clock 2 s before its exp: ended when it expires.
    const token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/read');
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    offset = exp * 1000 - Date.now() - 2000;
    const bearer = await openSocket(`${wsBase}/api/stream`, { authorization: `Bearer ${token}` });
    expect(await bearer.echo('hi')).toBe('echo:hi');
    expect(await bearer.closed).toBe(1008);
    expect(await bearer.reason).toBe('expired');
    expect(await settles(closed('lifetime'), 1)).toBe(1);
    offset = 0;

    // A drain whose deadline passes with a WebSocket open cuts it: drain.
    const second = new TestBrowser();
    await second.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const last = await openSocket(`${wsBase}/chat`, { cookie: second.cookieHeader(stack.url)! });
    expect(await last.echo('hi')).toBe('echo:hi');
    expect(metric('upgrades_open')).toBe(1);
    const result = await stack.gateway.drain(200);
    expect(result.cut).toBe(1);
    expect(await last.closed).toBe(1006);
    expect(metric(closed('drain'))).toBe(1);
    expect([metric(closed('revoked')), metric(closed('lifetime'))]).toEqual([1, 1]);
    expect(await settles('upgrades_open', 0)).toBe(0);
  });
});
