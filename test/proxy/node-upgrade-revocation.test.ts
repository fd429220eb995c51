/**
 * Sign-out and revocation close WebSockets that are already open (real Node gateway, emulator,
 * `ws` client and `ws` upstream): a logout closes the upgrades of that session (client and upstream
 * see their sockets close) and only those; sign-out everywhere closes all of the user's; a user a
 * look-up finds disabled loses theirs; a bearer upgrade closes when its sign-in's token family is
 * revoked by that sign-in's logout. The client gets a 1008 close frame ("revoked") when the gateway
 * is between two of the upstream's frames, and the cut (1006) when it is in the middle of one. One
 * log line per batch closed, with the count. A config reload keeps the open connections closable.
 */
import { AdminDisableUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { openSocket, startWsUpstream, type OpenSocket, type WsUpstream } from './ws-peers';

let up: WsUpstream;
let stack: Stack;
let wsBase: string;

beforeAll(async () => {
  up = await startWsUpstream();
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: up.url },
    // A reload builds the gateway again from the same config.
    loadConfig: async () => stack.config,
    edit: (raw) => {
      raw.headers.accessToken = 'X-Access-Token';
      const demo = raw.apps.find((a: { id: string }) => a.id === 'demo');
      // Bearer access tokens of signed-in users (not only machines) on /live/*.
      demo.policies.unshift({ name: 'live-bearer', action: 'service', paths: ['/live/*'], include: [{ authenticated: true }] });
    },
  });
  wsBase = stack.url.replace('http:', 'ws:');
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});

const STILL_OPEN = -1;
/** The close code, or STILL_OPEN when the socket is still open after `ms` (a generous deadline, not a timing claim). */
const closeCode = (s: OpenSocket, ms = 5000) => Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(STILL_OPEN), ms))]);
const closeLines = () => stack.logs.filter((l) => l.msg === 'upgraded connections closed: credentials revoked');

async function signedIn(user: string, password: string) {
  const b = new TestBrowser();
  await b.signIn(`${stack.url}/`, user, password);
  return { b, cookie: b.cookieHeader(stack.url)! };
}

/** Opens a WebSocket with the cookie; returns it and the upstream's side of it. */
async function open(cookie: string, path = '/chat') {
  const before = up.connections.length;
  const s = await openSocket(`${wsBase}${path}`, { cookie });
  expect(await s.echo('hi')).toBe('echo:hi');
  expect(up.connections.length).toBe(before + 1);
  return { s, upstream: up.connections[before]! };
}

describe('open WebSockets and sign-out', () => {
  it('a logout closes the WebSocket of that session, both sides; another session of the same user stays open', async () => {
    const one = await signedIn('alice', 'Alice-Passw0rd!');
    const two = await signedIn('alice', 'Alice-Passw0rd!');
    const a = await open(one.cookie);
    const other = await open(two.cookie);
    const linesBefore = closeLines().length;

    const res = await one.b.request(`${stack.url}/_auth/logout?rd=/`);
    expect(res.status).toBe(302);
    // A close frame from the gateway (policy violation) tells the page why; the upstream's socket is cut.
    expect(await closeCode(a.s)).toBe(1008);
    expect(await a.s.reason).toBe('revoked');
    expect(await a.upstream.closed).toBe(1006);
    // The other sign-in is not signed out: its socket still carries frames.
    expect(await other.s.echo('still')).toBe('echo:still');
    expect(other.s.ws.readyState).toBe(other.s.ws.OPEN);
    const lines = closeLines().slice(linesBefore);
    expect(lines.map((l) => [l.count, l.trigger])).toEqual([[1, 'revocation']]);
    // No token, cookie or session id in the line.
    expect(JSON.stringify(lines)).not.toContain(one.cookie.split('=')[1]!.slice(0, 20));
    other.s.ws.close();
  });

  it('sign-out everywhere closes every WebSocket of the user; another user keeps theirs', async () => {
    const one = await signedIn('alice', 'Alice-Passw0rd!');
    const two = await signedIn('alice', 'Alice-Passw0rd!');
    const bob = await signedIn('bob', 'Bob-Passw0rd!');
    const a1 = await open(one.cookie);
    const a2 = await open(two.cookie);
    const b1 = await open(bob.cookie);

    const res = await one.b.request(`${stack.url}/_auth/logout?everywhere=1&rd=/`);
    expect(res.status).toBe(302);
    expect(await closeCode(a1.s)).toBe(1008);
    expect(await closeCode(a2.s)).toBe(1008);
    expect(await a1.upstream.closed).toBe(1006);
    expect(await a2.upstream.closed).toBe(1006);
    expect(await b1.s.echo('bob')).toBe('echo:bob');
    b1.s.ws.close();
  });

  it('a user a look-up finds disabled loses their open WebSockets', async () => {
    const carol = await signedIn('carol', 'Carol-Passw0rd!');
    const c = await open(carol.cookie);
    const sdk = new CognitoIdentityProviderClient({
      endpoint: stack.emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await sdk.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: 'carol' }));
    } finally {
      sdk.destroy();
    }
    // The portal app looks users up (config/demo.yaml): this request finds carol disabled.
    const res = await fetch(`${stack.url}/portal/`, { headers: { cookie: carol.cookie, accept: 'application/json' }, redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(await closeCode(c.s)).toBe(1008);
    expect(await c.upstream.closed).toBe(1006);
  });

  it("a bearer upgrade closes when its sign-in's token family is revoked (that sign-in's logout)", async () => {
    const d = await signedIn('bob', 'Bob-Passw0rd!');
    const session = await open(d.cookie);
    const token = session.upstream.req.headers['x-access-token'] as string;
    expect(token.split('.')).toHaveLength(3);
    session.s.ws.close();
    const before = up.connections.length;
    const bearer = await openSocket(`${wsBase}/live/feed`, { authorization: `Bearer ${token}` });
    expect(await bearer.echo('feed')).toBe('echo:feed');
    expect(up.connections[before]!.req.headers.authorization).toBe(`Bearer ${token}`);

    expect((await d.b.request(`${stack.url}/_auth/logout?rd=/`)).status).toBe(302);
    expect(await closeCode(bearer)).toBe(1008);
    expect(await up.connections[before]!.closed).toBe(1006);
  });

  it('in the middle of an upstream frame the connection is cut (1006): no close frame can go there', async () => {
    // (alice was signed out everywhere above: sign-ins in that same second stay refused.)
    const bob = await signedIn('bob', 'Bob-Passw0rd!');
    const a = await open(bob.cookie);
    // The head of a 5-byte text frame and 1 byte of it, straight onto the upstream's socket.
    const socketOf = (ws: unknown) => (ws as { _socket: import('node:net').Socket })._socket;
    const clientSocket = socketOf(a.s.ws);
    const before = clientSocket.bytesRead;
    socketOf(a.upstream.ws).write(Buffer.from([0x81, 0x05, 0x68]));
    // The partial frame has passed the gateway once the client's socket has read its 3 bytes.
    for (let i = 0; i < 500 && clientSocket.bytesRead < before + 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(clientSocket.bytesRead).toBe(before + 3);
    expect((await bob.b.request(`${stack.url}/_auth/logout?rd=/`)).status).toBe(302);
    expect(await closeCode(a.s)).toBe(1006);
    expect(await a.upstream.closed).toBe(1006);
  });

  it('a WebSocket opened before a config reload is still closed by a logout after it', async () => {
    const bob = await signedIn('bob', 'Bob-Passw0rd!');
    const a = await open(bob.cookie);
    expect(await stack.gateway.reload()).toBe(true);
    expect(await a.s.echo('reloaded')).toBe('echo:reloaded');
    expect((await bob.b.request(`${stack.url}/_auth/logout?rd=/`)).status).toBe(302);
    expect(await closeCode(a.s)).toBe(1008);
    expect(await a.upstream.closed).toBe(1006);
  });
});
