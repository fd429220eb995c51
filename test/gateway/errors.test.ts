/**
 * Failures through the running gateway, each with its exact status, catalogue code and a request id
 * that leads to a log line: IdP errors and bad or replayed callbacks, a slow token endpoint (504),
 * JWKS down at the callback (503), upstream down (502), an unreachable IdP (503), a wrong client
 * secret (502, logged without the secret); malformed or tampered cookies are no session; ambiguous
 * path encodings are refused (400) and dot segments resolved before policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/http';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { POOL, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ edit: (raw) => (raw.idp.timeout = '1s') });
});
afterAll(() => stack?.close());

/** Runs the flow up to the moment the hosted UI redirects back with a code, without delivering it. */
async function codeCallback(b: TestBrowser, user = 'alice', password = 'Alice-Passw0rd!') {
  const start = await b.follow(`${stack.url}/page`, { stopAt: (u) => u.includes('/oauth2/authorize') });
  const form = await b.follow(start.next!);
  const back = await b.submitForm(form.url, await form.res.text(), { username: user, password }, { stopAt: (u) => u.includes('/_auth/callback') });
  return back.next!;
}

/** The request id is one the gateway made (newRequestId) and a log line with `msg` carries it. */
function expectLogged(requestId: string | null, msg: string) {
  expect(requestId).toMatch(/^[A-Za-z0-9_-]{16}$/);
  const line = stack.logs.find((l) => l.requestId === requestId && l.msg === msg);
  expect(line?.msg, `log line for ${requestId}`).toBe(msg);
  return line!;
}

describe('error pages with request ids', () => {
  it('shows an IdP error from the callback as a readable page', async () => {
    const b = new TestBrowser();
    const start = await b.follow(`${stack.url}/page`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    const state = new URL(start.next!).searchParams.get('state')!;
    const res = await b.request(`${stack.url}/_auth/callback?error=access_denied&error_description=User+cancelled&state=${state}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('access_denied');
    expect(html).toContain(res.headers.get('x-request-id')!);
    expect(html).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(expectLogged(res.headers.get('x-request-id'), ERROR_CATALOGUE.idp_error.log)).toMatchObject({
      level: 'warn',
      error: 'idp_error',
      idpError: 'access_denied',
    });
  });

  it('refuses a callback whose state this browser never started', async () => {
    const b = new TestBrowser();
    const callback = await codeCallback(b);
    const other = new TestBrowser();
    const res = await other.request(callback);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/start again/i);
    expect(expectLogged(res.headers.get('x-request-id'), ERROR_CATALOGUE.login_expired.log)).toMatchObject({ level: 'warn', error: 'login_expired' });
  });

  it('refuses a replayed code', async () => {
    const b = new TestBrowser();
    const callback = await codeCallback(b);
    const cookies = b.cookieHeader(stack.url)!;
    const first = await b.request(callback);
    expect(first.status).toBe(302);
    // Replay with the login-state cookie the browser had before the first delivery.
    const replay = await fetch(callback, { headers: { cookie: cookies, accept: 'application/json' }, redirect: 'manual' });
    expect(replay.status).toBe(400);
    const body = (await replay.json()) as { error: string };
    expect(body.error).toBe('code_rejected');
  });

  it('answers 504 when the token endpoint is too slow', async () => {
    const b = new TestBrowser();
    const callback = await codeCallback(b);
    stack.emulator.setTokenEndpointDelay(2500);
    try {
      const res = await b.request(callback, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(504);
      expect(((await res.json()) as { error: string }).error).toBe('idp_unavailable');
    } finally {
      stack.emulator.setTokenEndpointDelay(0);
    }
  });

  it('answers 503 at the callback when the pool keys cannot be fetched', async () => {
    // A fresh gateway that has never fetched the JWKS.
    const fresh = await startStack();
    try {
      const b = new TestBrowser();
      const start = await b.follow(`${fresh.url}/page`, { stopAt: (u) => u.includes('/oauth2/authorize') });
      const form = await b.follow(start.next!);
      const back = await b.submitForm(
        form.url,
        await form.res.text(),
        { username: 'alice', password: 'Alice-Passw0rd!' },
        { stopAt: (u) => u.includes('/_auth/callback') },
      );
      fresh.emulator.setJwksAvailable(POOL, false);
      const res = await b.request(back.next!, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toBe('jwks_unavailable');
    } finally {
      await fresh.close();
    }
  });

  it('answers 502 with a page when the upstream is down', async () => {
    const b = new TestBrowser();
    const res = await b.request(`${stack.url}/public/x`);
    expect(res.status).toBe(200);
    const down = await startStack();
    await down.upstream.close();
    try {
      const r = await new TestBrowser().request(`${down.url}/public/x`);
      expect(r.status).toBe(502);
      const html = await r.text();
      expect(html).toContain(r.headers.get('x-request-id')!);
      expect(
        down.logs.some(
          (l) => l.requestId === r.headers.get('x-request-id') && l.msg === ERROR_CATALOGUE.upstream_unreachable.log && l.error === 'upstream_unreachable',
        ),
      ).toBe(true);
    } finally {
      await down.close();
    }
  });
});

describe('malformed cookies are no session, never an error', () => {
  it.each([
    ['garbage', '_cgw_session=not-a-seal'],
    ['truncated seal', '_cgw_session=Fe26.2**abc*def'],
    ['oversized', `_cgw_session=${'A'.repeat(7000)}`],
    ['bad chunk set', '_cgw_session_0=Fe26.2**x; _cgw_session_1=zzz'],
    ['control characters', '_cgw_session=%00%0d%0a'],
  ])('%s', async (_name, cookie) => {
    const res = await fetch(`${stack.url}/page`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('/oauth2/authorize');
    expect(res.headers.getSetCookie().some((c) => /_cgw_session/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
  });

  it('a tampered but well-formed cookie from a real session is rejected', async () => {
    const b = new TestBrowser();
    await b.signIn(`${stack.url}/`, 'alice', 'Alice-Passw0rd!');
    const jar = b.cookies('127.0.0.1');
    const [name, value] = [...jar].find(([n]) => n.includes('_session'))!;
    const flipped = value.slice(0, 60) + (value[60] === 'A' ? 'B' : 'A') + value.slice(61);
    const res = await fetch(`${stack.url}/page`, { headers: { cookie: `${name}=${flipped}`, accept: 'application/json' }, redirect: 'manual' });
    expect(res.status).toBe(401);
  });
});

describe('paths', () => {
  it('refuses ambiguous encodings with 400', async () => {
    for (const p of ['/public/..%2fadmin', '/public%2f..%2fadmin', '/public/%5c..%5cadmin', '/admin;x=/public', '/public/%00']) {
      const res = await rawRequest(stack.url, p, { headers: { accept: 'application/json' } });
      expect(res.status, p).toBe(400);
      expect(JSON.parse(res.body).error).toBe('bad_path');
    }
  });

  it('resolves dot segments (also encoded) before matching policy', async () => {
    for (const p of ['/public/../admin', '/public/%2e%2e/admin', '/public/%2E%2e/admin/', '/public//../admin', '/public/./../admin']) {
      const res = await rawRequest(stack.url, p, { headers: { accept: 'application/json' } });
      expect(res.status, p).toBe(401); // /admin needs a session; /public would have been 200
    }
    const pub = await rawRequest(stack.url, '/admin/../public/x?y=1', { headers: { accept: 'application/json' } });
    expect(pub.status).toBe(200);
    const seen = JSON.parse(pub.body) as { path: string; query: string };
    expect(seen.path).toBe('/public/x');
    expect(seen.query).toBe('y=1');
  });

  it('never lets the query string or an encoded # take part in matching', async () => {
    const q = await rawRequest(stack.url, '/admin?/public/', { headers: { accept: 'application/json' } });
    expect(q.status).toBe(401);
    const h = await rawRequest(stack.url, '/admin%23/public/', { headers: { accept: 'application/json' } });
    expect(h.status).toBe(401);
  });
});

describe('an identity provider that is down', () => {
  it('keeps public paths working and answers sign-in with a 503 page, not a crash', async () => {
    const { freePort } = await import('../helpers/nginx');
    const dead = await freePort(); // nothing listens here
    const down = await startStack({ edit: (raw) => (raw.idp.issuer = `http://127.0.0.1:${dead}/us-east-1_DemoPool1`) });
    try {
      const pub = await rawRequest(down.url, '/public/x', { headers: { accept: 'application/json' } });
      expect(pub.status).toBe(200);
      const res = await rawRequest(down.url, '/dashboard', { headers: { accept: 'text/html' } });
      expect(res.status).toBe(503);
      expect(res.body).toContain(String(res.headers['x-request-id']));
      expect(res.body).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+/);
      expect(down.logs.some((l) => l.requestId === res.headers['x-request-id'] && l.level === 'warn')).toBe(true);
    } finally {
      await down.close();
    }
  });
});

describe('a wrong client secret', () => {
  it('answers the callback with a 502 page and tells the operator what to fix', async () => {
    const wrong = await startStack({ env: { GATEWAY_CLIENT_SECRET: 'not-the-secret' } });
    try {
      const b = new TestBrowser();
      const start = await b.follow(`${wrong.url}/page`, { stopAt: (u) => u.includes('/oauth2/authorize') });
      const form = await b.follow(start.next!);
      const back = await b.submitForm(
        form.url,
        await form.res.text(),
        { username: 'alice', password: 'Alice-Passw0rd!' },
        { stopAt: (u) => u.includes('/_auth/callback') },
      );
      const res = await b.request(back.next!, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: string }).error).toBe('idp_rejected_client');
      const line = wrong.logs.find((l) => l.level === 'error' && String(l.msg).includes('GATEWAY_CLIENT_SECRET'));
      expect(line?.msg).toBe("the identity provider refused the gateway's client credentials: check idp.clientId and GATEWAY_CLIENT_SECRET");
      expect(JSON.stringify(wrong.logs)).not.toContain('not-the-secret');
    } finally {
      await wrong.close();
    }
  });
});
