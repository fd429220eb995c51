/**
 * Upgrade requests at the edges, on the wire: the real Node gateway (demo config, emulator sign-in)
 * in front of a raw recording upstream (./upgrade-peers.ts), driven by a raw TCP client. Refusals
 * (policy, path spellings, a signed-out session) are the catalogue's answers on that socket and
 * never reach the upstream; a bypassed upgrade gets the same header edits as any request; bytes the
 * client sends after the head (a body, a pipelined request, early frames) reach the upstream only
 * after it has switched protocols; an upstream that declines (302, 426), hangs up after its 101 or
 * never answers leaves no half-piped socket; an upgrade pipelined behind a request in flight is
 * taken up after that answer; `Upgrade: h2c` is refused (a tunnel of HTTP/2 requests would skip
 * the policy and the header edits); CONNECT gets the catalogue's answer instead of a silent close.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';
import { headerLines, rawClient, startUpgradeUpstream, upgradeHead, type UpgradeUpstream } from './upgrade-peers';

let up: UpgradeUpstream;
let stack: Stack;
let port: number;
/** Bob is in `staff`, not `admins`: /admin/* is blocked for him. */
let bob: string;
let bobBrowser: TestBrowser;

beforeAll(async () => {
  up = await startUpgradeUpstream();
  stack = await startStack({
    env: { DEMO_UPSTREAM_URL: up.url },
    edit: (raw) => {
      raw.upstreamTimeout = '1s';
    },
  });
  port = stack.gateway.port;
  bobBrowser = new TestBrowser();
  await bobBrowser.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
  bob = bobBrowser.cookieHeader(stack.url)!;
});
afterAll(async () => {
  await stack?.close();
  await up?.close();
});
beforeEach(() => {
  up.connections.length = 0;
  up.answer = { kind: 'switch' };
});

/** Status line, header map (lower-case names) and body of the first response in `text`. */
function parse(text: string): { status: string; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const [status, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status: status!, headers, body: text.slice(end + 4) };
}

describe('refused upgrades: the catalogue answer on the socket, nothing upstream', () => {
  const cases: Array<[string, string, string, string]> = [
    ['a blocked path', '/admin/ws', '403 Forbidden', 'access_denied'],
    ['the blocked path behind encoded dot segments', '/public/%2e%2e/admin/ws', '403 Forbidden', 'access_denied'],
    ['the blocked path in another case', '/ADMIN/ws', '403 Forbidden', 'access_denied'],
    ['the blocked path after a doubled slash', '//admin/ws', '403 Forbidden', 'access_denied'],
    ['the blocked path with an encoded slash', '/admin%2fws', '400 Bad Request', 'bad_path'],
    ['a ;parameter in the path', '/admin;x/ws', '400 Bad Request', 'bad_path'],
  ];
  for (const [name, target, status, code] of cases) {
    it(`${name} (${target}): ${status} ${code}`, async () => {
      const c = await rawClient(port, upgradeHead(port, target, [`Cookie: ${bob}`, 'Accept: application/json']));
      const r = parse(await c.closed);
      expect(r.status).toBe(`HTTP/1.1 ${status}`);
      expect(r.headers.connection).toBe('close');
      const body = JSON.parse(r.body);
      expect(body.error).toBe(code);
      expect(body.request_id).toBe(r.headers['x-request-id']);
      expect(stack.logs.some((l) => l.requestId === body.request_id)).toBe(true);
      expect(up.connections.length).toBe(0);
    });
  }

  it('refuses an upgrade with the cookie of a session that has signed out (401), before the upstream', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'bob', 'Bob-Passw0rd!');
    const cookie = b.cookieHeader(stack.url)!;
    const ok = await rawClient(port, upgradeHead(port, '/ws', [`Cookie: ${cookie}`]));
    await ok.until(/^HTTP\/1\.1 101 /);
    ok.socket.destroy();
    up.connections.length = 0;
    const out = await b.request(`${stack.url}/_auth/logout`);
    expect(out.status).toBe(302);
    // The old cookie, replayed as it was before sign-out.
    const c = await rawClient(port, upgradeHead(port, '/ws', [`Cookie: ${cookie}`, 'Accept: application/json']));
    const r = parse(await c.closed);
    expect(r.status).toBe('HTTP/1.1 401 Unauthorized');
    expect(JSON.parse(r.body).error).toBe('unauthorized');
    expect(up.connections.length).toBe(0);
  });
});

describe('an allowed upgrade on a bypass path', () => {
  it('gets the same header edits as any request: client identity and forwarding headers replaced, no identity added', async () => {
    const c = await rawClient(
      port,
      upgradeHead(port, '/public/ws?x=1', [
        'X-Auth-User: mallory',
        'X_Auth_Email: m@evil.example',
        'X-Forwarded-For: 203.0.113.9',
        'X-Forwarded-Host: evil.example',
        'Forwarded: for=203.0.113.9',
        'X-Request-Id: client-chosen',
        `${stack.config.assertion.header}: forged`,
        'Sec-WebSocket-Protocol: chat',
      ]),
    );
    const text = await c.until(/\r\n\r\n/);
    const r = parse(text);
    expect(r.status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(r.headers['x-up']).toBe('yes');
    const rid = r.headers['x-request-id']!;
    expect(rid).toMatch(/^[\w-]{16}$/);
    const head = up.connections[0]!.head;
    expect(head.split('\r\n')[0]).toBe('GET /public/ws?x=1 HTTP/1.1');
    const lines = headerLines(head).filter((l) => !l.startsWith('traceparent:'));
    expect(lines).toEqual([
      `host: ${up.url.slice('http://'.length)}`,
      'connection: upgrade',
      'upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Protocol: chat',
      'x-forwarded-for: 127.0.0.1',
      'x-forwarded-proto: http',
      `x-forwarded-host: 127.0.0.1:${port}`,
      `x-request-id: ${rid}`,
    ]);
    c.socket.destroy();
  });
});

describe('bytes after the upgrade head', () => {
  it('holds bytes sent before the 101 and delivers them after it, never as a request of their own', async () => {
    up.answer = { kind: 'switch', delayMs: 200 };
    const c = await rawClient(port, `${upgradeHead(port, '/public/ws')}early-frame`);
    await c.until(/echo:early-frame$/);
    expect(up.connections.length).toBe(1);
    expect(up.connections[0]!.after.toString()).toBe('early-frame');
    c.socket.destroy();
  });

  it('a Content-Length body on an upgrade request reaches the upstream only as tunnel bytes after its 101', async () => {
    const c = await rawClient(port, `${upgradeHead(port, '/public/ws', ['Content-Length: 5'])}hello`);
    await c.until(/echo:hello$/);
    expect(up.connections.length).toBe(1);
    expect(up.connections[0]!.head).not.toMatch(/content-length/i);
    expect(up.connections[0]!.after.toString()).toBe('hello');
    c.socket.destroy();
  });

  it('an upstream that declines with 302 and a body: the client gets exactly that answer, the pipelined request never goes anywhere', async () => {
    up.answer = { kind: 'respond', status: '302 Found', headers: ['Location: /elsewhere'], body: 'moved' };
    const c = await rawClient(port, `${upgradeHead(port, '/public/ws')}GET /admin/secret HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = parse(await c.closed);
    expect(r.status).toBe('HTTP/1.1 302 Found');
    expect(r.headers.location).toBe('/elsewhere');
    expect(r.headers.connection).toBe('close');
    expect(r.body).toBe('moved');
    expect(up.connections.length).toBe(1);
    expect(up.connections[0]!.after.length).toBe(0);
  });

  it('an upstream that declines with 426: passed on, then the connection is closed', async () => {
    up.answer = { kind: 'respond', status: '426 Upgrade Required', headers: ['Upgrade: websocket', 'Connection: Upgrade'], body: 'ws only' };
    const c = await rawClient(port, upgradeHead(port, '/public/ws'));
    const r = parse(await c.closed);
    expect(r.status).toBe('HTTP/1.1 426 Upgrade Required');
    expect(r.body).toBe('ws only');
    expect(r.headers.upgrade).toBe(undefined);
  });

  it('an upstream that hangs up right after its 101: the client connection is closed too', async () => {
    up.answer = { kind: 'switch-then-close' };
    const c = await rawClient(port, upgradeHead(port, '/public/ws'));
    expect(parse(await c.closed).status).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('an upstream that never answers: the catalogue 504 after upstreamTimeout, then close', async () => {
    up.answer = { kind: 'silent' };
    const c = await rawClient(port, upgradeHead(port, '/public/ws', ['Accept: application/json']));
    const r = parse(await c.closed);
    expect(r.status).toBe('HTTP/1.1 504 Gateway Timeout');
    expect(JSON.parse(r.body)).toMatchObject({ error: 'upstream_timeout', request_id: r.headers['x-request-id'] });
  });
});

describe('an upgrade pipelined behind a request in flight', () => {
  it('is taken up once the earlier answer is written: both answers in order on the one connection', async () => {
    up.answer = (head) =>
      head.startsWith('GET /public/slow ') ? { kind: 'respond', status: '200 OK', headers: [], body: 'slow-done', delayMs: 300 } : { kind: 'switch' };
    const c = await rawClient(port, `GET /public/slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n${upgradeHead(port, '/public/ws')}`);
    const text = await c.until(/slow-done[\s\S]*HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*\r\n\r\n$/);
    expect(text.indexOf('slow-done')).toBeLessThan(text.indexOf('HTTP/1.1 101 '));
    c.socket.write('frame');
    await c.until(/echo:frame$/);
    expect(up.connections.map((u) => u.head.split('\r\n')[0])).toEqual(['GET /public/slow HTTP/1.1', 'GET /public/ws HTTP/1.1']);
    c.socket.destroy();
  });
});

describe('Upgrade on HTTP/1.0', () => {
  it('is refused (400 bad_request, RFC 9110 §7.8) and never reaches the upstream as an HTTP/1.1 upgrade', async () => {
    const c = await rawClient(port, upgradeHead(port, '/public/ws', ['Accept: application/json']).replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n'));
    const r = parse(await c.closed);
    expect(r.status).toBe('HTTP/1.1 400 Bad Request');
    const body = JSON.parse(r.body);
    expect([body.error, body.error_description]).toEqual(['bad_request', 'Upgrade needs HTTP/1.1; send the request as HTTP/1.1.']);
    expect(stack.logs.find((l) => l.requestId === body.request_id)).toMatchObject({ reason: 'Upgrade on HTTP/1.0' });
    expect(up.connections.length).toBe(0);
  });
});

describe('Upgrade: h2c', () => {
  for (const offer of ['h2c', 'websocket, h2c', 'H2C']) {
    it(`is refused (400 bad_request) and never reaches the upstream: Upgrade: ${offer}`, async () => {
      const c = await rawClient(
        port,
        [
          'GET /public/ws HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Connection: Upgrade, HTTP2-Settings',
          `Upgrade: ${offer}`,
          'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA',
          'Accept: application/json',
          '',
          '',
        ].join('\r\n'),
      );
      const r = parse(await c.closed);
      expect(r.status).toBe('HTTP/1.1 400 Bad Request');
      const body = JSON.parse(r.body);
      expect(body.error).toBe('bad_request');
      expect(body.error_description).toBe('The gateway does not switch to HTTP/2 (Upgrade: h2c); send the request without it.');
      expect(stack.logs.find((l) => l.requestId === body.request_id)).toMatchObject({ reason: 'Upgrade: h2c' });
      expect(up.connections.length).toBe(0);
    });
  }
});

describe('CONNECT', () => {
  for (const target of ['127.0.0.1:22', '/public/x']) {
    it(`is answered from the catalogue (a request id, a log line), never tunnelled: CONNECT ${target}`, async () => {
      const c = await rawClient(port, `CONNECT ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\n\r\n`);
      const r = parse(await c.closed);
      const body = JSON.parse(r.body);
      // An authority-form target is no path (400); a path is a method the gateway never passes on (405).
      expect([r.status, body.error]).toEqual(
        target.startsWith('/') ? ['HTTP/1.1 405 Method Not Allowed', 'method_not_allowed'] : ['HTTP/1.1 400 Bad Request', 'bad_request'],
      );
      expect(body.request_id).toBe(r.headers['x-request-id']);
      expect(stack.logs.some((l) => l.requestId === body.request_id)).toBe(true);
      expect(up.connections.length).toBe(0);
    });
  }
});

describe('Origin of an upgrade that uses the session cookie (cross-site WebSocket hijacking)', () => {
  const open = async (target: string, origin: string | undefined, withCookie = true) => {
    const extra = [...(withCookie ? [`Cookie: ${bob}`] : []), ...(origin ? [`Origin: ${origin}`] : []), 'Accept: application/json'];
    const c = await rawClient(port, upgradeHead(port, target, extra));
    const text = await c.until(/\r\n\r\n/);
    c.socket.destroy();
    return parse(text);
  };

  it('refuses a page of another origin: 403 cross_origin_upgrade with a request id and a warning, nothing upstream', async () => {
    const c = await rawClient(port, upgradeHead(port, '/ws', [`Cookie: ${bob}`, 'Origin: http://evil.example', 'Accept: application/json']));
    const r = parse(await c.closed);
    expect(r.status).toBe('HTTP/1.1 403 Forbidden');
    const body = JSON.parse(r.body);
    expect(body.error).toBe('cross_origin_upgrade');
    expect(body.request_id).toBe(r.headers['x-request-id']);
    expect(stack.logs.find((l) => l.requestId === body.request_id && l.level === 'warn')).toMatchObject({
      error: 'cross_origin_upgrade',
      origin: 'http://evil.example',
    });
    expect(up.connections.length).toBe(0);
  });

  it('refuses a sibling host of the same site (a Lax cookie travels there) and the literal Origin null', async () => {
    expect((await open('/ws', 'http://other.127.0.0.1.nip.io')).status).toBe('HTTP/1.1 403 Forbidden');
    expect((await open('/ws', 'null')).status).toBe('HTTP/1.1 403 Forbidden');
    expect(up.connections.length).toBe(0);
  });

  it("accepts the gateway's own origin, its host under https (behind a TLS terminator), and no Origin (not a browser)", async () => {
    expect((await open('/ws', `http://127.0.0.1:${port}`)).status).toBe('HTTP/1.1 101 Switching Protocols');
    expect((await open('/ws', `https://127.0.0.1:${port}`)).status).toBe('HTTP/1.1 101 Switching Protocols');
    expect((await open('/ws', undefined)).status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(up.connections.length).toBe(3);
  });

  it("accepts an origin the app's CORS settings let send credentials, and only that one", async () => {
    expect((await open('/spa-api/live', 'http://localhost:5173')).status).toBe('HTTP/1.1 101 Switching Protocols');
    expect((await open('/spa-api/live', 'http://localhost:5174')).status).toBe('HTTP/1.1 403 Forbidden');
    expect(up.connections.length).toBe(1);
  });

  it('refuses Basic credentials from another origin too (a browser sends the ones it remembers), and takes them from the own origin', async () => {
    const basic = `Authorization: Basic ${Buffer.from('alice:Alice-Passw0rd!').toString('base64')}`;
    const withBasic = async (origin: string) => {
      const c = await rawClient(port, upgradeHead(port, '/site/live', [basic, `Origin: ${origin}`, 'Accept: application/json']));
      const text = await c.until(/\r\n\r\n/);
      c.socket.destroy();
      return parse(text);
    };
    const c = await rawClient(port, upgradeHead(port, '/site/live', [basic, 'Origin: http://evil.example', 'Accept: application/json']));
    const refused = parse(await c.closed);
    expect(refused.status).toBe('HTTP/1.1 403 Forbidden');
    expect(JSON.parse(refused.body).error).toBe('cross_origin_upgrade');
    expect(up.connections.length).toBe(0);
    expect((await withBasic(`http://127.0.0.1:${port}`)).status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(up.connections.length).toBe(1);
  });

  it('leaves upgrades without the session cookie alone: a public (bypass) WebSocket from any page', async () => {
    expect((await open('/public/ws', 'http://evil.example', false)).status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(up.connections[0]!.head).toContain('\r\nOrigin: http://evil.example\r\n');
  });
});
