/**
 * `Expect: 100-continue` on Node (real gateway, emulator, raw recording upstream, raw TCP client that
 * sends the body only when it chooses): the gateway decides before it invites the body. A refused
 * request gets its catalogue answer with no `100 Continue` in front, and the connection is closed
 * after it unless the request said it has no body; an allowed request (session cookie, or a public
 * bypass) gets `HTTP/1.1 100 Continue` from the gateway, then the body reaches the upstream byte for
 * byte (without `Expect`) and the client gets the upstream's answer, on a connection that stays open.
 * The gateway's own endpoints read their bodies themselves: they get the 100 at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { rawConnection, type RawConnection } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';
import { startRawUpstream, type RawUpstream } from '../proxy/raw-peers';

let up: RawUpstream;
let stack: Stack;
let port: number;
let cookie: string;
let bobCookie: string;

beforeAll(async () => {
  up = await startRawUpstream();
  stack = await startStack({ env: { DEMO_UPSTREAM_URL: up.url } });
  port = stack.gateway.port;
  const b = new TestBrowser();
  await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
  cookie = b.cookieHeader(stack.url)!;
  const bob = new TestBrowser();
  await bob.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
  bobCookie = bob.cookieHeader(stack.url)!;
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});

const BODY = 'name=value&x=1';
const head = (target: string, lines: string[]) => `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

async function connection(): Promise<RawConnection & { closed: Promise<void> }> {
  const c = await rawConnection(port);
  const closed = new Promise<void>((r) => c.client.once('close', () => r()));
  return { ...c, closed };
}

/** The first complete response in `text` (head lines, body by Content-Length). */
function firstResponse(text: string): { lines: string[]; body: string; rest: string } {
  const end = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, end).split('\r\n');
  const cl = Number(lines.find((l) => /^content-length:/i.test(l))?.split(':')[1] ?? 0);
  return { lines, body: text.slice(end + 4, end + 4 + cl), rest: text.slice(end + 4 + cl) };
}
const header = (lines: string[], name: string) =>
  lines
    .find((l) => l.toLowerCase().startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim();
const completeJson = /\r\n\r\n\{[\s\S]*\}$/;

describe('Expect: 100-continue is answered after the decision', () => {
  it('a request without credentials gets 401 unauthorized and no 100; the connection is closed after it', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(head('/upload', ['Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
    await c.until(completeJson);
    const text = c.text();
    expect(text.startsWith('HTTP/1.1 401 Unauthorized\r\n')).toBe(true);
    expect(text).not.toContain('100 Continue');
    const r = firstResponse(text);
    const body = JSON.parse(r.body) as { error: string; request_id: string };
    expect(body.error).toBe('unauthorized');
    expect(body.request_id).toBe(header(r.lines, 'x-request-id'));
    expect(header(r.lines, 'connection')).toBe('close');
    await c.closed;
    expect(up.received.length).toBe(before);
    expect(stack.logs.some((l) => l.msg === 'request' && l.requestId === body.request_id && l.status === 401)).toBe(true);
  });

  it('a signed-in user the policy refuses gets 403 access_denied and no 100; the connection is closed after it', async () => {
    const before = up.received.length;
    const c = await connection();
    // bob is not in admins (config/demo.yaml's admin-area-non-admins block).
    c.client.write(head('/admin/upload', [`Cookie: ${bobCookie}`, 'Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
    await c.until(completeJson);
    const r = firstResponse(c.text());
    expect(r.lines[0]).toBe('HTTP/1.1 403 Forbidden');
    expect((JSON.parse(r.body) as { error: string }).error).toBe('access_denied');
    expect(c.text()).not.toContain('100 Continue');
    expect(header(r.lines, 'connection')).toBe('close');
    await c.closed;
    expect(up.received.length).toBe(before);
  });

  it('a refused request that says it has no body (Content-Length: 0) keeps its connection', async () => {
    const c = await connection();
    c.client.write(head('/upload', ['Accept: application/json', 'Content-Length: 0', 'Expect: 100-continue']));
    await c.until(completeJson);
    const first = firstResponse(c.text());
    expect(first.lines[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(header(first.lines, 'connection')).toBe('keep-alive');
    c.client.write(`GET /public/next HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await c.until(/\r\n\r\nok$/);
    expect(firstResponse(firstResponse(c.text()).rest).lines[0]).toBe('HTTP/1.1 200 OK');
    expect(c.text()).not.toContain('100 Continue');
    c.client.destroy();
  });

  it('an allowed request gets 100 Continue, then the body reaches the upstream and the answer the client', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(
      head('/upload?k=1', [`Cookie: ${cookie}`, 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']),
    );
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    // Nothing reached the upstream's body yet: the client has not sent it.
    expect(up.received.slice(before).every((e) => e.body.length === 0)).toBe(true);
    c.client.write(BODY);
    await c.until(/\r\n\r\nok$/);
    const r = firstResponse(c.text().slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
    expect(r.lines[0]).toBe('HTTP/1.1 200 OK');
    expect(r.body).toBe('ok');
    const got = up.received[before]!;
    expect(got.head.split('\r\n')[0]).toBe('POST /upload?k=1 HTTP/1.1');
    expect(got.body.toString('latin1')).toBe(BODY);
    expect(got.head.toLowerCase()).not.toContain('\r\nexpect:');
    expect(header(got.head.split('\r\n'), 'x-auth-user')).toBe('alice');
    // Keep-alive: the connection takes the next request.
    c.client.write(`GET /public/again HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await c.until(/\r\n\r\nok[\s\S]*\r\n\r\nok$/);
    expect(up.received.at(-1)!.head.split('\r\n')[0]).toBe('GET /public/again HTTP/1.1');
    c.client.destroy();
  });

  it('a public (bypass) path gets 100 Continue and its body is forwarded', async () => {
    const before = up.received.length;
    const c = await connection();
    c.client.write(head('/public/form', [`Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.client.write(BODY);
    await c.until(/\r\n\r\nok$/);
    expect(firstResponse(c.text().slice('HTTP/1.1 100 Continue\r\n\r\n'.length)).lines[0]).toBe('HTTP/1.1 200 OK');
    expect(up.received[before]!.body.toString('latin1')).toBe(BODY);
    c.client.destroy();
  });

  it("the gateway's own endpoints (/_auth/*) get the 100 at once and read the body", async () => {
    const c = await connection();
    const json = JSON.stringify({ username: 'alice', password: 'wrong', rd: '/site/' });
    c.client.write(
      head('/_auth/password', ['Content-Type: application/json', 'Accept: application/json', `Content-Length: ${json.length}`, 'Expect: 100-continue']),
    );
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.client.write(json);
    await c.until(completeJson);
    const r = firstResponse(c.text().slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
    // The wrong password was read from the body and checked.
    expect([r.lines[0], (JSON.parse(r.body) as { error: string }).error]).toEqual(['HTTP/1.1 401 Unauthorized', 'invalid_credentials']);
    c.client.destroy();
  });

  it('the same on the path through the Hono listener (a target with dot segments): refused without a 100, allowed with one', async () => {
    const refused = await connection();
    refused.client.write(head('/x/../upload', ['Accept: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
    await refused.until(completeJson);
    const r = firstResponse(refused.text());
    expect(r.lines[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect((JSON.parse(r.body) as { error: string }).error).toBe('unauthorized');
    expect(refused.text()).not.toContain('100 Continue');
    expect(header(r.lines, 'connection')).toBe('close');
    await refused.closed;

    const before = up.received.length;
    const allowed = await connection();
    allowed.client.write(head('/public/x/../form', [`Content-Length: ${BODY.length}`, 'Expect: 100-continue']));
    await allowed.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    allowed.client.write(BODY);
    await allowed.until(/\r\n\r\nok$/);
    expect(up.received[before]!.head.split('\r\n')[0]).toBe('POST /public/form HTTP/1.1');
    expect(up.received[before]!.body.toString('latin1')).toBe(BODY);
    allowed.client.destroy();
  });
});
